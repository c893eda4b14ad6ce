#include "strategies/pipeline.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <variant>
#include <vector>

#include "core/error.h"
#include "core/key_hash.h"
#include "core/value_text.h"
#include "ops/key_set.h"
#include "targets/target.h"
#include "test_util.h"

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

// The producer is never more than `depth` batches ahead of what was taken: it starts a batch
// only once a slot is free for it (write_chunks: a kill loses no chunk read beyond the one
// waiting). The sleep gives a producer that would run further ahead the time to.
TEST(BatchPipeTest, TheProducerStartsABatchOnlyWhenASlotIsFree) {
  std::atomic<int> produced{0};
  BatchPipe pipe(counting_producer(1000, -1, produced), StrategyStats{}, 2);
  Batch batch;
  StrategyStats stats;
  for (int taken = 0; taken < 4; ++taken) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (produced.load() < taken + 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(produced.load(), taken + 2) << "after " << taken << " batches taken";
    ASSERT_TRUE(pipe.next(batch, stats));
    EXPECT_EQ(batch.column(0).int_at(0), taken);
  }
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

// A source that only has a schema (scan_scope_keys reads the key columns' types from it).
class SchemaOnlySource : public formats::BatchReader {
 public:
  explicit SchemaOnlySource(std::shared_ptr<const Schema> schema) : schema_(std::move(schema)) {}
  const std::shared_ptr<const Schema>& schema() const override { return schema_; }
  bool next(Batch&) override { return false; }
  int64_t rows_read() const override { return 0; }
  int64_t rows_rejected() const override { return 0; }

 private:
  std::shared_ptr<const Schema> schema_;
};

TEST(ChunkBuilderTest, SortsByTheWholeKeyWhenTheFirst40BytesTie) {
  Schema schema({Field{"s", Type::kString}, Field{"n", Type::kInt64}, Field{"payload", Type::kInt64}});
  auto shared = std::make_shared<const Schema>(schema);
  Batch rows(shared);
  // Strings sharing their first 48 bytes (past the 40 compared as integers), shorter ones that
  // end inside them, NULLs in both key columns, and NUL bytes.
  const std::string common(48, 'x');
  std::vector<std::string> strings = {common + "b", common + "a", common, common.substr(0, 31),
                                      common.substr(0, 31) + std::string(1, '\0'), common.substr(0, 38), "",
                                      std::string("\0x", 2)};
  std::mt19937_64 random(7);
  for (int idx = 0; idx < 3000; ++idx) {
    if (random() % 10 == 0) {
      rows.column(0).append_null();
    } else {
      rows.column(0).append_bytes(strings[random() % strings.size()]);
    }
    if (random() % 10 == 0) {
      rows.column(1).append_null();
    } else {
      rows.column(1).append_int(static_cast<int64_t>(random() % 50) - 25);
    }
    rows.column(2).append_int(idx);
  }
  StrategyContext context;
  context.key_columns = {0, 1};
  context.chunk_rows = 5000;
  ChunkBuilder builder(context, 1);
  EXPECT_EQ(builder.add(rows, 0), rows.num_rows());
  EXPECT_FALSE(builder.due());
  Batch chunk;
  builder.take(chunk);
  EXPECT_TRUE(builder.empty());
  builder.sort(chunk);

  std::string arena;
  std::vector<uint32_t> offsets;
  encode_keys(chunk, context.key_columns, arena, offsets);
  for (size_t row = 1; row < chunk.num_rows(); ++row) {
    std::string_view before(arena.data() + offsets[row - 1], offsets[row] - offsets[row - 1]);
    std::string_view here(arena.data() + offsets[row], offsets[row + 1] - offsets[row]);
    ASSERT_LE(before, here) << "rows " << row - 1 << " and " << row << " out of key order";
  }
  // The same rows, each once, with their own values.
  std::set<int64_t> payloads;
  for (size_t row = 0; row < chunk.num_rows(); ++row) {
    auto original = static_cast<size_t>(chunk.column(2).int_at(row));
    payloads.insert(static_cast<int64_t>(original));
    ASSERT_EQ(chunk.column(0).is_null(row), rows.column(0).is_null(original));
    if (!rows.column(0).is_null(original)) {
      ASSERT_EQ(chunk.column(0).bytes_at(row), rows.column(0).bytes_at(original));
    }
    ASSERT_EQ(chunk.column(1).is_null(row), rows.column(1).is_null(original));
  }
  EXPECT_EQ(payloads.size(), rows.num_rows());
}

// What write_chunks does with a ChunkBuilder: add rows until a chunk is due, take it, sort it;
// at the end, take what is left.
std::vector<Batch> build_chunks(ChunkBuilder& builder, const std::vector<Batch>& batches) {
  std::vector<Batch> chunks;
  size_t next = 0, offset = 0;
  while (true) {
    while (!builder.due() && next < batches.size()) {
      if (offset == batches[next].num_rows()) {
        ++next;
        offset = 0;
        continue;
      }
      offset = builder.add(batches[next], offset);
    }
    if (builder.empty()) break;
    Batch chunk;
    builder.take(chunk);
    builder.sort(chunk);
    chunks.push_back(std::move(chunk));
  }
  return chunks;
}

// Batches of `per_batch` rows (key k, payload = first_payload + the row's place in the file,
// source row = that place + 1) with the keys key_offset … in a seeded random order, all naming
// `file`.
std::vector<Batch> shuffled_batches(size_t rows, size_t per_batch, const std::string& file, int64_t first_payload = 0,
                                    int64_t key_offset = 0) {
  auto schema = std::make_shared<const Schema>(Schema({Field{"k", Type::kInt64}, Field{"payload", Type::kInt64}}));
  std::vector<int64_t> keys(rows);
  std::iota(keys.begin(), keys.end(), key_offset);
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(11));
  std::vector<Batch> batches;
  for (size_t row = 0; row < rows; ++row) {
    if (row % per_batch == 0) {
      batches.emplace_back(schema);
      batches.back().source_file = file;
    }
    batches.back().column(0).append_int(keys[row]);
    batches.back().column(1).append_int(first_payload + static_cast<int64_t>(row));
    batches.back().source_rows.push_back(static_cast<int64_t>(row) + 1);
  }
  return batches;
}

TEST(ChunkBuilderTest, ChunksComeFromNarrowKeyRangesAndHoldEveryRowOnce) {
  constexpr size_t kRows = 40000, kChunkRows = 1000;
  StrategyContext context;
  context.key_columns = {0};
  context.chunk_rows = kChunkRows;
  auto batches = shuffled_batches(kRows, 700, "staging.parquet");
  for (size_t ranges : {size_t{1}, size_t{16}}) {
    SCOPED_TRACE(ranges);
    ChunkBuilder builder(context, ranges);
    std::vector<Batch> chunks = build_chunks(builder, batches);
    std::vector<int> seen(kRows, 0);
    double spans = 0;
    for (const Batch& chunk : chunks) {
      ASSERT_GT(chunk.num_rows(), 0u);
      ASSERT_LE(chunk.num_rows(), kChunkRows);
      EXPECT_EQ(chunk.source_file, "staging.parquet");
      for (size_t row = 0; row < chunk.num_rows(); ++row) {
        if (row > 0) {
          ASSERT_LT(chunk.column(0).int_at(row - 1), chunk.column(0).int_at(row)) << "not in key order";
        }
        const int64_t payload = chunk.column(1).int_at(row);
        seen[static_cast<size_t>(payload)] += 1;
        // The row's values and its place in the file travel together.
        ASSERT_EQ(batches[static_cast<size_t>(payload) / 700].column(0).int_at(static_cast<size_t>(payload) % 700),
                  chunk.column(0).int_at(row));
        ASSERT_EQ(chunk.source_rows.at(row), payload + 1);
      }
      spans += static_cast<double>(chunk.column(0).int_at(chunk.num_rows() - 1) - chunk.column(0).int_at(0)) / kRows;
    }
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<long>(kRows)) << "every row exactly once";
    const double mean_span = spans / static_cast<double>(chunks.size());
    if (ranges == 1) {
      // The source's order: full chunks, each spread over nearly all keys.
      EXPECT_EQ(chunks.size(), kRows / kChunkRows);
      EXPECT_GT(mean_span, 0.9);
    } else {
      // Each chunk from about 1/16 of the keys (the first, taken before the bounds, too).
      EXPECT_LT(mean_span, 0.15);
      EXPECT_GT(chunks.size(), kRows / kChunkRows);
    }
  }
}

// The mean over `chunks` of (largest key - smallest key) / `keys`, checking that every payload
// 0 … keys-1 is in exactly one chunk.
double mean_span(const std::vector<Batch>& chunks, size_t keys) {
  std::vector<int> seen(keys, 0);
  double spans = 0;
  for (const Batch& chunk : chunks) {
    EXPECT_GT(chunk.num_rows(), 0u);
    for (size_t row = 0; row < chunk.num_rows(); ++row) seen.at(static_cast<size_t>(chunk.column(1).int_at(row))) += 1;
    spans += static_cast<double>(chunk.column(0).int_at(chunk.num_rows() - 1) - chunk.column(0).int_at(0)) /
             static_cast<double>(keys);
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<long>(keys)) << "every row exactly once";
  return spans / static_cast<double>(chunks.size());
}

TEST(ChunkBuilderTest, RangesFromAGivenSampleNotFromTheFirstRows) {
  // The first 2000 rows have the keys 0 … 1999 (as the rows a failed job left waiting, from a
  // few ranges), the 38 000 after them 2000 … 39 999.
  constexpr size_t kRows = 40000, kFirst = 2000, kChunkRows = 1000;
  StrategyContext context;
  context.key_columns = {0};
  context.chunk_rows = kChunkRows;
  std::vector<Batch> batches = shuffled_batches(kFirst, 700, "staging.parquet");
  for (Batch& batch : shuffled_batches(kRows - kFirst, 700, "staging.parquet", kFirst, kFirst)) {
    batches.push_back(std::move(batch));
  }
  // Bounds from the first rows: every range but the last within 0 … 1999, so the last takes
  // nearly all later rows and its chunks spread over most keys.
  ChunkBuilder from_rows(context, 16);
  EXPECT_GT(mean_span(build_chunks(from_rows, batches), kRows), 0.3);

  // Bounds from a sample of all the keys (every 10th, shuffled): each chunk from about 1/16 of them.
  Batch all(batches[0].schema_ptr());
  for (size_t key = 0; key < kRows; ++key) {
    all.column(0).append_int(static_cast<int64_t>(key));
    all.column(1).append_int(0);
  }
  std::string arena;
  std::vector<uint32_t> offsets;
  encode_keys(all, context.key_columns, arena, offsets);
  std::vector<std::string_view> sample;
  for (size_t key = 0; key < kRows; key += 10) sample.emplace_back(arena.data() + offsets[key], offsets[key + 1] - offsets[key]);
  std::shuffle(sample.begin(), sample.end(), std::mt19937_64(5));
  ChunkBuilder from_sample(context, 16);
  from_sample.bound_by(sample);
  std::vector<Batch> chunks = build_chunks(from_sample, batches);
  EXPECT_LT(mean_span(chunks, kRows), 0.1);
  for (const Batch& chunk : chunks) EXPECT_LE(chunk.num_rows(), kChunkRows);
}

TEST(ChunkBuilderTest, AChunkHoldsTheRowsOfOneSourceFile) {
  StrategyContext context;
  context.key_columns = {0};
  context.chunk_rows = 1000;
  // Two files of 2500 rows, their keys interleaved: a chunk by key range alone would mix them.
  std::vector<Batch> batches = shuffled_batches(2500, 300, "a.csv");
  for (Batch& batch : batches) {
    for (size_t row = 0; row < batch.num_rows(); ++row) batch.column(0).ints()[row] *= 2;
  }
  for (Batch& batch : shuffled_batches(2500, 300, "b.csv", 2500)) {
    for (size_t row = 0; row < batch.num_rows(); ++row) batch.column(0).ints()[row] = batch.column(0).ints()[row] * 2 + 1;
    batches.push_back(std::move(batch));
  }
  ChunkBuilder builder(context, 4);
  size_t rows = 0;
  for (const Batch& chunk : build_chunks(builder, batches)) {
    ASSERT_TRUE(chunk.source_file == "a.csv" || chunk.source_file == "b.csv") << chunk.source_file;
    const bool from_a = chunk.source_file == "a.csv";
    for (size_t row = 0; row < chunk.num_rows(); ++row) {
      ASSERT_EQ(chunk.column(1).int_at(row) < 2500, from_a) << "a row of the other file in a chunk of " << chunk.source_file;
      ASSERT_EQ(chunk.source_rows.at(row), chunk.column(1).int_at(row) - (from_a ? 0 : 2500) + 1) << "its row in the file";
    }
    rows += chunk.num_rows();
  }
  EXPECT_EQ(rows, 5000u);
}

// scan_scope_keys against a real SQLite database: its scan runs on a second thread.
class ScanScopeKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    target_ = targets::open_target("sqlite:" + dir_.file("t.db"));
    target_->execute("CREATE TABLE t (k INTEGER, d DATE, v TEXT)");
    target_->begin();
    for (int idx = 0; idx < kRows; ++idx) {
      target_->execute("INSERT INTO t VALUES (?, ?, 'v')", {int64_t{idx}, std::string("2017-06-30")});
    }
    target_->commit();
  }
  // Scans the keys `fields` of every row of t into `present`; stats.keys_only_in_scope starts
  // at 0, so that a reset shows.
  StrategyStats scan(std::vector<Field> fields, ops::KeySet& present) {
    SchemaOnlySource source(std::make_shared<const Schema>(Schema(std::move(fields))));
    StrategyContext context;
    context.target = target_.get();
    context.source = &source;
    context.table = "t";
    context.key_columns.resize(source.schema()->size());
    std::iota(context.key_columns.begin(), context.key_columns.end(), size_t{0});
    context.scope = targets::Scope::all();
    StrategyStats stats;
    stats.keys_only_in_scope = 0;
    scan_scope_keys(context, present, stats);
    return stats;
  }

  static constexpr int kRows = 20000;  // more than two of the scan's batches
  testing::TempDir dir_;
  std::unique_ptr<targets::Target> target_;
};

TEST_F(ScanScopeKeysTest, EveryKeyInScopeIsInTheSetMarked) {
  ops::KeySet present;
  StrategyStats stats = scan({Field{"k", Type::kInt64}}, present);
  EXPECT_EQ(stats.scope_keys, kRows);
  EXPECT_EQ(present.size(), static_cast<size_t>(kRows));
  EXPECT_TRUE(stats.keys_only_in_scope.has_value());  // every key once

  // Seeded with the set, a Deduper drops the keys in scope (counting each once) and keeps the
  // new ones: the keys were inserted marked.
  ops::Deduper deduper({0});
  deduper.seed(std::move(present));
  auto schema = std::make_shared<const Schema>(Schema({Field{"k", Type::kInt64}}));
  Batch in(schema);
  for (int64_t key : {int64_t{5}, int64_t{kRows + 1}, int64_t{5}, int64_t{kRows - 1}}) in.column(0).append_int(key);
  Batch out(schema);
  deduper.apply(in, out);
  ASSERT_EQ(out.num_rows(), 1u);
  EXPECT_EQ(out.column(0).int_at(0), kRows + 1);
  EXPECT_EQ(deduper.rows_matched(), 2);
}

TEST_F(ScanScopeKeysTest, DuplicateKeysInScopeLeaveKeysOnlyInScopeUnknown) {
  target_->execute("INSERT INTO t VALUES (7, '2017-06-30', 'again')");
  ops::KeySet present;
  StrategyStats stats = scan({Field{"k", Type::kInt64}}, present);
  EXPECT_EQ(stats.scope_keys, kRows);
  EXPECT_FALSE(stats.keys_only_in_scope.has_value());
}

TEST_F(ScanScopeKeysTest, AScanThatFailsHalfWayIsRethrownHere) {
  // A value the scan cannot convert, after more than a batch of good ones: the scanning thread
  // fails while this one is inserting; the error comes back here, nothing hangs.
  target_->execute("UPDATE t SET d = 'not a date' WHERE k = 15000");
  ops::KeySet present;
  try {
    scan({Field{"k", Type::kInt64}, Field{"d", Type::kDate}}, present);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kSchemaDrift) << error.what();
    EXPECT_NE(std::string(error.what()).find("not a date"), std::string::npos) << error.what();
  }
}

// The count at a job's end is cut where the first key column's value is at the middle of the
// keys (a string, an integer or a date: shuffled values, a sample's median within 5% of the
// true one); not cut for fewer keys than asked for, nor at a double.
TEST(CountSplitTest, CutsAtTheMiddleOfTheFirstKeyColumn) {
  auto schema = std::make_shared<const Schema>(Schema(
      {Field{"s", Type::kString}, Field{"n", Type::kInt64}, Field{"d", Type::kDate}, Field{"x", Type::kDouble}}));
  SchemaOnlySource source(schema);
  constexpr int64_t kKeys = 40000;
  std::vector<int64_t> values(kKeys);
  std::iota(values.begin(), values.end(), int64_t{0});
  std::shuffle(values.begin(), values.end(), std::mt19937_64(11));
  Batch rows(schema);
  for (int64_t value : values) {
    rows.column(0).append_bytes(fmt::format("key-{:06}", value));
    rows.column(1).append_int(value - kKeys / 2);
    rows.column(2).append_int(value + 17000);
    rows.column(3).append_double(static_cast<double>(value));
  }
  auto split_of = [&](std::vector<size_t> key_columns, size_t min_keys) {
    ops::KeySet keys;
    keys.insert_keys(rows, key_columns);
    StrategyContext context;
    context.source = &source;
    context.key_columns = std::move(key_columns);
    return count_split_of(context, keys, min_keys);
  };
  constexpr int64_t kSlack = kKeys / 20;

  targets::CountSplit split = split_of({0, 1}, 1000);
  EXPECT_EQ(split.column, "s");
  ASSERT_TRUE(split.at && std::holds_alternative<std::string>(*split.at));
  const std::string& text = std::get<std::string>(*split.at);
  ASSERT_EQ(text.substr(0, 4), "key-") << text;
  const int64_t middle = std::stoll(text.substr(4));
  EXPECT_GT(middle, kKeys / 2 - kSlack) << text;
  EXPECT_LT(middle, kKeys / 2 + kSlack) << text;

  split = split_of({1, 0}, 1000);
  EXPECT_EQ(split.column, "n");
  ASSERT_TRUE(split.at && std::holds_alternative<int64_t>(*split.at));
  EXPECT_GT(std::get<int64_t>(*split.at), -kSlack);
  EXPECT_LT(std::get<int64_t>(*split.at), kSlack);

  split = split_of({2}, 1000);
  EXPECT_EQ(split.column, "d");
  ASSERT_TRUE(split.at && std::holds_alternative<std::string>(*split.at));
  const std::optional<int64_t> day = parse_date(std::get<std::string>(*split.at));
  ASSERT_TRUE(day) << std::get<std::string>(*split.at);
  EXPECT_GT(*day, 17000 + kKeys / 2 - kSlack);
  EXPECT_LT(*day, 17000 + kKeys / 2 + kSlack);

  EXPECT_FALSE(split_of({0}, kKeys + 1).at) << "fewer keys than asked for";
  EXPECT_FALSE(split_of({3, 0}, 1000).at) << "a double";
}

}  // namespace
}  // namespace idemload::strategies
