#include "formats/csv/csv_writer.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/value_text.h"
#include "formats/csv/csv_reader.h"
#include "formats/csv/csv_test_util.h"

namespace idemload::formats::csv {
namespace {

using test::read_file;
using test::TempDir;

TEST(CsvWriter, QuotesOnlyWhenNeeded) {
  std::string out;
  append_csv_field("plain", out);
  out += '|';
  append_csv_field("a,b", out);
  out += '|';
  append_csv_field("say \"hi\"", out);
  out += '|';
  append_csv_field("two\nlines", out);
  out += '|';
  append_csv_field("", out);
  out += '|';
  append_csv_field("", out, ',', true);
  EXPECT_EQ(out, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"||\"\"");
}

TEST(CsvWriter, WritesBatchesThatReadBackTheSame) {
  TempDir dir;
  auto schema = std::make_shared<const Schema>(
      Schema({{"id", Type::kInt64}, {"name", Type::kString}, {"x", Type::kDouble}, {"d", Type::kDate}}));
  Batch batch(schema);
  batch.column(0).append_int(1);
  batch.column(1).append_bytes("a, \"b\"\nc");
  batch.column(2).append_double(2.5);
  batch.column(3).append_int(*parse_date("2017-06-30"));
  batch.column(0).append_int(2);
  batch.column(1).append_null();
  batch.column(2).append_null();
  batch.column(3).append_null();
  batch.column(0).append_int(3);
  batch.column(1).append_bytes("");
  batch.column(2).append_double(-1e300);
  batch.column(3).append_int(0);

  CsvWriter writer(dir.file("out.csv"), *schema);
  writer.write(batch);
  writer.close();
  EXPECT_EQ(writer.rows_written(), 3);
  EXPECT_EQ(read_file(dir.file("out.csv")),
            "id,name,x,d\n1,\"a, \"\"b\"\"\nc\",2.5,2017-06-30\n2,,,\n3,\"\",-1e+300,1970-01-01\n");

  auto reader = open_csv(dir.file("out.csv"), {});
  EXPECT_EQ(reader->schema()->to_string(), schema->to_string());
  Batch back;
  ASSERT_TRUE(reader->next(back));
  ASSERT_EQ(back.num_rows(), 3u);
  EXPECT_EQ(back.column(1).bytes_at(0), "a, \"b\"\nc");
  EXPECT_EQ(back.column(2).double_at(2), -1e300);
  EXPECT_EQ(back.source_rows, (std::vector<int64_t>{2, 4, 5}));
}

TEST(CsvWriter, RejectsABatchOfAnotherShapeAndUnwritablePaths) {
  TempDir dir;
  Schema schema({{"a", Type::kInt64}});
  CsvWriter writer(dir.file("w.csv"), schema);
  Batch other(std::make_shared<const Schema>(Schema({{"a", Type::kInt64}, {"b", Type::kInt64}})));
  EXPECT_THROW(writer.write(other), Error);
  try {
    CsvWriter bad("/nonexistent/dir/x.csv", schema);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    EXPECT_EQ(error.context().file, "/nonexistent/dir/x.csv");
  }
}

TEST(RejectFile, OneCsvLinePerReject) {
  TempDir dir;
  RejectFile rejects(dir.file("rejects.csv"));
  rejects.write(Reject{.file = "in.csv", .line = 7, .column = "", .reason = "expected 2 fields, found 3",
                       .raw = "3,\"d\ne\",extra"});
  rejects.write(Reject{.file = "in.csv", .line = 9, .column = "k", .reason = "column k: value 'x' is not a valid int64",
                       .raw = "x,y"});
  // Written straight through: visible before close.
  EXPECT_EQ(read_file(dir.file("rejects.csv")),
            "file,line,column,reason,raw\n"
            "in.csv,7,,\"expected 2 fields, found 3\",\"3,\"\"d\ne\"\",extra\"\n"
            "in.csv,9,k,column k: value 'x' is not a valid int64,\"x,y\"\n");
  rejects.close();
  EXPECT_EQ(rejects.count(), 2);
}

}  // namespace
}  // namespace idemload::formats::csv
