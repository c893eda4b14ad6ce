// Bad input gets a clear one-line error and its exit code, before anything is written.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "test_util.h"

namespace idemload::testing {
namespace {

class CliErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.path() / "ok.csv", "ip,date,time,size\n1.2.3.a,2017-06-30,00:00:01,10.0\n");
    write_file(dir_.path() / "empty.csv", "");
  }
  RunResult load(const std::string& source, const std::string& target, const std::string& key = "ip,date,time") {
    return run_idemload({"load", source, "--target", target, "--table", "t", "--key", key});
  }
  std::string db() const { return "sqlite:" + dir_.file("t.sqlite"); }
  bool db_exists() const { return std::filesystem::exists(dir_.path() / "t.sqlite"); }
  static int lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }
  TempDir dir_;
};

TEST_F(CliErrors, MissingFile) {
  auto result = load(dir_.file("nope.csv"), db());
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("nope.csv"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("does not exist"), std::string::npos) << result.err;
  EXPECT_EQ(lines(result.err), 1) << result.err;
  EXPECT_FALSE(db_exists());
}

TEST_F(CliErrors, EmptyFile) {
  auto result = load(dir_.file("empty.csv"), db());
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("empty.csv"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("empty"), std::string::npos) << result.err;
  EXPECT_EQ(lines(result.err), 1) << result.err;
  EXPECT_FALSE(db_exists());
}

TEST_F(CliErrors, UnknownKeyColumn) {
  auto result = load(dir_.file("ok.csv"), db(), "ip,date,clock");
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("'clock'"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("ip, date, time, size"), std::string::npos) << result.err;
  EXPECT_EQ(lines(result.err), 1) << result.err;
  EXPECT_FALSE(db_exists());
}

TEST_F(CliErrors, TargetCannotBeOpened) {
  auto result = load(dir_.file("ok.csv"), "sqlite:" + dir_.file("no/such/dir/t.sqlite"));
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find("cannot open SQLite database"), std::string::npos) << result.err;
  EXPECT_EQ(lines(result.err), 1) << result.err;
}

TEST_F(CliErrors, UnreachableServerNeverPrintsThePassword) {
  auto result = load(dir_.file("ok.csv"), "postgresql://loader:s3cret-pw@127.0.0.1:1/db");
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_EQ(result.err.find("s3cret-pw"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("***"), std::string::npos) << result.err;
  auto mysql = load(dir_.file("ok.csv"), "mysql://loader:s3cret-pw@127.0.0.1:1/db");
  EXPECT_EQ(mysql.exit_code, 3) << mysql.err;
  EXPECT_EQ(mysql.err.find("s3cret-pw"), std::string::npos) << mysql.err;
}

TEST_F(CliErrors, UnknownStrategyIsAUsageError) {
  auto result = run_idemload({"load", dir_.file("ok.csv"), "--target", db(), "--table", "t", "--key", "ip",
                              "--strategy", "yolo"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_FALSE(db_exists());
}

TEST_F(CliErrors, CompletedJobRerunIsANoOp) {
  auto first = run_idemload({"load", dir_.file("ok.csv"), "--target", db(), "--table", "t", "--key", "ip,date,time"});
  ASSERT_EQ(first.exit_code, 0) << first.err << first.out;
  auto second = run_idemload({"load", dir_.file("ok.csv"), "--target", db(), "--table", "t", "--key", "ip,date,time"});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("Already loaded"), std::string::npos) << second.out;
}

TEST_F(CliErrors, MalformedRowsGoToTheRejectFileAndMaxRejectsFailsTheJob) {
  write_file(dir_.path() / "bad.csv",
             "ip,date,time,size\n"
             "1.2.3.a,2017-06-30,00:00:01,10.0\n"
             "1.2.3.b,2017-06-30,00:00:02\n"                 // line 3: a field short
             "1.2.3.c,2017-06-30,00:00:03,\"multi\nline\"\n"  // line 4: not a number
             "1.2.3.d,2017-06-30,00:00:04,40.0\n");
  auto loaded = run_idemload({"load", dir_.file("bad.csv"), "--target", db(), "--table", "t", "--key", "ip,date,time",
                              "--type", "size=int64", "--reject-file", dir_.file("rejects.csv"), "--json"});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err << loaded.out;
  EXPECT_NE(loaded.out.find("\"rows_rejected\":2"), std::string::npos) << loaded.out;
  EXPECT_NE(loaded.out.find("\"rows_inserted\":2"), std::string::npos) << loaded.out;
  std::string rejects = read_file(dir_.path() / "rejects.csv");
  EXPECT_NE(rejects.find("bad.csv,3,"), std::string::npos) << rejects;
  EXPECT_NE(rejects.find("bad.csv,4,size,"), std::string::npos) << rejects;

  auto strict = run_idemload({"load", dir_.file("bad.csv"), "--target", db(), "--table", "t2", "--key",
                              "ip,date,time", "--type", "size=int64", "--max-rejects", "0", "--json"});
  EXPECT_EQ(strict.exit_code, 1) << strict.err << strict.out;
  EXPECT_NE(strict.out.find("\"state\":\"failed\""), std::string::npos) << strict.out;
  EXPECT_NE(strict.out.find("--max-rejects"), std::string::npos) << strict.out;
}

TEST_F(CliErrors, CorruptParquetFileIsRefusedOrSkippedWithIgnoreCorruptFiles) {
  std::filesystem::create_directories(dir_.path() / "in");
  auto gen = run_idemload({"gen", "edgar", "--rows", "500", "--out", dir_.file("in/a.parquet")});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  // The same kind of file with a byte flipped inside its pages (our writer writes page CRCs).
  auto gen_b = run_idemload({"gen", "edgar", "--rows", "500", "--seed", "7", "--out", dir_.file("in/b.parquet")});
  ASSERT_EQ(gen_b.exit_code, 0) << gen_b.err;
  std::string bytes = read_file(dir_.path() / "in/b.parquet");
  bytes[bytes.size() / 3] = static_cast<char>(bytes[bytes.size() / 3] ^ 0x5A);
  write_file(dir_.path() / "in/b.parquet", bytes);
  const std::string glob = dir_.file("in/*.parquet");
  auto refused = run_idemload({"load", glob, "--target", db(), "--table", "t", "--key", "ip,date,time", "--json"});
  EXPECT_NE(refused.exit_code, 0) << refused.out;
  auto skipped = run_idemload({"load", glob, "--target", db(), "--table", "t2", "--key", "ip,date,time",
                               "--ignore-corrupt-files", "--json"});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err << skipped.out;
  EXPECT_NE(skipped.out.find("b.parquet"), std::string::npos) << skipped.out;  // listed in skipped_files
  EXPECT_NE(skipped.out.find("\"rows_read\":500"), std::string::npos) << skipped.out;
}

}  // namespace
}  // namespace idemload::testing
