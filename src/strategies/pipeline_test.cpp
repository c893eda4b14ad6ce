#include "strategies/pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/error.h"

namespace idemload::strategies {
namespace {

std::shared_ptr<const Schema> one_int_schema() {
  Schema schema;
  schema.add(Field{"n", Type::kInt64, false});
  return std::make_shared<const Schema>(std::move(schema));
}

// A producer of `batches` one-row batches holding 0, 1, 2, …, counting rows_read; throws
// after `throw_after` batches when that is >= 0.
BatchPipe::Producer counting_producer(int batches, int throw_after, std::atomic<int>& produced) {
  auto schema = one_int_schema();
  return [schema, batches, throw_after, &produced](Batch& out, StrategyStats& stats) {
    const int index = produced.load();
    if (index == throw_after) throw Error::Io({.file = "staging.csv", .row = index}, "read failed");
    if (index == batches) return false;
    out = Batch(schema);
    out.column(0).append_int(index);
    stats.rows_read += 1;
    produced.fetch_add(1);
    return true;
  };
}

TEST(BatchPipeTest, DeliversEveryBatchInOrderWithItsStats) {
  std::atomic<int> produced{0};
  StrategyStats initial;
  initial.scope_keys = 7;
  BatchPipe pipe(counting_producer(100, -1, produced), initial, 3);
  Batch batch;
  StrategyStats stats;
  int expected = 0;
  while (pipe.next(batch, stats)) {
    ASSERT_EQ(batch.num_rows(), 1u);
    EXPECT_EQ(batch.column(0).int_at(0), expected);
    EXPECT_EQ(stats.rows_read, expected + 1);
    EXPECT_EQ(stats.scope_keys, 7);  // the producer's stats start from the caller's
    ++expected;
  }
  EXPECT_EQ(expected, 100);
  EXPECT_FALSE(pipe.next(batch, stats));  // stays at the end
}

TEST(BatchPipeTest, HandsOverEarlierBatchesThenRethrowsTheProducersError) {
  std::atomic<int> produced{0};
  BatchPipe pipe(counting_producer(100, 5, produced), StrategyStats{});
  Batch batch;
  StrategyStats stats;
  for (int index = 0; index < 5; ++index) {
    ASSERT_TRUE(pipe.next(batch, stats));
    EXPECT_EQ(batch.column(0).int_at(0), index);
  }
  try {
    pipe.next(batch, stats);
    FAIL() << "expected the producer's error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(error.what()).find("read failed"), std::string::npos);
  }
}

TEST(BatchPipeTest, StopsAProducerThatIsAheadWhenDestroyedEarly) {
  std::atomic<int> produced{0};
  {
    BatchPipe pipe(counting_producer(1000000, -1, produced), StrategyStats{}, 2);
    Batch batch;
    StrategyStats stats;
    ASSERT_TRUE(pipe.next(batch, stats));
  }  // must not hang: the producer waits for a free slot and sees the stop
  EXPECT_LT(produced.load(), 10);  // it never ran more than a few batches ahead
}

// Several consumers (write_chunks' writers): every batch reaches exactly one of them, and the
// end, or the producer's error, reaches every one (none is left waiting).
TEST(BatchPipeTest, EveryConsumerSeesTheEndOrTheError) {
  for (int throw_after : {-1, 37}) {
    std::atomic<int> produced{0};
    BatchPipe pipe(counting_producer(200, throw_after, produced), StrategyStats{}, 1);
    std::mutex mutex;
    std::vector<int64_t> seen;
    std::atomic<int> errors{0};
    auto consume = [&] {
      Batch batch;
      StrategyStats stats;
      try {
        while (pipe.next(batch, stats)) {
          std::lock_guard<std::mutex> lock(mutex);
          seen.push_back(batch.column(0).int_at(0));
        }
      } catch (const Error&) {
        errors.fetch_add(1);
      }
    };
    std::vector<std::thread> consumers;
    for (int idx = 0; idx < 3; ++idx) consumers.emplace_back(consume);
    for (auto& consumer : consumers) consumer.join();  // hangs if a consumer misses the end
    std::sort(seen.begin(), seen.end());
    const int64_t batches = throw_after < 0 ? 200 : throw_after;
    ASSERT_EQ(seen.size(), static_cast<size_t>(batches));
    for (int64_t index = 0; index < batches; ++index) EXPECT_EQ(seen[static_cast<size_t>(index)], index);
    EXPECT_EQ(errors.load(), throw_after < 0 ? 0 : 3);
  }
}

TEST(BatchPipeTest, AnEmptyStreamEndsAtOnce) {
  std::atomic<int> produced{0};
  BatchPipe pipe(counting_producer(0, -1, produced), StrategyStats{});
  Batch batch;
  StrategyStats stats;
  EXPECT_FALSE(pipe.next(batch, stats));
}

}  // namespace
}  // namespace idemload::strategies
