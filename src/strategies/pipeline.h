// Pieces every strategy shares: reading the source de-duplicated by key, scanning the keys in
// scope into a KeySet, and writing rows in committed chunks.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ops/anti_join.h"
#include "ops/dedupe.h"
#include "ops/key_set.h"
#include "strategies/strategy.h"

namespace idemload::strategies {

// Reads the next source batch and de-duplicates it by key (first occurrence wins across the
// whole stream). Returns false at the end. `out` may be empty when a whole batch was dropped.
class DedupedSource {
 public:
  explicit DedupedSource(StrategyContext& context);
  bool next(Batch& out, StrategyStats& stats);
  const ops::KeySet& keys() const { return deduper_.keys(); }

 private:
  StrategyContext& context_;
  ops::Deduper deduper_;
  Batch raw_;
};

// Runs a producer of batches on a second thread, a few batches ahead of the caller, so that
// reading, de-duplicating and anti-joining the source overlap with writing to the target.
// The producer fills a batch and its own copy of the stats; next() hands both over in order.
// The producer must touch nothing the caller uses meanwhile. An exception it throws is rethrown
// by next(); destroying the pipe stops the producer and waits for it.
class BatchPipe {
 public:
  // Returns false at the end of the stream (then `out` is ignored).
  using Producer = std::function<bool(Batch& out, StrategyStats& stats)>;

  BatchPipe(Producer produce, const StrategyStats& initial, size_t depth = 4);
  ~BatchPipe();
  BatchPipe(const BatchPipe&) = delete;
  BatchPipe& operator=(const BatchPipe&) = delete;

  // Moves the next batch into `out` and copies the producer's stats as of that batch into
  // `stats`. False at the end. Rethrows what the producer threw.
  bool next(Batch& out, StrategyStats& stats);

 private:
  struct Slot {
    Batch batch;
    StrategyStats stats;
  };
  void run();

  Producer produce_;
  StrategyStats producer_stats_;
  std::vector<Slot> slots_;
  size_t head_ = 0;   // next slot the consumer takes
  size_t count_ = 0;  // filled slots
  bool done_ = false;
  bool stop_ = false;
  std::exception_ptr error_;
  std::mutex mutex_;
  std::condition_variable filled_, freed_;
  std::thread thread_;
};

// The keys of the rows in scope, as an exact set; stats.scope_keys is set.
void scan_scope_keys(StrategyContext& context, ops::KeySet& present, StrategyStats& stats);

// Buffers rows and writes them in transactions of context.chunk_rows rows, each commit
// followed by the after_chunk_commit failpoint; each chunk is sent in key order (B-tree
// appends rather than random inserts). Call finish() at the end.
class ChunkedWriter {
 public:
  ChunkedWriter(StrategyContext& context, targets::WriteMode mode);
  void add(const Batch& rows, StrategyStats& stats);
  void finish(StrategyStats& stats);

 private:
  void commit_chunk(StrategyStats& stats);
  // pending_ in key order: pending_ itself when already sorted, else sorted_.
  const Batch& sorted_by_key();

  StrategyContext& context_;
  std::unique_ptr<targets::BulkWriter> writer_;
  Batch pending_;
  Batch sorted_;
  std::vector<uint32_t> selection_;
  std::string key_arena_;
  std::vector<uint32_t> key_offsets_;
};

}  // namespace idemload::strategies
