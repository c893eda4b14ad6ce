#include "formats/csv/chunker.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "formats/csv/csv_test_util.h"

namespace idemload::formats::csv {
namespace {

using test::TempDir;
using test::write_file;

TEST(CsvChunker, HandsOutTheWholeFileBlockByBlock) {
  TempDir dir;
  std::string text;
  for (int idx = 0; idx < 1000; ++idx) text += std::to_string(idx) + "\n";
  write_file(dir.file("a.csv"), text);
  Chunker chunker(dir.file("a.csv"), 64);
  std::string seen;
  while (chunker.fill() || !chunker.available().empty()) {
    EXPECT_LE(chunker.available().size(), 64u);
    // Consume all but the last 5 bytes, as a parser that found a cut record would.
    auto data = chunker.available();
    size_t take = chunker.at_eof() ? data.size() : (data.size() > 5 ? data.size() - 5 : 0);
    EXPECT_EQ(chunker.offset(), seen.size());
    seen.append(data.substr(0, take));
    chunker.consume(take);
    if (chunker.at_eof() && chunker.available().empty()) break;
  }
  EXPECT_EQ(seen, text);
}

TEST(CsvChunker, GrowsForARecordLongerThanABlock) {
  TempDir dir;
  std::string text(1000, 'x');
  write_file(dir.file("a.csv"), text);
  Chunker chunker(dir.file("a.csv"), 16);
  while (!chunker.at_eof()) chunker.fill();  // never consuming: the buffer must grow
  EXPECT_EQ(chunker.available(), text);
  EXPECT_FALSE(chunker.fill());
}

TEST(CsvChunker, SeeksBack) {
  TempDir dir;
  write_file(dir.file("a.csv"), "header\nrow1\nrow2\n");
  Chunker chunker(dir.file("a.csv"));
  chunker.fill();
  chunker.consume(7);
  EXPECT_EQ(chunker.offset(), 7u);
  chunker.consume(5);
  chunker.seek(7);
  EXPECT_TRUE(chunker.available().empty());
  EXPECT_TRUE(chunker.fill());
  EXPECT_EQ(chunker.available(), "row1\nrow2\n");
  EXPECT_EQ(chunker.offset(), 7u);
}

TEST(CsvChunker, MissingFileIsAnIoErrorNamingIt) {
  try {
    Chunker chunker("/nonexistent/dir/file.csv");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    EXPECT_EQ(error.context().file, "/nonexistent/dir/file.csv");
  }
}

}  // namespace
}  // namespace idemload::formats::csv
