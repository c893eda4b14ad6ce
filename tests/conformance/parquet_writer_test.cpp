// The Parquet writer: files written with every codec, with and without dictionaries, over
// several row groups, are read back by our reader and by DuckDB (a real node child process
// running tests/node/read_parquet.js), and every value is compared.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "core/value_text.h"
#include "formats/parquet/file_reader.h"
#include "formats/parquet/parquet_reader.h"
#include "formats/parquet/parquet_writer.h"
#include "test_util.h"

namespace idemload {
namespace {

namespace pq = formats::parquet;
using nlohmann::json;

constexpr size_t kRows = 2500;

std::shared_ptr<const Schema> test_schema() {
  std::vector<Field> fields = {
      {"id", Type::kInt64, false},
      {"flag", Type::kBool},
      {"big", Type::kInt64},
      {"ratio", Type::kDouble},
      {"name", Type::kString},
      {"blob", Type::kBinary},
      {"day", Type::kDate},
      {"ts", Type::kTimestamp},
      {"tod", Type::kTime},
      {"amount", Type::kDecimal, true, 10, 2},
      {"wide", Type::kDecimal, true, 30, 5},
  };
  return std::make_shared<const Schema>(std::move(fields));
}

std::string decimal_text(int64_t unscaled, int scale) {
  std::string digits = std::to_string(unscaled < 0 ? -unscaled : unscaled);
  while (static_cast<int>(digits.size()) <= scale) digits.insert(digits.begin(), '0');
  digits.insert(digits.end() - scale, '.');
  return (unscaled < 0 ? "-" : "") + digits;
}

Batch test_batch() {
  Batch batch(test_schema());
  for (size_t row = 0; row < kRows; ++row) {
    const auto i = static_cast<int64_t>(row);
    batch.column(0).append_int(i);
    if (row % 3 == 0) batch.column(1).append_null(); else batch.column(1).append_int(i % 2);
    if (row == 5) batch.column(2).append_int(std::numeric_limits<int64_t>::min());
    else if (row == 6) batch.column(2).append_int(std::numeric_limits<int64_t>::max());
    else if (row % 7 == 0) batch.column(2).append_null();
    else batch.column(2).append_int(i * 1000000007LL - 500000000000LL);
    if (row == 7) batch.column(3).append_double(std::nan(""));
    else if (row == 8) batch.column(3).append_double(-std::numeric_limits<double>::infinity());
    else if (row == 9) batch.column(3).append_double(-0.0);
    else if (row % 11 == 0) batch.column(3).append_null();
    else batch.column(3).append_double(static_cast<double>(i) * 0.1 - 100.0);
    if (row % 13 == 0) batch.column(4).append_null();
    else if (row % 17 == 0) batch.column(4).append_bytes("");
    else batch.column(4).append_bytes(fmt::format("name_{}_é✓", row % 50));
    if (row % 5 == 0) {
      batch.column(5).append_null();
    } else {
      std::string bytes = {'\0', static_cast<char>(row & 0xff), 'a', static_cast<char>(0xff)};
      batch.column(5).append_bytes(bytes);
    }
    batch.column(6).append_int(i - 1000);
    if (row % 19 == 0) batch.column(7).append_null(); else batch.column(7).append_int(1490745600000000LL + i * 1234567);
    batch.column(8).append_int((i * 1000003LL * 997) % 86400000000LL);
    if (row % 23 == 0) batch.column(9).append_null(); else batch.column(9).append_bytes(decimal_text(i * 7 - 5000, 2));
    batch.column(10).append_bytes(decimal_text(i * 987654321987LL - 12345678901234LL, 5));
  }
  return batch;
}

bool same_value(const Column& a, size_t row_a, const Column& b, size_t row_b) {
  if (a.is_null(row_a) || b.is_null(row_b)) return a.is_null(row_a) == b.is_null(row_b);
  switch (a.storage()) {
    case Storage::kInts: return a.int_at(row_a) == b.int_at(row_b);
    case Storage::kDoubles: {
      double x = a.double_at(row_a), y = b.double_at(row_b);
      if (std::isnan(x)) return std::isnan(y);
      return x == y && std::signbit(x) == std::signbit(y);
    }
    case Storage::kBytes: return a.bytes_at(row_a) == b.bytes_at(row_b);
  }
  return false;
}

std::string blob_text(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    // DuckDB escapes bytes outside printable ASCII and the quote and backslash characters.
    if (c >= 32 && c <= 126 && c != '\\' && c != '"' && c != '\'') out.push_back(static_cast<char>(c));
    else out += fmt::format("\\x{:02X}", c);
  }
  return out;
}

// Compares our value with DuckDB's VARCHAR text of it, by DuckDB's column type.
bool matches_duckdb(const Column& column, size_t row, const json& text_value, const std::string& duck_type) {
  if (column.is_null(row) || text_value.is_null()) return column.is_null(row) && text_value.is_null();
  const std::string text = text_value.get<std::string>();
  if (duck_type == "BIGINT") return std::to_string(column.int_at(row)) == text;
  if (duck_type == "BOOLEAN") return (column.int_at(row) != 0 ? "true" : "false") == text;
  if (duck_type == "DOUBLE") {
    double want = std::strtod(text.c_str(), nullptr);
    double got = column.double_at(row);
    if (std::isnan(want)) return std::isnan(got);
    return got == want && std::signbit(got) == std::signbit(want);
  }
  if (duck_type == "VARCHAR" || duck_type.rfind("DECIMAL", 0) == 0) return column.bytes_at(row) == text;
  if (duck_type == "BLOB") return blob_text(column.bytes_at(row)) == text;
  if (duck_type == "DATE") return format_date(column.int_at(row)) == text;
  if (duck_type == "TIMESTAMP WITH TIME ZONE") {
    std::string instant = text;
    if (instant.size() > 3 && instant.compare(instant.size() - 3, 3, "+00") == 0) instant.resize(instant.size() - 3);
    auto micros = parse_timestamp(instant);
    return micros && *micros == column.int_at(row);
  }
  if (duck_type == "TIME") {
    auto micros = parse_time(text);
    return micros && *micros == column.int_at(row);
  }
  ADD_FAILURE() << "unexpected DuckDB type " << duck_type;
  return false;
}

struct WriterCase {
  std::string name;
  pq::ParquetWriteOptions options;
};

class ParquetWriterTest : public ::testing::TestWithParam<WriterCase> {};

TEST_P(ParquetWriterTest, OurReaderAndDuckDbReadBackEveryValue) {
  testing::TempDir dir;
  const std::string path = dir.file("out.parquet");
  const Batch source = test_batch();
  {
    pq::ParquetWriter writer(path, source.schema(), GetParam().options);
    // Write in uneven pieces so that batches and row groups do not line up.
    std::vector<uint32_t> rows;
    size_t begin = 0;
    for (size_t piece : {size_t{1}, size_t{999}, size_t{700}, kRows}) {
      size_t end = std::min(kRows, begin + piece);
      rows.clear();
      for (size_t row = begin; row < end; ++row) rows.push_back(static_cast<uint32_t>(row));
      writer.write(source.take(rows));
      begin = end;
    }
    writer.close();
    EXPECT_EQ(writer.rows_written(), static_cast<int64_t>(kRows));
  }

  // Our reader: the same schema and values.
  pq::ParquetFile file(path, pq::open_file_source(path));
  const size_t groups = (kRows + GetParam().options.row_group_rows - 1) / GetParam().options.row_group_rows;
  EXPECT_EQ(file.metadata().row_groups.size(), groups);
  const auto& id_stats = file.metadata().row_groups[0].columns[0].meta_data.statistics;
  ASSERT_TRUE(id_stats.min_value && id_stats.max_value);
  int64_t min_id, max_id;
  std::memcpy(&min_id, id_stats.min_value->data(), 8);
  std::memcpy(&max_id, id_stats.max_value->data(), 8);
  EXPECT_EQ(min_id, 0);
  EXPECT_EQ(max_id, static_cast<int64_t>(std::min(kRows, GetParam().options.row_group_rows)) - 1);
  EXPECT_EQ(file.metadata().row_groups[0].columns[1].meta_data.statistics.null_count, (std::min(kRows, GetParam().options.row_group_rows) + 2) / 3);

  auto reader = pq::open_parquet(path, {});
  EXPECT_EQ(reader->schema()->fields(), source.schema().fields());
  Batch batch;
  size_t row = 0;
  while (reader->next(batch)) {
    for (size_t idx = 0; idx < batch.num_rows(); ++idx, ++row) {
      for (size_t col = 0; col < batch.num_columns(); ++col) {
        ASSERT_TRUE(same_value(batch.column(col), idx, source.column(col), row))
            << "row " << row << " column " << source.schema().field(col).name << ": " << value_text(batch.column(col), idx)
            << " vs " << value_text(source.column(col), row);
      }
    }
  }
  EXPECT_EQ(row, kRows);

  // DuckDB, as a real child process.
  auto result = testing::run({"node", (testing::source_dir() / "tests" / "node" / "read_parquet.js").string(), path});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  json doc = json::parse(result.out);
  const auto& columns = doc.at("columns");
  ASSERT_EQ(columns.size(), source.num_columns());
  std::vector<std::string> types;
  for (size_t col = 0; col < columns.size(); ++col) {
    EXPECT_EQ(columns[col].at("name").get<std::string>(), source.schema().field(col).name);
    types.push_back(columns[col].at("type").get<std::string>());
  }
  EXPECT_EQ(types[9], "DECIMAL(10,2)");
  EXPECT_EQ(types[10], "DECIMAL(30,5)");
  const auto& rows = doc.at("rows");
  ASSERT_EQ(rows.size(), kRows);
  int mismatches = 0;
  for (size_t r = 0; r < kRows; ++r) {
    for (size_t col = 0; col < source.num_columns(); ++col) {
      if (!matches_duckdb(source.column(col), r, rows[r][col], types[col]) && ++mismatches <= 10) {
        ADD_FAILURE() << "row " << r << " column " << source.schema().field(col).name << " (" << types[col]
                      << "): ours " << value_text(source.column(col), r) << ", DuckDB " << rows[r][col].dump();
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Options, ParquetWriterTest,
    ::testing::Values(WriterCase{"uncompressed_plain", {pq::Codec::kUncompressed, 1000, false}},
                      WriterCase{"snappy_dictionary", {pq::Codec::kSnappy, 1000, true}},
                      WriterCase{"zstd_dictionary_small_pages", {pq::Codec::kZstd, 1200, true, 4096}},
                      WriterCase{"gzip_one_row_group", {pq::Codec::kGzip, 100000, false}}),
    [](const ::testing::TestParamInfo<WriterCase>& param_info) { return param_info.param.name; });

TEST(ParquetWriter, NullInRequiredColumnIsInvalidInput) {
  testing::TempDir dir;
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"id", Type::kInt64, false}});
  Batch batch(schema);
  batch.column(0).append_int(1);
  batch.column(0).append_null();
  pq::ParquetWriter writer(dir.file("x.parquet"), *schema, {});
  writer.write(batch);
  try {
    writer.close();
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
    EXPECT_EQ(error.context().column, "id");
    EXPECT_EQ(error.context().row, 1);
  }
}

TEST(ParquetWriter, UnclosedFileIsRefusedByTheReader) {
  testing::TempDir dir;
  const std::string path = dir.file("partial.parquet");
  {
    pq::ParquetWriter writer(path, *test_schema(), {pq::Codec::kSnappy, 100, true});
    writer.write(test_batch());
  }
  try {
    pq::open_parquet(path, {});
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kCorruption);
  }
}

}  // namespace
}  // namespace idemload
