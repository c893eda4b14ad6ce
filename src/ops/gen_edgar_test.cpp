#include "ops/gen_edgar.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/value_text.h"
#include "formats/csv/csv_writer.h"
#include "formats/source.h"
#include "ops/key_set.h"
#include "test_util.h"

namespace idemload::ops {
namespace {

std::string edgar_file(const std::string& name) { return std::string(IDEMLOAD_FIXTURES_DIR) + "/edgar/" + name; }

std::string generate_text(EdgarGenerator::Options options, size_t batch_rows) {
  EdgarGenerator generator(std::move(options));
  std::string text;
  Batch batch;
  while (generator.next(batch, batch_rows)) append_edgar_csv(batch, text);
  return text;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST(EdgarGenerator, SchemaIsWhatTheCsvReaderInfersFromTheRealFiles) {
  const Schema& schema = *EdgarGenerator::schema();
  EXPECT_EQ(schema.to_string(),
            "ip string, date date, time time, zone int64, cik int64, accession string, extention string, "
            "code int64, size int64, idx int64, norefer int64, noagent int64, find int64, crawler int64, "
            "browser string");
  // The real files, SEC format (2017 and 2003): the reader infers the same columns.
  for (const char* file : {"werkhoven-insight-edgar-challenge-log20170214-first2170.csv",
                           "vasantivmahajan-sec-log20030301-fullday.csv"}) {
    auto reader = formats::open_file(edgar_file(file), formats::SourceOptions{});
    EXPECT_EQ(reader->schema()->to_string(), schema.to_string()) << file;
  }
  EXPECT_EQ(EdgarGenerator::sec_text_schema()->to_string(),
            "ip string, date date, time time, zone string, cik string, accession string, extention string, "
            "code string, size string, idx string, norefer string, noagent string, find string, "
            "crawler string, browser string");
}

// append_edgar_csv writes what the SEC writes: reading a real SEC file and writing its batches
// back gives the file byte for byte.
TEST(EdgarCsv, RewritesRealFilesByteForByte) {
  for (const char* file : {"werkhoven-insight-edgar-challenge-log20170214-first2170.csv",
                           "vasantivmahajan-sec-log20030301-fullday.csv",
                           "zxshwan-edgar-analytics-log20170514-first244.csv"}) {
    auto reader = formats::open_file(edgar_file(file), formats::SourceOptions{});
    std::string text = std::string(edgar_csv_header()) + "\n";
    Batch batch;
    while (reader->next(batch)) append_edgar_csv(batch, text);
    std::string original = slurp(edgar_file(file));
    if (!original.empty() && original.back() != '\n') original.push_back('\n');  // one file lacks the last newline
    EXPECT_EQ(text.size(), original.size()) << file;
    EXPECT_TRUE(text == original) << file;
  }
}

TEST(EdgarGenerator, DeterministicAndIndependentOfBatchSize) {
  EdgarGenerator::Options options;
  options.rows = 30000;
  std::string reference = generate_text(options, kDefaultBatchRows);
  EXPECT_EQ(generate_text(options, 1), reference);
  EXPECT_EQ(generate_text(options, 999), reference);
  EXPECT_EQ(generate_text(options, 100000), reference);
  options.seed = 43;
  EXPECT_NE(generate_text(options, kDefaultBatchRows), reference);

  // The SEC's text: "200.0" numbers, empty browser and size fields.
  std::istringstream lines(reference);
  std::string line;
  std::regex shape(
      R"(\d{1,3}\.\d{1,3}\.\d{1,3}\.[a-j]{3},2017-06-30,\d\d:\d\d:\d\d,0\.0,\d{6,7}\.0,\d{10}-\d\d-\d{6},[^,]+,)"
      R"(\d+\.0,(\d+\.0)?,[01]\.0,[01]\.0,[01]\.0,\d{1,2}\.0,[01]\.0,[a-z]{0,3})");
  int checked = 0;
  while (std::getline(lines, line) && checked < 3000) {
    ASSERT_TRUE(std::regex_match(line, shape)) << line;
    ++checked;
  }
  EXPECT_NE(reference.substr(0, reference.find('\n')).find(",2017-06-30,00:00:00,0.0,"), std::string::npos);
}

TEST(EdgarGenerator, RowsAreRealistic) {
  EdgarGenerator::Options options;
  options.rows = 200000;
  options.seed = 7;
  options.date = "2017-03-29";
  EdgarGenerator generator(options);
  Batch batch;
  int64_t rows = 0, code_200 = 0, null_browser = 0, previous_time = -1, backwards = 0;
  std::set<std::string> ips;
  int64_t first_time = -1, last_time = -1;
  int64_t day = *parse_date("2017-03-29");
  while (generator.next(batch)) {
    EXPECT_EQ(batch.schema_ptr(), EdgarGenerator::schema());
    for (size_t row = 0; row < batch.num_rows(); ++row, ++rows) {
      ASSERT_EQ(batch.column(1).int_at(row), day);
      int64_t time = batch.column(2).int_at(row);
      ASSERT_GE(time, 0);
      ASSERT_LT(time, int64_t{86400} * 1000000);
      ASSERT_EQ(time % 1000000, 0);
      backwards += time < previous_time;
      previous_time = time;
      if (first_time < 0) first_time = time;
      last_time = time;
      int64_t cik = batch.column(4).int_at(row);
      ASSERT_TRUE(cik >= 100000 && cik <= 9999999) << cik;
      int64_t code = batch.column(7).int_at(row);
      code_200 += code == 200;
      ASSERT_EQ(batch.column(8).is_null(row), code == 304) << "size is empty exactly on 304 replies";
      std::string_view extention = batch.column(6).bytes_at(row);
      ASSERT_EQ(batch.column(9).int_at(row), extention == "-index.htm" || extention == "-index.html" ? 1 : 0);
      ASSERT_EQ(batch.column(3).int_at(row), 0);
      null_browser += batch.column(14).is_null(row);
      ips.insert(std::string(batch.column(0).bytes_at(row)));
    }
  }
  EXPECT_EQ(rows, 200000);
  EXPECT_EQ(generator.rows_emitted(), 200000);
  EXPECT_EQ(first_time, 0);
  EXPECT_GE(last_time, int64_t{86390} * 1000000);
  // Time runs forward except where a duplicate repeats a slightly earlier key.
  EXPECT_LE(backwards, generator.duplicate_key_rows());
  EXPECT_GT(code_200, rows * 7 / 10);
  EXPECT_GT(null_browser, rows * 9 / 10);
  EXPECT_GT(ips.size(), 500u);

  // 2003: zone 500 and the browser mostly filled in, as in the older files.
  options.date = "2003-03-01";
  options.rows = 1000;
  EdgarGenerator old(options);
  ASSERT_TRUE(old.next(batch));
  EXPECT_EQ(batch.column(3).int_at(0), 500);
  EXPECT_LT(batch.column(14).null_count(), 400u);
}

// About `duplicate_fraction` of the rows repeat an earlier key, and exactly the rows the
// generator says: counted independently with a KeySet over the key and over whole rows.
TEST(EdgarGenerator, DuplicateShare) {
  for (uint64_t seed : {1, 42}) {
    EdgarGenerator::Options options;
    options.rows = 300000;
    options.seed = seed;
    EdgarGenerator generator(options);
    KeySet keys, whole_rows;
    std::vector<size_t> all_columns;
    for (size_t column_idx = 0; column_idx < 15; ++column_idx) all_columns.push_back(column_idx);
    Batch batch;
    while (generator.next(batch)) {
      keys.insert_keys(batch, EdgarGenerator::key_columns());
      whole_rows.insert_keys(batch, all_columns);
    }
    int64_t duplicate_keys = options.rows - static_cast<int64_t>(keys.size());
    int64_t exact = options.rows - static_cast<int64_t>(whole_rows.size());
    EXPECT_EQ(duplicate_keys, generator.duplicate_key_rows());
    EXPECT_EQ(exact, generator.exact_duplicate_rows());
    // Binomial(n, 0.03): within 5 standard deviations.
    double rows = static_cast<double>(options.rows);
    double sd = std::sqrt(rows * 0.03 * 0.97);
    EXPECT_LE(std::fabs(static_cast<double>(duplicate_keys) - rows * 0.03), 5 * sd) << duplicate_keys;
    // A quarter of those repeat the whole row.
    EXPECT_GT(exact, duplicate_keys / 6);
    EXPECT_LT(exact, duplicate_keys / 3);
  }
  EdgarGenerator::Options none;
  none.rows = 50000;
  none.duplicate_fraction = 0;
  EdgarGenerator generator(none);
  KeySet keys;
  Batch batch;
  while (generator.next(batch)) keys.insert_keys(batch, EdgarGenerator::key_columns());
  EXPECT_EQ(keys.size(), 50000u);
}

// The text style for a generic CSV writer: CsvWriter over kSecDecimals batches writes the same
// bytes as append_edgar_csv over typed ones, and the CSV reader reads them back as schema().
TEST(EdgarGenerator, SecDecimalsThroughCsvWriter) {
  idemload::testing::TempDir dir;
  EdgarGenerator::Options options;
  options.rows = 20000;
  options.text_style = EdgarTextStyle::kSecDecimals;
  EdgarGenerator text_generator(options);
  EXPECT_EQ(text_generator.output_schema(), EdgarGenerator::sec_text_schema());
  {
    formats::csv::CsvWriter writer(dir.file("log.csv"), *EdgarGenerator::sec_text_schema());
    Batch batch;
    while (text_generator.next(batch, 4096)) writer.write(batch);
    writer.close();
  }
  options.text_style = EdgarTextStyle::kTyped;
  std::string expected = std::string(edgar_csv_header()) + "\n" + generate_text(options, 5000);
  std::string written = slurp(dir.file("log.csv"));
  EXPECT_TRUE(written == expected) << written.substr(0, 400) << "\n---\n" << expected.substr(0, 400);

  auto reader = formats::open_file(dir.file("log.csv"), formats::SourceOptions{});
  EXPECT_EQ(reader->schema()->to_string(), EdgarGenerator::schema()->to_string());
  std::string reread;
  Batch batch;
  while (reader->next(batch)) append_edgar_csv(batch, reread);
  EXPECT_TRUE(std::string(edgar_csv_header()) + "\n" + reread == expected);
  EXPECT_EQ(reader->rows_rejected(), 0);
}

TEST(EdgarGenerator, BadOptions) {
  EdgarGenerator::Options options;
  options.rows = 10;
  options.date = "2017-13-01";
  EXPECT_THROW(EdgarGenerator{options}, Error);
  options.date = "2017-06-30";
  options.duplicate_fraction = 1.0;
  EXPECT_THROW(EdgarGenerator{options}, Error);
  options.duplicate_fraction = 0.03;
  options.rows = -1;
  try {
    EdgarGenerator generator(options);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
  }
  options.rows = 0;
  EdgarGenerator empty(options);
  Batch batch;
  EXPECT_FALSE(empty.next(batch));
}

}  // namespace
}  // namespace idemload::ops
