// The real SEC EDGAR log files of ../shared/fixtures/edgar: row and key counts equal to its
// README's table, the inferred types, and the only rejects being the values that truly do not
// fit those types (two `cik` values beyond int64 in the 24,999-row file).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/value_text.h"
#include "formats/csv/csv_reader.h"
#include "test_util.h"

namespace idemload {
namespace {

namespace fs = std::filesystem;

std::string edgar(const std::string& name) { return (testing::fixtures_dir() / "edgar" / name).string(); }

struct EdgarFile {
  std::string name;
  size_t rows;
  size_t distinct_keys;
  size_t null_size;  // rows with an empty `size`
};

// From ../shared/fixtures/edgar/README.md.
const std::vector<EdgarFile> kFiles = {
    {"zxshwan-edgar-analytics-log20170630-first24999.csv", 24999, 6313, 0},
    {"hkirfan-edgar-analytics-log20170630-000514-resaved.csv", 5000, 1260, 0},
    {"hkirfan-edgar-analytics-log20170630-000529-resaved.csv", 10000, 2663, 0},
    {"insight-edgar-analytics-test1.log.csv", 10, 9, 0},
    {"werkhoven-insight-edgar-challenge-log20170214-first2170.csv", 2170, 803, 0},
    {"zxshwan-edgar-analytics-log20170514-first244.csv", 244, 66, 0},
    {"vasantivmahajan-sec-log20030301-fullday.csv", 43458, 36123, 5325},
    {"atefehkhoshnood-edgar-analytics-log20030220-first8978.csv", 8978, 7691, 952},
    {"kcg2015-edgar-analytics-log20060101-one-ip.csv", 4461, 4422, 0},
    {"anyuz-puzzle-2018-log20060326-one-ip.csv", 792, 747, 0},
    {"kcg2015-edgar-analytics-log20050101-quoted.csv", 206, 30, 2},
};

struct Read {
  std::shared_ptr<const Schema> schema;
  std::vector<std::vector<std::string>> rows;  // value texts, NULL as "<NULL>"
  std::vector<int64_t> lines;
  std::vector<formats::Reject> rejects;
};

Read read_all(const std::string& path, formats::SourceOptions options = {}) {
  Read read;
  options.on_reject = [&read](const formats::Reject& reject) { read.rejects.push_back(reject); };
  auto reader = formats::csv::open_csv(path, options);
  read.schema = reader->schema();
  Batch batch;
  while (reader->next(batch)) {
    for (size_t row = 0; row < batch.num_rows(); ++row) {
      std::vector<std::string> values;
      for (size_t col = 0; col < batch.num_columns(); ++col) {
        values.push_back(batch.column(col).is_null(row) ? "<NULL>" : value_text(batch.column(col), row));
      }
      read.rows.push_back(std::move(values));
      read.lines.push_back(batch.source_rows[row]);
    }
  }
  EXPECT_EQ(reader->rows_rejected(), static_cast<int64_t>(read.rejects.size()));
  return read;
}

class CsvEdgar : public ::testing::TestWithParam<EdgarFile> {};

// With `cik` read as text (its exact form), every row of every file is read, none rejected,
// and the (ip, date, time) keys and empty sizes are those the README counts.
TEST_P(CsvEdgar, RowsAndKeysMatchTheReadme) {
  const EdgarFile& file = GetParam();
  formats::SourceOptions options;
  options.column_types = {{"cik", Type::kString}};
  Read read = read_all(edgar(file.name), options);
  EXPECT_TRUE(read.rejects.empty());
  ASSERT_EQ(read.rows.size(), file.rows);
  const auto& schema = *read.schema;
  ASSERT_EQ(schema.size(), 15u);
  const size_t ip = *schema.index_of("ip"), date = *schema.index_of("date"), time = *schema.index_of("time");
  const size_t size = *schema.index_of("size");
  std::set<std::string> keys;
  size_t null_size = 0;
  for (const auto& row : read.rows) {
    keys.insert(row[ip] + "|" + row[date] + "|" + row[time]);
    null_size += row[size] == "<NULL>";
  }
  EXPECT_EQ(keys.size(), file.distinct_keys);
  EXPECT_EQ(null_size, file.null_size);
  // Header on line 1, one record per line after it.
  EXPECT_EQ(read.lines.front(), 2);
  EXPECT_EQ(read.lines.back(), static_cast<int64_t>(file.rows) + 1);
}

// The inferred types: the SEC's decimals ("200.0", "500.0", "1608552.0") are integers.
TEST_P(CsvEdgar, InfersTheEdgarTypes) {
  const EdgarFile& file = GetParam();
  formats::SourceOptions options;
  options.batch_rows = 1;  // read only the schema and one batch
  auto reader = formats::csv::open_csv(edgar(file.name), options);
  const Schema& schema = *reader->schema();
  for (const char* name : {"ip", "accession", "extention", "browser"}) {
    EXPECT_EQ(schema.field(*schema.index_of(name)).type, Type::kString) << name;
  }
  EXPECT_EQ(schema.field(*schema.index_of("date")).type, Type::kDate);
  EXPECT_EQ(schema.field(*schema.index_of("time")).type, Type::kTime);
  for (const char* name : {"zone", "cik", "code", "size", "idx", "norefer", "noagent", "find", "crawler"}) {
    EXPECT_EQ(schema.field(*schema.index_of(name)).type, Type::kInt64) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(AllFiles, CsvEdgar, ::testing::ValuesIn(kFiles),
                         [](const ::testing::TestParamInfo<EdgarFile>& param_info) {
                           std::string name = param_info.param.name.substr(0, param_info.param.name.size() - 4);
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// With the default typing, cik is inferred int64 from the first 10,000 rows; the two values
// beyond int64 later in the file are rejected by name, never clamped.
TEST(CsvEdgarRejects, HugeCikValuesAreTheOnlyRejects) {
  const std::string path = edgar("zxshwan-edgar-analytics-log20170630-first24999.csv");
  Read read = read_all(path);
  EXPECT_EQ(read.schema->field(*read.schema->index_of("cik")).type, Type::kInt64);
  EXPECT_EQ(read.rows.size(), 24997u);
  ASSERT_EQ(read.rejects.size(), 2u);
  EXPECT_EQ(read.rejects[0].file, path);
  EXPECT_EQ(read.rejects[0].line, 11818);
  EXPECT_EQ(read.rejects[0].column, "cik");
  EXPECT_EQ(read.rejects[0].reason,
            "column cik: value '1.9617000089109215e+22' is not an integer in the int64 range");
  EXPECT_NE(read.rejects[0].raw.find(",1.9617000089109215e+22,"), std::string::npos);
  EXPECT_EQ(read.rejects[1].line, 23418);
  EXPECT_EQ(read.rejects[1].reason,
            "column cik: value '1.414517000157105e+24' is not an integer in the int64 range");
  // Lines around the rejects are delivered with their own line numbers.
  EXPECT_EQ(read.lines[11815], 11817);
  EXPECT_EQ(read.lines[11816], 11819);

  // Typed as double, every row is read (the value is kept as a double).
  formats::SourceOptions options;
  options.column_types = {{"cik", Type::kDouble}};
  read = read_all(path, options);
  EXPECT_TRUE(read.rejects.empty());
  EXPECT_EQ(read.rows.size(), 24999u);
  EXPECT_EQ(read.rows[11816][*read.schema->index_of("cik")], "1.9617000089109215e+22");
}

TEST(CsvEdgarValues, FirstRowOfThe2017File) {
  Read read = read_all(edgar("insight-edgar-analytics-test1.log.csv"));
  ASSERT_EQ(read.rows.size(), 10u);
  EXPECT_EQ(read.rows[0], (std::vector<std::string>{"101.81.133.jja", "2017-06-30", "00:00:00", "0", "1608552",
                                                    "0001047469-17-004337", "-index.htm", "200", "80251", "1", "0",
                                                    "0", "9", "0", "<NULL>"}));
}

// The re-exported file quotes every field; without the quotes it must read the same values.
TEST(CsvEdgarValues, QuotedFileReadsLikeItsUnquotedText) {
  const std::string quoted = edgar("kcg2015-edgar-analytics-log20050101-quoted.csv");
  std::string text = testing::read_file(quoted);
  ASSERT_EQ(text.substr(0, 5), "\"ip\",");
  std::string unquoted;
  for (char c : text) {
    if (c != '"') unquoted += c;  // no field holds a comma or a quote
  }
  testing::TempDir dir;
  testing::write_file(dir.file("unquoted.csv"), unquoted);
  Read from_quoted = read_all(quoted);
  Read from_plain = read_all(dir.file("unquoted.csv"));
  EXPECT_TRUE(from_quoted.rejects.empty());
  EXPECT_EQ(from_quoted.schema->to_string(), from_plain.schema->to_string());
  ASSERT_EQ(from_quoted.rows.size(), 206u);
  EXPECT_EQ(from_quoted.rows, from_plain.rows);
  // Quoted empty `size` ("") is NULL, like an empty unquoted field.
  size_t size_col = *from_quoted.schema->index_of("size");
  size_t nulls = 0;
  for (const auto& row : from_quoted.rows) nulls += row[size_col] == "<NULL>";
  EXPECT_EQ(nulls, 2u);
}

// The spreadsheet re-save collapsed the huge cik values to 15 digits: they fit int64.
TEST(CsvEdgarValues, ResavedFileCollapsedCikFits) {
  Read read = read_all(edgar("hkirfan-edgar-analytics-log20170630-000514-resaved.csv"));
  EXPECT_TRUE(read.rejects.empty());
  ASSERT_EQ(read.rows.size(), 5000u);
  EXPECT_EQ(read.lines[1263], 1265);
  EXPECT_EQ(read.rows[1263][*read.schema->index_of("cik")], "117891317001629");
}

}  // namespace
}  // namespace idemload
