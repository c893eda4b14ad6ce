// The row-count hint of the readers (rows_expected), which sizes the de-duplication's set.
#include "formats/source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "formats/parquet/parquet_writer.h"
#include "test_util.h"

namespace idemload::formats {
namespace {

void write_parquet(const std::string& path, int64_t rows) {
  Schema schema({Field{"k", Type::kInt64, false}, Field{"s", Type::kString}});
  Batch batch(std::make_shared<const Schema>(schema));
  for (int64_t row = 0; row < rows; ++row) {
    batch.column(0).append_int(row);
    batch.column(1).append_bytes("value " + std::to_string(row));
  }
  parquet::ParquetWriteOptions options;
  options.row_group_rows = 700;  // several row groups
  parquet::ParquetWriter writer(path, schema, options);
  writer.write(batch);
  writer.close();
}

TEST(RowsExpected, ParquetTellsItsFootersRowCount) {
  testing::TempDir dir;
  write_parquet(dir.file("a.parquet"), 2500);
  auto reader = open_file(dir.file("a.parquet"), {});
  ASSERT_TRUE(reader->rows_expected().has_value());
  EXPECT_EQ(*reader->rows_expected(), 2500);
  MultiFileReader one({dir.file("a.parquet")}, {});
  EXPECT_EQ(one.rows_expected(), std::optional<int64_t>(2500));
}

TEST(RowsExpected, SeveralFilesScaleTheFirstFilesCountByTheirSize) {
  testing::TempDir dir;
  write_parquet(dir.file("a.parquet"), 2500);
  std::filesystem::copy_file(dir.file("a.parquet"), dir.file("b.parquet"));
  std::filesystem::copy_file(dir.file("a.parquet"), dir.file("c.parquet"));
  MultiFileReader reader({dir.file("a.parquet"), dir.file("b.parquet"), dir.file("c.parquet")}, {});
  ASSERT_TRUE(reader.rows_expected().has_value());
  EXPECT_EQ(*reader.rows_expected(), 7500);
}

TEST(RowsExpected, CsvCannotTellBeforeReading) {
  testing::TempDir dir;
  std::ofstream(dir.file("a.csv")) << "k,s\n1,x\n2,y\n";
  MultiFileReader reader({dir.file("a.csv")}, {});
  EXPECT_FALSE(reader.rows_expected().has_value());
}

}  // namespace
}  // namespace idemload::formats
