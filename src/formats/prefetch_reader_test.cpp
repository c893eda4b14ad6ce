// PrefetchReader: the batches of the reader it wraps, in order, then that reader's error; the
// rejects counted as of the batch handed over; stopped by its destructor mid-stream.
#include "formats/prefetch_reader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/error.h"
#include "test_util.h"

namespace idemload::formats {
namespace {

void write_csv(const std::string& path, int first, int rows, int bad_every = 0) {
  std::ofstream out(path);
  out << "k,s\n";
  for (int row = first; row < first + rows; ++row) {
    if (bad_every > 0 && row % bad_every == 0) {
      out << "not a number,bad\n";
    } else {
      out << row << ",value " << row << "\n";
    }
  }
}

SourceOptions options_with_int_key() {
  SourceOptions options;
  options.batch_rows = 1000;
  options.column_types["k"] = Type::kInt64;
  return options;
}

TEST(PrefetchReader, HandsOverEveryBatchInOrderThenTheReadersError) {
  testing::TempDir dir;
  write_csv(dir.file("a.csv"), 0, 2500);
  write_csv(dir.file("b.csv"), 2500, 1500);
  std::ofstream(dir.file("c.csv")) << "other,columns\n1,2\n";  // has no column k: an error when reached
  MultiFileReader inner({dir.file("a.csv"), dir.file("b.csv"), dir.file("c.csv")}, options_with_int_key());
  PrefetchReader reader(inner, 2);
  ASSERT_EQ(reader.schema(), inner.schema());
  Batch batch(reader.schema());
  int64_t expected = 0;
  std::vector<std::string> files;
  try {
    while (reader.next(batch)) {
      files.push_back(batch.source_file);
      for (size_t row = 0; row < batch.num_rows(); ++row) {
        ASSERT_EQ(batch.column(0).int_at(row), expected);
        ASSERT_EQ(batch.column(1).bytes_at(row), "value " + std::to_string(expected));
        ++expected;
      }
      EXPECT_EQ(reader.rows_read(), expected);
    }
    FAIL() << "the third file's columns were not reported";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("c.csv"), std::string::npos) << error.what();
  }
  EXPECT_EQ(expected, 4000);  // every row of the files before the error
  ASSERT_EQ(files.size(), 5u);
  EXPECT_EQ(files.front(), dir.file("a.csv"));
  EXPECT_EQ(files.back(), dir.file("b.csv"));
  EXPECT_FALSE(reader.next(batch));  // after the error, the end
}

TEST(PrefetchReader, CountsTheRejectsOfTheRowsHandedOver) {
  testing::TempDir dir;
  write_csv(dir.file("a.csv"), 1, 3000, 100);  // rows 100, 200, … 3000 do not parse: 30 rejects
  SourceOptions options = options_with_int_key();
  int handled = 0;
  options.on_reject = [&handled](const Reject&) { ++handled; };  // on the reader's thread
  MultiFileReader inner({dir.file("a.csv")}, options);
  PrefetchReader reader(inner);
  Batch batch(reader.schema());
  int64_t rows = 0;
  int64_t last_rejected = 0;
  while (reader.next(batch)) {
    rows += static_cast<int64_t>(batch.num_rows());
    EXPECT_GE(reader.rows_rejected(), last_rejected);
    EXPECT_LE(reader.rows_rejected(), 30);
    last_rejected = reader.rows_rejected();
  }
  EXPECT_EQ(rows, 2970);
  EXPECT_EQ(reader.rows_read(), 2970);
  EXPECT_EQ(reader.rows_rejected(), 30);
  EXPECT_EQ(handled, 30);  // read after the end: the thread has finished
}

TEST(PrefetchReader, StopsItsThreadWhenDestroyedMidStream) {
  testing::TempDir dir;
  write_csv(dir.file("a.csv"), 0, 50000);
  MultiFileReader inner({dir.file("a.csv")}, options_with_int_key());
  {
    PrefetchReader reader(inner, 2);
    Batch batch(reader.schema());
    ASSERT_TRUE(reader.next(batch));
    EXPECT_EQ(batch.column(0).int_at(0), 0);
  }  // the thread waits for room: the destructor must end it
  // The inner reader is usable again, a few batches further on (read ahead, not handed over).
  Batch batch(inner.schema());
  ASSERT_TRUE(inner.next(batch));
  EXPECT_GT(batch.column(0).int_at(0), 0);
  EXPECT_LE(inner.rows_read(), 5000);
}

}  // namespace
}  // namespace idemload::formats
