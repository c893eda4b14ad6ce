#include "formats/csv/csv_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "core/value_text.h"
#include "formats/csv/csv_test_util.h"

namespace idemload::formats::csv {
namespace {

using test::TempDir;
using test::write_file;

struct ReadResult {
  std::shared_ptr<const Schema> schema;
  std::vector<std::vector<std::string>> rows;  // value_text, "<NULL>" for NULL
  std::vector<int64_t> lines;
  std::vector<Reject> rejects;
  std::vector<size_t> batch_sizes;
};

ReadResult read_all(const std::string& path, SourceOptions options = {}) {
  ReadResult result;
  options.on_reject = [&result](const Reject& reject) { result.rejects.push_back(reject); };
  auto reader = open_csv(path, options);
  result.schema = reader->schema();
  Batch batch;
  while (reader->next(batch)) {
    EXPECT_EQ(batch.source_file, path);
    EXPECT_EQ(batch.source_rows.size(), batch.num_rows());
    result.batch_sizes.push_back(batch.num_rows());
    for (size_t row = 0; row < batch.num_rows(); ++row) {
      std::vector<std::string> values;
      for (size_t col = 0; col < batch.num_columns(); ++col) {
        values.push_back(batch.column(col).is_null(row) ? "<NULL>" : value_text(batch.column(col), row));
      }
      result.rows.push_back(values);
      result.lines.push_back(batch.source_rows[row]);
    }
  }
  EXPECT_FALSE(reader->next(batch));
  EXPECT_EQ(reader->rows_read(), static_cast<int64_t>(result.rows.size()));
  EXPECT_EQ(reader->rows_rejected(), static_cast<int64_t>(result.rejects.size()));
  return result;
}

Error open_error(const std::string& path, SourceOptions options = {}) {
  try {
    open_csv(path, options);
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "no error for " << path;
  return Error::Internal("none");
}

TEST(CsvReader, InfersTypesAndTracksLines) {
  TempDir dir;
  write_file(dir.file("a.csv"),
             "id,name,score,day,ok\n"
             "1,\"multi\nline\",2.5,2017-06-30,true\n"
             "2,plain,,2017-07-01,false\r\n"
             "\n"
             "3.0,\"q \"\"x\"\"\",1,,\n");
  auto result = read_all(dir.file("a.csv"));
  EXPECT_EQ(result.schema->to_string(), Schema({{"id", Type::kInt64},
                                                {"name", Type::kString},
                                                {"score", Type::kDouble},
                                                {"day", Type::kDate},
                                                {"ok", Type::kBool}})
                                            .to_string());
  ASSERT_EQ(result.rows.size(), 3u);
  EXPECT_EQ(result.rows[0], (std::vector<std::string>{"1", "multi\nline", "2.5", "2017-06-30", "true"}));
  EXPECT_EQ(result.rows[1], (std::vector<std::string>{"2", "plain", "<NULL>", "2017-07-01", "false"}));
  EXPECT_EQ(result.rows[2], (std::vector<std::string>{"3", "q \"x\"", "1", "<NULL>", "<NULL>"}));
  EXPECT_EQ(result.lines, (std::vector<int64_t>{2, 4, 6}));
  EXPECT_TRUE(result.rejects.empty());
}

TEST(CsvReader, RejectsWrongFieldCountsAndBadValuesWithTheirLines) {
  TempDir dir;
  write_file(dir.file("bad.csv"),
             "k,v\n"
             "1,\"a\nb\nc\"\n"  // lines 2-4
             "2\n"               // line 5: one field
             "x,y\n"             // line 6: k is not an int64
             "3,\"d\ne\",extra\n"  // lines 7-8: three fields
             "4,ok\n");          // line 9
  SourceOptions options;
  options.column_types = {{"k", Type::kInt64}};
  auto result = read_all(dir.file("bad.csv"), options);
  ASSERT_EQ(result.rows.size(), 2u);
  EXPECT_EQ(result.lines, (std::vector<int64_t>{2, 9}));
  EXPECT_EQ(result.rows[1], (std::vector<std::string>{"4", "ok"}));
  ASSERT_EQ(result.rejects.size(), 3u);
  EXPECT_EQ(result.rejects[0].line, 5);
  EXPECT_EQ(result.rejects[0].column, "");
  EXPECT_EQ(result.rejects[0].reason, "expected 2 fields, found 1");
  EXPECT_EQ(result.rejects[0].raw, "2");
  EXPECT_EQ(result.rejects[0].file, dir.file("bad.csv"));
  EXPECT_EQ(result.rejects[1].line, 6);
  EXPECT_EQ(result.rejects[1].column, "k");
  EXPECT_EQ(result.rejects[1].reason, "column k: value 'x' is not a valid int64");
  EXPECT_EQ(result.rejects[1].raw, "x,y");
  EXPECT_EQ(result.rejects[2].line, 7);
  EXPECT_EQ(result.rejects[2].reason, "expected 2 fields, found 3");
  EXPECT_EQ(result.rejects[2].raw, "3,\"d\ne\",extra");
}

TEST(CsvReader, MalformedQuotingIsARejectNotAnError) {
  TempDir dir;
  write_file(dir.file("q.csv"), "a,b\n\"x\"y,1\n2,3\n\"open,4\n5,6\n");
  auto result = read_all(dir.file("q.csv"));
  ASSERT_EQ(result.rows.size(), 1u);
  EXPECT_EQ(result.rows[0], (std::vector<std::string>{"2", "3"}));
  ASSERT_EQ(result.rejects.size(), 2u);
  EXPECT_EQ(result.rejects[0].line, 2);
  EXPECT_EQ(result.rejects[0].reason, "text after a closing quote");
  EXPECT_EQ(result.rejects[1].line, 4);
  EXPECT_EQ(result.rejects[1].reason, "quoted field not terminated before the end of the file");
}

TEST(CsvReader, ValuesPastTheSampleThatDoNotFitAreRejected) {
  TempDir dir;
  std::string text = "cik,n\n";
  for (int idx = 0; idx < 20; ++idx) text += std::to_string(1000 + idx) + ".0,a\n";
  text += "1.9617000089109215e+22,b\n";  // line 22
  text += "7,c\n";
  write_file(dir.file("cik.csv"), text);
  SourceOptions options;
  options.infer_rows = 10;
  auto result = read_all(dir.file("cik.csv"), options);
  EXPECT_EQ(result.schema->field(0).type, Type::kInt64);
  EXPECT_EQ(result.rows.size(), 21u);
  ASSERT_EQ(result.rejects.size(), 1u);
  EXPECT_EQ(result.rejects[0].line, 22);
  EXPECT_EQ(result.rejects[0].column, "cik");
  EXPECT_EQ(result.rejects[0].reason,
            "column cik: value '1.9617000089109215e+22' is not an integer in the int64 range");
  // With the value inside the sample, the column is a double and nothing is rejected.
  options.infer_rows = 1000;
  result = read_all(dir.file("cik.csv"), options);
  EXPECT_EQ(result.schema->field(0).type, Type::kDouble);
  EXPECT_EQ(result.rows.size(), 22u);
  EXPECT_EQ(result.rows[20][0], "1.9617000089109215e+22");
}

TEST(CsvReader, TypeOverridesAndProjection) {
  TempDir dir;
  write_file(dir.file("p.csv"), "zip,city,n\n08123,Anytown,1\n90210,Beverly Hills,2\n");
  SourceOptions options;
  options.column_types = {{"n", Type::kString}};
  options.columns = {"n", "zip"};
  auto result = read_all(dir.file("p.csv"), options);
  EXPECT_EQ(result.schema->to_string(), Schema({{"n", Type::kString}, {"zip", Type::kString}}).to_string());
  EXPECT_EQ(result.rows, (std::vector<std::vector<std::string>>{{"1", "08123"}, {"2", "90210"}}));

  options = {};
  options.column_types = {{"zip", Type::kInt64}};
  result = read_all(dir.file("p.csv"), options);
  EXPECT_EQ(result.rows[0][0], "8123");
}

TEST(CsvReader, UnknownColumnsAreInvalidInput) {
  TempDir dir;
  write_file(dir.file("p.csv"), "a,b\n1,2\n");
  SourceOptions options;
  options.columns = {"a", "nope"};
  Error error = open_error(dir.file("p.csv"), options);
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(std::string(error.what()).find("nope"), std::string::npos) << error.what();
  options = {};
  options.column_types = {{"zz", Type::kInt64}};
  error = open_error(dir.file("p.csv"), options);
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(error.message(), "type given for column 'zz', which the file does not have (columns: a, b)");
  EXPECT_EQ(error.context().file, dir.file("p.csv"));
}

TEST(CsvReader, BadHeadersAndEmptyFiles) {
  TempDir dir;
  write_file(dir.file("empty.csv"), "");
  Error error = open_error(dir.file("empty.csv"));
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(error.message(), "empty file, no header");
  EXPECT_EQ(error.context().file, dir.file("empty.csv"));

  write_file(dir.file("blank.csv"), "\n\r\n");
  EXPECT_EQ(open_error(dir.file("blank.csv")).kind(), ErrorKind::kInvalidInput);

  write_file(dir.file("dup.csv"), "a,b,a\n1,2,3\n");
  error = open_error(dir.file("dup.csv"));
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(error.message(), "the header names column 'a' twice (columns 1 and 3)");
  EXPECT_EQ(error.context().file, dir.file("dup.csv"));

  write_file(dir.file("noname.csv"), "a,,c\n1,2,3\n");
  error = open_error(dir.file("noname.csv"));
  EXPECT_EQ(error.message(), "the header's column 2 has no name");

  EXPECT_EQ(open_error(dir.file("missing.csv")).kind(), ErrorKind::kIo);
}

TEST(CsvReader, HeaderOnlyFileHasNoRows) {
  TempDir dir;
  write_file(dir.file("h.csv"), "a,b\n");
  auto result = read_all(dir.file("h.csv"));
  EXPECT_EQ(result.schema->size(), 2u);
  EXPECT_EQ(result.schema->field(0).type, Type::kString);
  EXPECT_TRUE(result.rows.empty());
}

TEST(CsvReader, StripsAByteOrderMark) {
  TempDir dir;
  write_file(dir.file("bom.csv"), "\xEF\xBB\xBFid,v\n1,x\n");
  auto result = read_all(dir.file("bom.csv"));
  EXPECT_EQ(result.schema->field(0).name, "id");
  EXPECT_EQ(result.schema->field(0).type, Type::kInt64);
}

TEST(CsvReader, NoHeaderNamesColumns) {
  TempDir dir;
  write_file(dir.file("nh.csv"), "1,a\n2,b\n");
  SourceOptions options;
  options.header = false;
  auto result = read_all(dir.file("nh.csv"), options);
  EXPECT_EQ(result.schema->field(1).name, "column_2");
  EXPECT_EQ(result.rows.size(), 2u);
  EXPECT_EQ(result.lines, (std::vector<int64_t>{1, 2}));
}

TEST(CsvReader, BatchesAreBoundedByBatchRows) {
  TempDir dir;
  std::string text = "n\n";
  for (int idx = 0; idx < 10; ++idx) text += std::to_string(idx) + "\n";
  text += "x\n";  // line 12: rejected, so the last batches are refilled around it
  for (int idx = 10; idx < 13; ++idx) text += std::to_string(idx) + "\n";
  write_file(dir.file("n.csv"), text);
  SourceOptions options;
  options.batch_rows = 3;
  options.column_types = {{"n", Type::kInt64}};
  auto result = read_all(dir.file("n.csv"), options);
  EXPECT_EQ(result.batch_sizes, (std::vector<size_t>{3, 3, 3, 3, 1}));
  EXPECT_EQ(result.rows.size(), 13u);
  EXPECT_EQ(result.rows[10][0], "10");
  EXPECT_EQ(result.lines[10], 13);
  ASSERT_EQ(result.rejects.size(), 1u);
  EXPECT_EQ(result.rejects[0].line, 12);
}

// Records that straddle the 4 MiB blocks, with quoted newlines, keep their values and lines.
TEST(CsvReader, RecordsAcrossBlockBoundaries) {
  TempDir dir;
  std::string text = "id,text\n";
  const int rows = 120000;
  for (int idx = 0; idx < rows; ++idx) {
    text += std::to_string(idx) + ",\"line " + std::to_string(idx) + "\nsecond \"\"half\"\"\"\n";
  }
  write_file(dir.file("big.csv"), text);
  SourceOptions options;
  options.batch_rows = 5000;
  auto result = read_all(dir.file("big.csv"), options);
  ASSERT_EQ(result.rows.size(), static_cast<size_t>(rows));
  for (int idx = 0; idx < rows; idx += 997) {
    EXPECT_EQ(result.rows[idx][0], std::to_string(idx));
    EXPECT_EQ(result.rows[idx][1], "line " + std::to_string(idx) + "\nsecond \"half\"");
    EXPECT_EQ(result.lines[idx], 2 + 2 * idx);
  }
  EXPECT_TRUE(result.rejects.empty());
}

TEST(CsvReader, ARejectHandlerMayStopTheRead) {
  TempDir dir;
  write_file(dir.file("s.csv"), "a\n1\nx\n2\n");
  SourceOptions options;
  options.column_types = {{"a", Type::kInt64}};
  options.on_reject = [](const Reject& reject) {
    throw Error::InvalidInput("too many rejects", ErrorContext{.file = reject.file, .row = reject.line});
  };
  auto reader = open_csv(dir.file("s.csv"), options);
  Batch batch;
  try {
    reader->next(batch);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.context().row, 3);
  }
}

}  // namespace
}  // namespace idemload::formats::csv
