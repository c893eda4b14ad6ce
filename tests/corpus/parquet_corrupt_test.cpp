// Corrupt Parquet input never crashes: fixture files truncated at many offsets, with bytes
// flipped in the footer and in every page header, with damaged magic and footer lengths. Each
// case must end in an idemload::Error (or, for a flip that leaves a valid file, a clean read);
// never another exception, never a crash. Pages with a CRC must detect any flipped payload byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "formats/parquet/file_reader.h"
#include "formats/parquet/file_metadata.h"
#include "formats/parquet/parquet_reader.h"
#include "test_util.h"

namespace idemload {
namespace {

namespace fs = std::filesystem;
namespace pq = formats::parquet;

std::string fixture_bytes(const std::string& name) {
  return testing::read_file(testing::fixtures_dir() / "parquet" / name);
}

enum class Outcome { kRead, kError };

// Reads every row of `bytes`; returns kError for an idemload::Error (saved in `error`). Any other
// exception fails the test.
Outcome read_bytes(const std::string& bytes, std::string* error = nullptr, ErrorKind* kind = nullptr) {
  try {
    formats::SourceOptions options;
    options.batch_rows = 512;
    auto reader = pq::open_parquet_buffer(bytes, "corrupt.parquet", options);
    Batch batch;
    while (reader->next(batch)) {
    }
    return Outcome::kRead;
  } catch (const Error& e) {
    if (error != nullptr) *error = e.what();
    if (kind != nullptr) *kind = e.kind();
    EXPECT_EQ(e.context().file, "corrupt.parquet");
    EXPECT_FALSE(e.message().empty());
    return Outcome::kError;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an idemload::Error: " << e.what();
    return Outcome::kError;
  }
}

// Byte ranges [begin, end) of every page header of every column chunk.
std::vector<std::pair<size_t, size_t>> page_header_ranges(const std::string& bytes) {
  std::vector<std::pair<size_t, size_t>> ranges;
  pq::ParquetFile file("x", pq::memory_source(bytes));
  for (size_t group = 0; group < file.metadata().row_groups.size(); ++group) {
    for (const auto& column : file.columns()) {
      std::string chunk;
      file.read_chunk(group, column, chunk);
      const auto& meta = file.metadata().row_groups[group].columns[column.leaf_index].meta_data;
      int64_t start = meta.data_page_offset;
      if (meta.dictionary_page_offset && *meta.dictionary_page_offset > 0 && *meta.dictionary_page_offset < start) {
        start = *meta.dictionary_page_offset;
      }
      size_t pos = 0;
      while (pos < chunk.size()) {
        size_t header_size = 0;
        auto header = pq::parse_page_header(reinterpret_cast<const uint8_t*>(chunk.data()) + pos, chunk.size() - pos, header_size);
        ranges.emplace_back(static_cast<size_t>(start) + pos, static_cast<size_t>(start) + pos + header_size);
        pos += header_size + static_cast<size_t>(header.compressed_page_size);
      }
    }
  }
  return ranges;
}

class CorruptParquetTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CorruptParquetTest, TruncatedFilesAreRefused) {
  const std::string bytes = fixture_bytes(GetParam());
  ASSERT_EQ(read_bytes(bytes), Outcome::kRead);
  // Every offset for small files, about 300 spread offsets (plus the whole tail) for larger ones.
  const size_t step = bytes.size() <= 4096 ? 1 : bytes.size() / 300;
  std::vector<size_t> cuts;
  for (size_t cut = 0; cut < bytes.size(); cut += step) cuts.push_back(cut);
  for (size_t cut = bytes.size() > 64 ? bytes.size() - 64 : 0; cut < bytes.size(); ++cut) cuts.push_back(cut);
  for (size_t cut : cuts) {
    ErrorKind kind = ErrorKind::kInternal;
    std::string message;
    ASSERT_EQ(read_bytes(bytes.substr(0, cut), &message, &kind), Outcome::kError) << "cut at " << cut;
    EXPECT_EQ(kind, ErrorKind::kCorruption) << "cut at " << cut << ": " << message;
  }
}

TEST_P(CorruptParquetTest, FlippedFooterBytesNeverCrash) {
  const std::string bytes = fixture_bytes(GetParam());
  uint32_t footer_size;
  std::memcpy(&footer_size, bytes.data() + bytes.size() - 8, 4);
  const size_t footer_start = bytes.size() - 8 - footer_size;
  int errors = 0;
  // Every footer byte of small files; about 400 spread positions of large footers.
  const size_t step = std::max<size_t>(1, (bytes.size() - footer_start) / 400);
  for (size_t pos = footer_start; pos < bytes.size(); pos += step) {
    for (uint8_t mask : {uint8_t{0xff}, uint8_t{0x01}, uint8_t{0x80}}) {
      std::string damaged = bytes;
      damaged[pos] = static_cast<char>(damaged[pos] ^ mask);
      errors += read_bytes(damaged) == Outcome::kError;
    }
  }
  EXPECT_GT(errors, 0);
}

TEST_P(CorruptParquetTest, FlippedPageHeaderBytesNeverCrash) {
  const std::string bytes = fixture_bytes(GetParam());
  auto ranges = page_header_ranges(bytes);
  ASSERT_FALSE(ranges.empty());
  size_t header_bytes = 0;
  for (auto [begin, end] : ranges) header_bytes += end - begin;
  // Every header byte of small files; about 600 spread bytes of files with many pages.
  const size_t step = std::max<size_t>(1, header_bytes / 600);
  size_t seen = 0;
  for (auto [begin, end] : ranges) {
    for (size_t pos = begin; pos < end; ++pos, ++seen) {
      if (seen % step != 0) continue;
      for (uint8_t mask : {uint8_t{0xff}, uint8_t{0x10}}) {
        std::string damaged = bytes;
        damaged[pos] = static_cast<char>(damaged[pos] ^ mask);
        read_bytes(damaged);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Files, CorruptParquetTest,
                         ::testing::Values("parquet-testing/alltypes_plain.parquet", "parquet-testing/alltypes_dictionary.parquet",
                                           "parquet-testing/delta_byte_array.parquet", "parquet-testing/delta_binary_packed.parquet",
                                           "parquet-testing/rle_boolean_encoding.parquet", "parquet-testing/byte_stream_split.zstd.parquet",
                                           "parquet-testing/fixed_length_decimal.parquet", "parquet-testing/int96_from_spark.parquet",
                                           "parquet-testing/hadoop_lz4_compressed.parquet", "parquet-testing/nan_in_stats.parquet",
                                           "parquet-testing/datapage_v2_empty_datapage.snappy.parquet",
                                           "parquet-testing/bad_data/ARROW-GH-43605.parquet",
                                           "writers/edgar.duckdb-zstd-v2.parquet", "writers/edgar.hyparquet-gzip-delta.parquet"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name = fs::path(param_info.param).stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(CorruptParquet, EveryFlippedPayloadByteOfACheckedPageIsCaught) {
  const std::string bytes = fixture_bytes("parquet-testing/datapage_v1-snappy-compressed-checksum.parquet");
  auto ranges = page_header_ranges(bytes);
  pq::ParquetFile file("x", pq::memory_source(bytes));
  // Payload bytes lie between one header's end and the next header's start within a chunk.
  size_t checked = 0;
  for (size_t idx = 0; idx + 1 < ranges.size(); ++idx) {
    for (size_t pos = ranges[idx].second; pos < ranges[idx + 1].first && pos < ranges[idx].second + 64; ++pos) {
      std::string damaged = bytes;
      damaged[pos] = static_cast<char>(damaged[pos] ^ 0x5a);
      std::string message;
      ErrorKind kind = ErrorKind::kInternal;
      ASSERT_EQ(read_bytes(damaged, &message, &kind), Outcome::kError) << "byte " << pos;
      EXPECT_EQ(kind, ErrorKind::kCorruption);
      EXPECT_NE(message.find("CRC"), std::string::npos) << message;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100u);
}

TEST(CorruptParquet, BadMagicAndFooterLengthAreNamed) {
  const std::string bytes = fixture_bytes("parquet-testing/alltypes_plain.parquet");
  std::string message;
  std::string damaged = bytes;
  damaged[0] = 'X';
  ASSERT_EQ(read_bytes(damaged, &message), Outcome::kError);
  EXPECT_NE(message.find("magic"), std::string::npos) << message;

  damaged = bytes;
  damaged[damaged.size() - 1] = 'X';
  ASSERT_EQ(read_bytes(damaged, &message), Outcome::kError);
  EXPECT_NE(message.find("magic"), std::string::npos) << message;

  damaged = bytes;
  uint32_t huge = 0x7fffffff;
  std::memcpy(damaged.data() + damaged.size() - 8, &huge, 4);
  ASSERT_EQ(read_bytes(damaged, &message), Outcome::kError);
  EXPECT_NE(message.find("footer length"), std::string::npos) << message;
}

TEST(CorruptParquet, DictionaryIndexOutOfRangeIsNamed) {
  // alltypes_dictionary: two rows, every column a two-entry dictionary; rewrite the bit width
  // byte of the first data page of column `id` so that indices point past the dictionary.
  std::string bytes = fixture_bytes("parquet-testing/alltypes_dictionary.parquet");
  pq::ParquetFile file("x", pq::memory_source(bytes));
  const auto& meta = file.metadata().row_groups[0].columns[0].meta_data;
  size_t pos = static_cast<size_t>(meta.data_page_offset);
  size_t header_size = 0;
  auto header = pq::parse_page_header(reinterpret_cast<const uint8_t*>(bytes.data()) + pos, bytes.size() - pos, header_size);
  ASSERT_EQ(header.type, 0);
  // Page body: 4-byte level length, levels, then the bit width byte and the indices.
  size_t body = pos + header_size;
  uint32_t level_bytes;
  std::memcpy(&level_bytes, bytes.data() + body, 4);
  size_t width_pos = body + 4 + level_bytes;
  ASSERT_EQ(bytes[width_pos], 1);
  bytes[width_pos] = 8;  // 8-bit indices: the packed bits now read as large numbers or run out
  std::string message;
  ErrorKind kind = ErrorKind::kInternal;
  ASSERT_EQ(read_bytes(bytes, &message, &kind), Outcome::kError);
  EXPECT_EQ(kind, ErrorKind::kCorruption);
  EXPECT_NE(message.find("column 'id'"), std::string::npos) << message;
  EXPECT_NE(message.find("page 1"), std::string::npos) << message;
}

}  // namespace
}  // namespace idemload
