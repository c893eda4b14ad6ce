// The column reader's slicing: files of many small pages and several row groups, with NULLs,
// dictionary-encoded or PLAIN values, read back in batches of every awkward size (one reader
// and one reused Batch, as a scan does) must give back exactly the rows written.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/column.h"
#include "core/error.h"
#include "formats/parquet/file_reader.h"
#include "formats/parquet/parquet_reader.h"
#include "formats/parquet/parquet_writer.h"

namespace idemload::formats::parquet {
namespace {

namespace fs = std::filesystem;

constexpr size_t kRows = 5000;

std::shared_ptr<const Schema> slice_schema() {
  std::vector<Field> fields = {
      {"id", Type::kInt64, false},   // required, PLAIN (all distinct)
      {"small", Type::kInt64},       // dictionary, some NULLs
      {"name", Type::kString},       // dictionary strings, short and long, some NULLs
      {"text", Type::kString},       // PLAIN strings (too many distinct), some NULLs
      {"ratio", Type::kDouble},      // PLAIN doubles, mostly NULL
      {"flag", Type::kBool, false},  // required booleans
  };
  return std::make_shared<const Schema>(std::move(fields));
}

Batch slice_batch() {
  Batch batch(slice_schema());
  std::mt19937 rng(11);
  for (size_t row = 0; row < kRows; ++row) {
    const auto i = static_cast<int64_t>(row);
    batch.column(0).append_int(i * 7919);
    if (row % 5 == 3)
      batch.column(1).append_null();
    else
      batch.column(1).append_int(i % 13);
    if (row % 7 == 0) {
      batch.column(2).append_null();
    } else {
      // Entries of 0 to 70 bytes: both sides of the short-copy length.
      batch.column(2).append_bytes(
          std::string(static_cast<size_t>(row % 11) * 7, static_cast<char>('a' + row % 11)));
    }
    if (rng() % 4 == 0) {
      batch.column(3).append_null();
    } else {
      batch.column(3).append_bytes(fmt::format("{}-{}", std::string(rng() % 45, 'x'), row));
    }
    if (row % 10 == 0)
      batch.column(4).append_double(static_cast<double>(i) / 3);
    else
      batch.column(4).append_null();
    batch.column(5).append_int(static_cast<int64_t>(row % 3 == 0));
  }
  return batch;
}

// Two files of the same rows: dictionary-encoded where the writer can, and PLAIN throughout.
class ColumnReaderSliceTest : public ::testing::TestWithParam<bool> {
 protected:
  static void SetUpTestSuite() {
    for (bool dictionary : {false, true}) {
      fs::path path = file_for(dictionary);
      ParquetWriteOptions options;
      options.row_group_rows = 1777;  // three row groups of different sizes
      options.page_bytes = 600;       // many pages per chunk
      options.dictionary = dictionary;
      ParquetWriter writer(path.string(), *slice_schema(), options);
      writer.write(slice_batch());
      writer.close();
    }
  }
  static void TearDownTestSuite() {
    fs::remove(file_for(false));
    fs::remove(file_for(true));
  }
  static fs::path file_for(bool dictionary) {
    return fs::temp_directory_path() / fmt::format("column_reader_test_{}_{}.parquet", ::getpid(),
                                                   dictionary ? "dict" : "plain");
  }
};

void expect_same_rows(const Batch& expected, const std::vector<Batch>& batches) {
  size_t row = 0;
  for (const auto& batch : batches) {
    for (size_t idx = 0; idx < batch.num_rows(); ++idx, ++row) {
      ASSERT_LT(row, expected.num_rows());
      for (size_t col = 0; col < batch.num_columns(); ++col) {
        const Column& got = batch.column(col);
        const Column& want = expected.column(col);
        ASSERT_EQ(got.is_null(idx), want.is_null(row)) << "row " << row << " column " << col;
        if (want.is_null(row)) continue;
        switch (got.storage()) {
          case Storage::kInts:
            ASSERT_EQ(got.int_at(idx), want.int_at(row)) << "row " << row << " column " << col;
            break;
          case Storage::kDoubles:
            ASSERT_EQ(got.double_at(idx), want.double_at(row)) << "row " << row;
            break;
          case Storage::kBytes:
            ASSERT_EQ(got.bytes_at(idx), want.bytes_at(row)) << "row " << row << " column " << col;
            break;
        }
      }
    }
    // The raw vectors keep their invariants.
    for (size_t col = 0; col < batch.num_columns(); ++col) {
      const Column& column = batch.column(col);
      ASSERT_EQ(column.validity().size(), batch.num_rows());
      if (column.storage() == Storage::kBytes) {
        ASSERT_EQ(column.offsets().size(), batch.num_rows() + 1);
        ASSERT_EQ(column.offsets().back(), column.bytes().size());
      }
    }
  }
  EXPECT_EQ(row, expected.num_rows());
}

TEST_P(ColumnReaderSliceTest, EveryBatchSizeGivesBackTheRowsWritten) {
  // The file is what the test means to read: three row groups, each column dictionary-encoded
  // (or not), in chunks of several pages.
  ParquetFile file(file_for(GetParam()).string(), open_file_source(file_for(GetParam()).string()));
  ASSERT_EQ(file.metadata().row_groups.size(), 3u);
  for (const auto& chunk : file.metadata().row_groups[0].columns) {
    const auto& encodings = chunk.meta_data.encodings;
    bool dictionary = std::find(encodings.begin(), encodings.end(),
                                static_cast<int32_t>(Encoding::kRleDictionary)) != encodings.end();
    EXPECT_EQ(dictionary, GetParam() && chunk.meta_data.type != PhysicalType::kBoolean);
    if (chunk.meta_data.type != PhysicalType::kBoolean) {
      EXPECT_GT(chunk.meta_data.total_uncompressed_size, 1200);
    }
  }
  const Batch expected = slice_batch();
  for (size_t batch_rows :
       {size_t{1}, size_t{3}, size_t{8}, size_t{77}, size_t{1000}, size_t{8192}}) {
    SourceOptions options;
    options.batch_rows = batch_rows;
    auto reader = open_parquet(file_for(GetParam()).string(), options);
    std::vector<Batch> batches;
    Batch batch;  // reused, as a scan does
    while (reader->next(batch)) batches.push_back(batch);
    SCOPED_TRACE(fmt::format("batch_rows {}", batch_rows));
    expect_same_rows(expected, batches);
  }
}

TEST_P(ColumnReaderSliceTest, AProjectionReadsTheSameValues) {
  const Batch all = slice_batch();
  SourceOptions options;
  options.columns = {"text", "small"};
  options.batch_rows = 333;
  auto reader = open_parquet(file_for(GetParam()).string(), options);
  Batch batch;
  size_t row = 0;
  while (reader->next(batch)) {
    for (size_t idx = 0; idx < batch.num_rows(); ++idx, ++row) {
      ASSERT_EQ(batch.column(0).is_null(idx), all.column(3).is_null(row));
      if (!all.column(3).is_null(row)) {
        ASSERT_EQ(batch.column(0).bytes_at(idx), all.column(3).bytes_at(row));
      }
      ASSERT_EQ(batch.column(1).is_null(idx), all.column(1).is_null(row));
      if (!all.column(1).is_null(row)) {
        ASSERT_EQ(batch.column(1).int_at(idx), all.column(1).int_at(row));
      }
    }
  }
  EXPECT_EQ(row, kRows);
}

INSTANTIATE_TEST_SUITE_P(Encodings, ColumnReaderSliceTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "dictionary" : "plain";
                         });

}  // namespace
}  // namespace idemload::formats::parquet
