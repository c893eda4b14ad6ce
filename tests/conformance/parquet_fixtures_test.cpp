// Reads every Parquet fixture (parquet-testing, its bad_data/, and the EDGAR table written by
// four other writers) and compares each value with the expected CSV by type: numbers as
// numbers, timestamps as instants, decimals as exact text. Files marked `refuse` must fail with
// a clear idemload::Error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/value_text.h"
#include "formats/parquet/file_reader.h"
#include "formats/parquet/parquet_reader.h"
#include "test_util.h"

namespace idemload {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Fixture {
  std::string name;  // for the test name
  fs::path parquet;
  fs::path expected_json;
};

std::vector<Fixture> all_fixtures() {
  std::vector<Fixture> out;
  const fs::path root = testing::fixtures_dir() / "parquet";
  auto add_dir = [&](const fs::path& dir, const fs::path& expected_dir, const std::string& prefix) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".parquet") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::string stem = file.stem().string();
      out.push_back({prefix + stem, file, expected_dir / (stem + ".expected.json")});
    }
  };
  add_dir(root / "parquet-testing", root / "parquet-testing" / "expected", "");
  add_dir(root / "parquet-testing" / "bad_data", root / "parquet-testing" / "bad_data" / "expected", "bad_data_");
  add_dir(root / "writers", root / "writers", "writers_");
  return out;
}

// One CSV field: its text and whether it was quoted (an unquoted empty field is NULL).
struct CsvField {
  std::string text;
  bool quoted = false;
};

std::vector<std::vector<CsvField>> parse_csv(const std::string& text) {
  std::vector<std::vector<CsvField>> rows;
  std::vector<CsvField> row;
  CsvField field;
  size_t pos = 0;
  bool in_quotes = false;
  bool any = false;
  while (pos < text.size()) {
    char c = text[pos];
    if (in_quotes) {
      if (c == '"') {
        if (pos + 1 < text.size() && text[pos + 1] == '"') {
          field.text.push_back('"');
          pos += 2;
          continue;
        }
        in_quotes = false;
      } else {
        field.text.push_back(c);
      }
      ++pos;
      continue;
    }
    if (c == '"') {
      in_quotes = true;
      field.quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field = {};
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
      row.push_back(std::move(field));
      field = {};
      rows.push_back(std::move(row));
      row.clear();
      any = false;
    } else {
      field.text.push_back(c);
      any = true;
    }
    ++pos;
  }
  if (any || !field.text.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

// "YYYY...-MM-DD" with a year of four or more digits.
std::optional<int64_t> parse_days(std::string_view text, size_t& used) {
  size_t dash = text.find('-', 1);
  if (dash == std::string_view::npos || dash + 6 > text.size()) return std::nullopt;
  int64_t year = std::stoll(std::string(text.substr(0, dash)));
  unsigned month = static_cast<unsigned>(std::stoi(std::string(text.substr(dash + 1, 2))));
  unsigned day = static_cast<unsigned>(std::stoi(std::string(text.substr(dash + 4, 2))));
  used = dash + 6;
  return days_from_civil(year, month, day);
}

std::optional<int64_t> parse_time_of_day(std::string_view text) {
  if (text.size() < 8) return std::nullopt;
  int64_t hours = std::stoll(std::string(text.substr(0, 2)));
  int64_t minutes = std::stoll(std::string(text.substr(3, 2)));
  int64_t seconds = std::stoll(std::string(text.substr(6, 2)));
  int64_t micros = 0;
  if (text.size() > 9 && text[8] == '.') {
    std::string fraction(text.substr(9));
    while (fraction.size() < 6) fraction.push_back('0');
    micros = std::stoll(fraction.substr(0, 6));
  }
  return ((hours * 60 + minutes) * 60 + seconds) * 1000000 + micros;
}

std::optional<int64_t> parse_instant(std::string_view text) {
  size_t used = 0;
  auto days = parse_days(text, used);
  if (!days) return std::nullopt;
  if (used == text.size()) return *days * 86400000000LL;
  auto time = parse_time_of_day(text.substr(used + 1));
  if (!time) return std::nullopt;
  return *days * 86400000000LL + *time;
}

// DuckDB's text for a BLOB: printable ASCII as is, other bytes as \xHH.
std::string blob_text(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 32 && c <= 126 && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02X", c);
      out += buffer;
    }
  }
  return out;
}

bool same_double(double actual, double expected) {
  if (std::isnan(expected)) return std::isnan(actual);
  return actual == expected && std::signbit(actual) == std::signbit(expected);
}

// Compares one value; returns an empty string when equal, else a description.
std::string compare_value(const Column& column, size_t row, const CsvField& expected, const std::string& duckdb_type) {
  bool expected_null = expected.text.empty() && !expected.quoted;
  if (column.is_null(row) || expected_null) {
    if (column.is_null(row) == expected_null) return "";
    return column.is_null(row) ? "NULL, expected '" + expected.text + "'" : "'" + value_text(column, row) + "', expected NULL";
  }
  const std::string& text = expected.text;
  bool ok = false;
  switch (column.type()) {
    case Type::kBool: ok = (column.int_at(row) != 0) == (text == "true"); break;
    case Type::kInt64: ok = std::to_string(column.int_at(row)) == text; break;
    case Type::kDouble: {
      double want = std::strtod(text.c_str(), nullptr);
      if (duckdb_type == "FLOAT") {
        ok = same_double(static_cast<float>(column.double_at(row)), static_cast<float>(std::strtof(text.c_str(), nullptr)));
      } else {
        ok = same_double(column.double_at(row), want);
      }
      break;
    }
    case Type::kDate: {
      size_t used = 0;
      auto days = parse_days(text, used);
      ok = days && *days == column.int_at(row);
      break;
    }
    case Type::kTimestamp: {
      auto micros = parse_instant(text);
      ok = micros && *micros == column.int_at(row);
      break;
    }
    case Type::kTime: {
      auto micros = parse_time_of_day(text);
      ok = micros && *micros == column.int_at(row);
      break;
    }
    case Type::kDecimal:
    case Type::kString: ok = column.bytes_at(row) == text; break;
    case Type::kBinary: ok = blob_text(column.bytes_at(row)) == text; break;
  }
  if (ok) return "";
  std::string actual = column.type() == Type::kBinary ? blob_text(column.bytes_at(row)) : value_text(column, row);
  return "'" + actual + "', expected '" + text + "'";
}

class ParquetFixtureTest : public ::testing::TestWithParam<Fixture> {};

void read_all(const std::string& path, size_t batch_rows, std::vector<Batch>& batches) {
  formats::SourceOptions options;
  options.batch_rows = batch_rows;
  auto reader = formats::parquet::open_parquet(path, options);
  Batch batch;
  while (reader->next(batch)) {
    EXPECT_LE(batch.num_rows(), batch_rows);
    EXPECT_EQ(batch.source_file, path);
    batches.push_back(std::move(batch));
    batch = Batch();
  }
}

void check_against_expected(const Fixture& fixture, const json& doc, const std::vector<Batch>& batches) {
  const std::string path = fixture.parquet.string();
  fs::path csv_path = fixture.expected_json.parent_path() / doc.at("expected_csv").get<std::string>();
  auto rows = parse_csv(testing::read_file(csv_path));
  ASSERT_FALSE(rows.empty()) << csv_path;
  const auto& header = rows[0];
  ASSERT_FALSE(batches.empty() && doc.at("rows").get<int64_t>() > 0);
  formats::parquet::ParquetFile file(path, formats::parquet::open_file_source(path));
  EXPECT_EQ(file.metadata().row_groups.size(), doc.at("row_groups").get<size_t>());
  EXPECT_EQ(file.metadata().num_rows, doc.at("rows").get<int64_t>());
  std::vector<std::string> duckdb_types;
  for (const auto& entry : doc.at("duckdb_types")) {
    std::string text = entry.get<std::string>();
    duckdb_types.push_back(text.substr(text.rfind(' ') + 1));
  }
  // Decimal columns carry the file's precision and scale.
  const auto& columns = doc.at("columns");
  const Schema* schema = batches.empty() ? nullptr : &batches[0].schema();
  if (schema != nullptr) {
    ASSERT_EQ(schema->size(), header.size());
    for (size_t col = 0; col < header.size(); ++col) {
      EXPECT_EQ(schema->field(col).name, header[col].text);
      if (col < columns.size() && columns[col].contains("scale") && schema->field(col).type == Type::kDecimal) {
        EXPECT_EQ(schema->field(col).scale, columns[col]["scale"].get<int>()) << header[col].text;
        EXPECT_EQ(schema->field(col).precision, columns[col]["precision"].get<int>()) << header[col].text;
      }
    }
  }
  size_t row_idx = 0;
  int mismatches = 0;
  for (const auto& batch : batches) {
    for (size_t row = 0; row < batch.num_rows(); ++row, ++row_idx) {
      ASSERT_LT(row_idx + 1, rows.size()) << "more rows than the expected CSV";
      const auto& expected = rows[row_idx + 1];
      ASSERT_EQ(expected.size(), batch.num_columns()) << "CSV row " << row_idx + 1;
      for (size_t col = 0; col < batch.num_columns(); ++col) {
        std::string diff = compare_value(batch.column(col), row, expected[col], col < duckdb_types.size() ? duckdb_types[col] : "");
        if (!diff.empty() && ++mismatches <= 10) {
          ADD_FAILURE() << fixture.name << " row " << row_idx << " column " << header[col].text << ": " << diff;
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(row_idx + 1, rows.size()) << "row count";
  EXPECT_EQ(static_cast<int64_t>(row_idx), doc.at("rows").get<int64_t>());
}

TEST_P(ParquetFixtureTest, MatchesExpected) {
  const Fixture& fixture = GetParam();
  ASSERT_TRUE(fs::exists(fixture.expected_json)) << fixture.expected_json;
  json doc = json::parse(testing::read_file(fixture.expected_json));
  const std::string must = doc.value("reader_must", "read");
  const std::string path = fixture.parquet.string();
  std::vector<Batch> batches;
  if (must == "refuse") {
    try {
      read_all(path, 1000, batches);
      FAIL() << fixture.name << " was read although it must be refused";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kCorruption) << error.what();
      EXPECT_EQ(error.context().file, path);
      EXPECT_FALSE(error.message().empty());
      EXPECT_NE(std::string(error.what()).find(fixture.parquet.filename().string()), std::string::npos) << error.what();
    }
    return;
  }
  if (must == "read-or-refuse") {
    try {
      read_all(path, 1000, batches);
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kCorruption) << error.what();
      EXPECT_EQ(error.context().file, path);
      EXPECT_FALSE(error.context().column.empty()) << error.what();
      EXPECT_GE(error.context().page, 0) << error.what();
      return;
    }
  } else {
    ASSERT_EQ(must, "read");
    try {
      read_all(path, 777, batches);
    } catch (const Error& error) {
      FAIL() << error.what();
    }
  }
  check_against_expected(fixture, doc, batches);
}

// A value as text, nullopt for NULL.
std::optional<std::string> text_at(const Column& column, size_t row) {
  return column.is_null(row) ? std::nullopt : std::optional(value_text(column, row));
}

// Every value of a file as text, by column and file row.
using WholeFile = std::vector<std::vector<std::optional<std::string>>>;

// Reads the deferred columns of `batch` at the file rows `asked` and compares each value with
// the whole read's (a failure names the first that differs); returns how many it compared.
int64_t expect_deferred_read(const Batch& batch, const Schema& schema,
                             const std::vector<int64_t>& asked, const WholeFile& whole) {
  const std::vector<size_t> deferred = batch.deferred->columns();
  std::vector<Column> read;
  std::vector<Column*> out;
  for (size_t col : deferred) read.emplace_back(schema.field(col).type);
  for (auto& column : read) out.push_back(&column);
  batch.deferred->read(asked, out);
  int64_t compared = 0;
  for (size_t idx = 0; idx < deferred.size(); ++idx) {
    EXPECT_EQ(read[idx].size(), asked.size()) << schema.field(deferred[idx]).name;
    for (size_t pos = 0; pos < asked.size() && pos < read[idx].size(); ++pos, ++compared) {
      const auto& expected = whole[deferred[idx]][static_cast<size_t>(asked[pos])];
      if (text_at(read[idx], pos) != expected) {
        ADD_FAILURE() << schema.field(deferred[idx]).name << " row " << asked[pos] << ": "
                      << text_at(read[idx], pos).value_or("NULL") << ", expected "
                      << expected.value_or("NULL");
        return compared;
      }
    }
  }
  return compared;
}

// Each fixture read with its columns deferred (formats::BatchReader::defer_columns): the first
// column kept, or the last and the first, and the others read for the rows a pattern asks for
// (every row, a scattered few, runs in every other stretch of 100 rows, the last row only).
// Every value kept or read equals the same row's in a whole read: the pages skipped between
// the rows asked for (whole or in part, over every encoding the fixtures hold) leave each
// column's decoding where it belongs.
class ParquetDeferredTest : public ::testing::TestWithParam<Fixture> {};

// The fixtures that must be read and hold rows.
std::vector<Fixture> readable_fixtures() {
  std::vector<Fixture> out;
  for (const Fixture& fixture : all_fixtures()) {
    if (!fs::exists(fixture.expected_json)) continue;
    json doc = json::parse(testing::read_file(fixture.expected_json));
    if (doc.value("reader_must", "read") == "read" && doc.value("rows", int64_t{0}) > 0)
      out.push_back(fixture);
  }
  return out;
}

TEST_P(ParquetDeferredTest, DeferredColumnsReadTheRowsAskedFor) {
  const Fixture& fixture = GetParam();
  const std::string path = fixture.parquet.string();
  std::vector<Batch> batches;
  read_all(path, 777, batches);
  ASSERT_FALSE(batches.empty()) << "the expected file says it holds rows";
  const Schema& schema = batches[0].schema();
  WholeFile whole(schema.size());
  for (const auto& batch : batches) {
    for (size_t col = 0; col < schema.size(); ++col) {
      for (size_t row = 0; row < batch.num_rows(); ++row) {
        whole[col].push_back(text_at(batch.column(col), row));
      }
    }
  }
  const auto rows = static_cast<int64_t>(whole[0].size());
  if (schema.size() < 2) {
    EXPECT_FALSE(formats::parquet::open_parquet(path, {})->defer_columns({0}))
        << "nothing to defer";
    return;
  }
  const std::vector<std::pair<std::string, std::function<bool(int64_t)>>> patterns = {
      {"every row", [](int64_t) { return true; }},
      {"scattered", [](int64_t row) { return (row * 7919) % 13 < 2; }},
      {"runs", [](int64_t row) { return (row / 100) % 2 == 1 && row % 100 < 37; }},
      {"last row", [rows](int64_t row) { return row == rows - 1; }},
  };
  std::vector<std::vector<size_t>> keeps = {{0}};
  if (schema.size() > 2) keeps.push_back({schema.size() - 1, 0});  // two of two: nothing to defer
  for (const std::vector<size_t>& keep : keeps) {
    for (const auto& [pattern, wanted] : patterns) {
      SCOPED_TRACE(pattern + ", " + std::to_string(keep.size()) + " kept");
      formats::SourceOptions options;
      options.batch_rows = 500;
      auto reader = formats::parquet::open_parquet(path, options);
      ASSERT_TRUE(reader->defer_columns(keep));
      Batch batch;
      int64_t seen = 0, checked = 0;
      while (reader->next(batch)) {
        ASSERT_TRUE(batch.deferred != nullptr);
        ASSERT_EQ(batch.num_columns(), keep.size());
        ASSERT_EQ(batch.source_rows.size(), batch.num_rows());
        const std::vector<size_t>& deferred = batch.deferred->columns();
        ASSERT_EQ(deferred.size() + keep.size(), schema.size());
        std::vector<int64_t> asked;
        for (size_t row = 0; row < batch.num_rows(); ++row) {
          const int64_t file_row = batch.source_rows[row];
          ASSERT_EQ(file_row, seen++);
          for (size_t idx = 0; idx < keep.size(); ++idx) {
            const Column& column = batch.column(idx);
            EXPECT_EQ(text_at(column, row), whole[keep[idx]][static_cast<size_t>(file_row)]);
          }
          if (wanted(file_row)) asked.push_back(file_row);
        }
        checked += expect_deferred_read(batch, schema, asked, whole);
      }
      EXPECT_EQ(seen, rows);
      if (pattern == "every row") {
        EXPECT_EQ(checked, rows * static_cast<int64_t>(schema.size() - keep.size()));
      }

      // The same rows asked for at once, across every row group, from a reader's first batch.
      auto at_once = formats::parquet::open_parquet(path, options);
      ASSERT_TRUE(at_once->defer_columns(keep));
      ASSERT_TRUE(at_once->next(batch));
      std::vector<int64_t> asked;
      for (int64_t row = 0; row < rows; ++row) {
        if (wanted(row)) asked.push_back(row);
      }
      expect_deferred_read(batch, schema, asked, whole);
    }

    // Deferring stopped after the first batches: the later batches are whole, every column at
    // its row (the columns left out start inside a row group the others are part way through).
    for (int deferred_batches : {1, 3}) {
      SCOPED_TRACE(std::to_string(deferred_batches) + " batches deferred, then whole");
      formats::SourceOptions options;
      options.batch_rows = 300;
      auto reader = formats::parquet::open_parquet(path, options);
      ASSERT_TRUE(reader->defer_columns(keep));
      Batch batch;
      int64_t seen = 0;
      for (int count = 0; reader->next(batch); ++count) {
        if (count == deferred_batches) reader->stop_deferring();
        ASSERT_EQ(batch.deferred != nullptr, count <= deferred_batches) << "batch " << count;
        if (batch.deferred) {
          seen += static_cast<int64_t>(batch.num_rows());
          continue;
        }
        ASSERT_EQ(batch.num_columns(), schema.size());
        for (size_t row = 0; row < batch.num_rows(); ++row, ++seen) {
          ASSERT_EQ(batch.source_rows[row], seen);
          for (size_t col = 0; col < schema.size(); ++col) {
            const Column& column = batch.column(col);
            ASSERT_EQ(text_at(column, row), whole[col][static_cast<size_t>(seen)])
                << schema.field(col).name << " row " << seen;
          }
        }
      }
      EXPECT_EQ(seen, rows);
    }
  }
}

std::string fixture_name(const ::testing::TestParamInfo<Fixture>& param_info) {
  std::string name = param_info.param.name;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ParquetFixtureTest, ::testing::ValuesIn(all_fixtures()),
                         fixture_name);
INSTANTIATE_TEST_SUITE_P(Fixtures, ParquetDeferredTest, ::testing::ValuesIn(readable_fixtures()),
                         fixture_name);

fs::path corpus_file(const std::string& name) { return testing::fixtures_dir() / "parquet" / "parquet-testing" / name; }

TEST(ParquetReader, ChecksumMismatchNamesColumnAndPage) {
  const std::string path = corpus_file("datapage_v1-corrupt-checksum.parquet").string();
  std::vector<Batch> batches;
  try {
    read_all(path, 8192, batches);
    FAIL() << "expected a CRC error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kCorruption);
    EXPECT_NE(error.message().find("CRC"), std::string::npos) << error.what();
    EXPECT_EQ(error.context().row_group, 0);
    EXPECT_GE(error.context().page, 0);
    EXPECT_FALSE(error.context().column.empty());
  }
}

TEST(ParquetReader, ProjectionReadsOnlyTheNamedColumnsInOrder) {
  const std::string path = corpus_file("alltypes_plain.parquet").string();
  formats::SourceOptions options;
  options.columns = {"string_col", "ID"};  // case-insensitive match, order as asked
  auto reader = formats::parquet::open_parquet(path, options);
  ASSERT_EQ(reader->schema()->size(), 2u);
  EXPECT_EQ(reader->schema()->field(0).name, "string_col");
  EXPECT_EQ(reader->schema()->field(1).name, "id");
  Batch batch;
  std::vector<int64_t> ids;
  while (reader->next(batch)) {
    for (size_t row = 0; row < batch.num_rows(); ++row) ids.push_back(batch.column(1).int_at(row));
  }
  EXPECT_EQ(ids, (std::vector<int64_t>{4, 5, 6, 7, 2, 3, 0, 1}));
  EXPECT_EQ(reader->rows_read(), 8);
}

TEST(ParquetReader, UnknownProjectedColumnIsInvalidInput) {
  formats::SourceOptions options;
  options.columns = {"no_such_column"};
  try {
    formats::parquet::open_parquet(corpus_file("alltypes_plain.parquet").string(), options);
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(error.message().find("no_such_column"), std::string::npos) << error.what();
  }
}

TEST(ParquetReader, BatchesNeverCrossRowGroupsAndKeepSourceRows) {
  const std::string path = corpus_file("floating_orders_nan_count.parquet").string();  // 5 row groups of 10
  std::vector<Batch> batches;
  read_all(path, 4, batches);
  std::vector<size_t> sizes;
  int64_t next_row = 0;
  for (const auto& batch : batches) {
    sizes.push_back(batch.num_rows());
    for (int64_t source_row : batch.source_rows) EXPECT_EQ(source_row, next_row++);
  }
  EXPECT_EQ(next_row, 50);
  EXPECT_EQ(sizes.front(), 4u);
}

// Column a's first page (rows 0–2559) and b's second have damaged CRCs. With a deferred, a
// read of rows of its second page only passes over the first unopened, unchecked, and gives
// the values DuckDB reads; a read of a row of the first page fails, naming column a, page 0 and
// the row.
TEST(ParquetReader, DeferredPagesAreCheckedOnlyWhenRead) {
  const std::string path = corpus_file("datapage_v1-corrupt-checksum.parquet").string();
  const auto expected = parse_csv(
      testing::read_file(corpus_file("expected") / "datapage_v1-corrupt-checksum.expected.csv"));
  ASSERT_EQ(expected.size(), 5121u);
  formats::SourceOptions options;
  options.batch_rows = 1000;  // b's first page: next() reads no damaged page
  auto reader = formats::parquet::open_parquet(path, options);
  ASSERT_TRUE(reader->defer_columns({1}));
  EXPECT_FALSE(reader->defer_columns({0})) << "deferred twice";
  formats::SourceOptions twice = options;
  twice.columns = {"a", "b", "a"};
  EXPECT_FALSE(formats::parquet::open_parquet(path, twice)->defer_columns({1}))
      << "a projected twice";
  Batch batch;
  ASSERT_TRUE(reader->next(batch));
  ASSERT_TRUE(batch.deferred != nullptr);
  Column a(reader->schema()->field(0).type);
  std::vector<Column*> out{&a};
  batch.deferred->read({2560, 2561, 5119}, out);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(value_text(a, 0), expected[2561][0].text);
  EXPECT_EQ(value_text(a, 1), expected[2562][0].text);
  EXPECT_EQ(value_text(a, 2), expected[5120][0].text);

  auto again = formats::parquet::open_parquet(path, options);
  ASSERT_TRUE(again->defer_columns({1}));
  ASSERT_TRUE(again->next(batch));
  a.clear();
  try {
    batch.deferred->read({7}, out);
    FAIL() << "a damaged page was read without an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kCorruption);
    EXPECT_NE(error.message().find("CRC"), std::string::npos) << error.what();
    EXPECT_EQ(error.context().file, path);
    EXPECT_EQ(error.context().column, "a");
    EXPECT_EQ(error.context().page, 0);
    EXPECT_EQ(error.context().row, 0);
  }
}

TEST(ParquetReader, MissingFileIsInvalidInput) {
  try {
    formats::parquet::open_parquet("/nonexistent/x.parquet", {});
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
  }
}

}  // namespace
}  // namespace idemload
