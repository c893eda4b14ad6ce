#include "ops/count.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "core/error.h"
#include "ops/ops_test_util.h"

namespace idemload::ops {
namespace {

std::string edgar_file(const std::string& name) { return std::string(IDEMLOAD_FIXTURES_DIR) + "/edgar/" + name; }

// The numbers of the fixtures' README (rows, distinct (ip, date, time) keys), counted through
// the real CSV reader.
TEST(Count, RealEdgarFiles) {
  struct Expected {
    const char* file;
    int64_t rows;
    int64_t distinct;
  };
  for (const Expected& expected :
       {Expected{"werkhoven-insight-edgar-challenge-log20170214-first2170.csv", 2170, 803},
        Expected{"vasantivmahajan-sec-log20030301-fullday.csv", 43458, 36123},
        Expected{"hkirfan-edgar-analytics-log20170630-000529-resaved.csv", 10000, 2663}}) {
    formats::SourceOptions options;
    auto reader = formats::open_file(edgar_file(expected.file), options);
    Counts counts = count_distinct(*reader, {"ip", "date", "time"});
    EXPECT_EQ(counts.rows, expected.rows) << expected.file;
    EXPECT_EQ(counts.distinct_keys, expected.distinct) << expected.file;
    EXPECT_EQ(reader->rows_rejected(), 0) << expected.file;

    auto again = formats::open_file(edgar_file(expected.file), options);
    EXPECT_EQ(count_rows(*again), expected.rows) << expected.file;
  }
}

TEST(Count, UnknownKeyColumnIsInvalidInput) {
  formats::SourceOptions options;
  auto reader = formats::open_file(edgar_file("insight-edgar-analytics-test1.log.csv"), options);
  try {
    count_distinct(*reader, {"ip", "when"});
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(error.message().find("'when'"), std::string::npos) << error.message();
  }
}

TEST(KeyCounter, AgreesWithStdSet) {
  std::mt19937_64 rng(99);
  std::vector<size_t> key_columns = {1, 3};
  KeyCounter counter(key_columns);
  std::set<std::vector<std::string>> reference;
  int64_t rows = 0;
  for (int batch_idx = 0; batch_idx < 6; ++batch_idx) {
    Batch batch = testing::random_batch(rng, rows, 700);
    rows += 700;
    counter.add(batch);
    for (size_t row = 0; row < batch.num_rows(); ++row) reference.insert(testing::reference_key(batch, key_columns, row));
  }
  EXPECT_EQ(counter.counts().rows, rows);
  EXPECT_EQ(counter.counts().distinct_keys, static_cast<int64_t>(reference.size()));
}

}  // namespace
}  // namespace idemload::ops
