// Streaming: a 50 MB generated EDGAR-like file is read in batches bounded by batch_rows, with
// every row and line accounted for, and the reader's memory does not grow with the file.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "core/value_text.h"
#include "formats/csv/csv_reader.h"
#include "test_util.h"

namespace idemload {
namespace {

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST(CsvStreaming, FiftyMegabytesInBoundedBatches) {
  testing::TempDir dir;
  const std::string path = dir.file("big.csv");
  constexpr int64_t kRows = 440000;  // ~115 bytes a row: just over 50 MB
  {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    ASSERT_NE(file, nullptr);
    std::fputs("ip,date,time,zone,cik,accession,extention,code,size,idx,norefer,noagent,find,crawler,browser\n", file);
    std::string chunk;
    for (int64_t row = 0; row < kRows; ++row) {
      // Every 1000th row quotes a field with a newline in it, so lines and records differ.
      const bool odd = row % 1000 == 999;
      chunk += fmt::format("101.81.{}.jja,2017-06-30,{:02}:{:02}:{:02},0.0,{}.0,0001047469-17-{:06},{},200.0,{}.0,"
                           "1.0,0.0,0.0,9.0,0.0,\n",
                           row % 256, (row / 3600) % 24, (row / 60) % 60, row % 60, 1000000 + row, row,
                           odd ? "\"two\nlines, \"\"quoted\"\"\"" : "-index.htm", 80000 + row % 5000);
      if (chunk.size() > (1 << 20)) {
        std::fwrite(chunk.data(), 1, chunk.size(), file);
        chunk.clear();
      }
    }
    std::fwrite(chunk.data(), 1, chunk.size(), file);
    std::fclose(file);
  }
  ASSERT_GT(std::filesystem::file_size(path), 50u * 1000 * 1000);

  const long rss_before = peak_rss_kib();
  formats::SourceOptions options;
  options.batch_rows = 8192;
  int64_t rejects = 0;
  options.on_reject = [&rejects](const formats::Reject&) { ++rejects; };
  auto reader = formats::csv::open_csv(path, options);
  const Schema& schema = *reader->schema();
  EXPECT_EQ(schema.field(*schema.index_of("cik")).type, Type::kInt64);
  EXPECT_EQ(schema.field(*schema.index_of("size")).type, Type::kInt64);
  const size_t cik = *schema.index_of("cik");
  const size_t extention = *schema.index_of("extention");

  Batch batch;
  int64_t rows = 0;
  int64_t expected_line = 2;
  size_t batches = 0;
  while (reader->next(batch)) {
    ++batches;
    ASSERT_LE(batch.num_rows(), options.batch_rows);
    for (size_t row = 0; row < batch.num_rows(); ++row, ++rows) {
      ASSERT_EQ(batch.column(cik).int_at(row), 1000000 + rows);
      ASSERT_EQ(batch.source_rows[row], expected_line);
      const bool odd = rows % 1000 == 999;
      if (odd) {
        ASSERT_EQ(batch.column(extention).bytes_at(row), "two\nlines, \"quoted\"");
      }
      expected_line += odd ? 2 : 1;
    }
  }
  EXPECT_EQ(rows, kRows);
  EXPECT_EQ(rejects, 0);
  EXPECT_EQ(batches, static_cast<size_t>((kRows + 8191) / 8192));
  // The 4 MiB block, one batch and the parse scratch: far below the file's 50 MB.
  const long growth_kib = peak_rss_kib() - rss_before;
  EXPECT_LT(growth_kib, 40 * 1024) << "peak memory grew by " << growth_kib << " KiB while reading";
}

}  // namespace
}  // namespace idemload
