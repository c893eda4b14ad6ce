// `idemload cat` as a real child process: CSV out with a header (re-readable, RFC 4180
// quoting), --columns, --limit, --json, rejects on stderr, and exit codes for bad input.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace idemload {
namespace {

std::string edgar(const std::string& name) { return (testing::fixtures_dir() / "edgar" / name).string(); }

TEST(CsvCat, PrintsRowsAsCsvWithAHeader) {
  auto result = testing::run_idemload({"cat", edgar("insight-edgar-analytics-test1.log.csv"), "--limit", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "ip,date,time,zone,cik,accession,extention,code,size,idx,norefer,noagent,find,crawler,browser\n"
            "101.81.133.jja,2017-06-30,00:00:00,0,1608552,0001047469-17-004337,-index.htm,200,80251,1,0,0,9,0,\n"
            "107.23.85.jfd,2017-06-30,00:00:00,0,1027281,0000898430-02-001167,-index.htm,200,2825,1,0,0,10,0,\n");
  EXPECT_NE(result.err.find("2 rows printed, 0 rejected"), std::string::npos) << result.err;
}

TEST(CsvCat, ProjectsAndQuotesAndRoundTrips) {
  testing::TempDir dir;
  testing::write_file(dir.file("in.csv"), "a,b,c\n1,\"x, \"\"y\"\"\nz\",\n2,,\"\"\n");
  auto result = testing::run_idemload({"cat", dir.file("in.csv"), "--columns", "b,a"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "b,a\n\"x, \"\"y\"\"\nz\",1\n,2\n");
  // What cat prints reads back the same.
  testing::write_file(dir.file("again.csv"), result.out);
  auto again = testing::run_idemload({"cat", dir.file("again.csv")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, result.out);
}

TEST(CsvCat, JsonLinesWithTypes) {
  auto result = testing::run_idemload(
      {"cat", edgar("kcg2015-edgar-analytics-log20050101-quoted.csv"), "-c", "ip,cik,size,date", "-n", "1", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto row = nlohmann::json::parse(result.out);
  EXPECT_EQ(row["ip"], "68.70.131.gjc");
  EXPECT_EQ(row["cik"], 933239);
  EXPECT_EQ(row["size"], 2963);
  EXPECT_EQ(row["date"], "2005-01-01");
}

TEST(CsvCat, RejectsGoToStderrWithTheirLine) {
  testing::TempDir dir;
  testing::write_file(dir.file("bad.csv"), "a,b\n1,\"two\nlines\"\n2\n3,z\n");
  auto result = testing::run_idemload({"cat", dir.file("bad.csv")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "a,b\n1,\"two\nlines\"\n3,z\n");
  EXPECT_NE(result.err.find("bad.csv:4: expected 2 fields, found 1"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("2 rows printed, 1 rejected"), std::string::npos) << result.err;
}

TEST(CsvCat, BadInputIsAUsageError) {
  testing::TempDir dir;
  testing::write_file(dir.file("in.csv"), "a,b\n1,2\n");
  auto result = testing::run_idemload({"cat", dir.file("in.csv"), "--columns", "nope"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("nope"), std::string::npos) << result.err;
  testing::write_file(dir.file("empty.csv"), "");
  result = testing::run_idemload({"cat", dir.file("empty.csv")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("empty file, no header"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace idemload
