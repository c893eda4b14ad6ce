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
#include "ops/gather.h"
#include "ops/key_set.h"
#include "strategies/strategy.h"

namespace idemload::strategies {

// Reads the next source batch and de-duplicates it by key (first occurrence wins across the
// whole stream). Returns false at the end. `out` may be empty when a whole batch was dropped.
class DedupedSource {
 public:
  // With `present` (the keys in scope, from scan_scope_keys), rows whose key is in it are
  // dropped as well and stats.rows_matched counts those keys: the anti-join done by the
  // de-duplication's own set (ops::Deduper::seed).
  explicit DedupedSource(StrategyContext& context, ops::KeySet* present = nullptr);
  bool next(Batch& out, StrategyStats& stats);
  const ops::KeySet& keys() const { return deduper_.keys(); }

 private:
  StrategyContext& context_;
  ops::Deduper deduper_;
  bool seeded_ = false;
  Batch raw_;
};

// Runs a producer of batches on a second thread, a few batches ahead of the caller, so that
// reading, de-duplicating and anti-joining the source overlap with writing to the target.
// The producer fills a batch and its own copy of the stats; next() hands both over in order.
// The producer must touch nothing the caller uses meanwhile. Several threads may call next()
// at once (each batch goes to one of them; the end and the producer's exception reach all).
// An exception the producer throws is rethrown by next(); destroying the pipe stops the
// producer and waits for it.
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

// Keys to make room for before reading the source: its row count when the reader knows it
// (a hint, capped), else 0.
size_t expected_keys(const StrategyContext& context);

// The keys of the rows in scope, as an exact set (inserted marked, ready to seed a
// DedupedSource); stats.scope_keys is set. The target's scan runs on a second thread while
// this one fills the set.
void scan_scope_keys(StrategyContext& context, ops::KeySet& present, StrategyStats& stats);

// Fills chunks of context.chunk_rows rows and puts each in key order, so that the chunk
// reaches the key's B-tree (primary key, unique index) as one sweep from left to right instead
// of random probes. The rows of a chunk and what it commits are the same; only the order of the
// INSERTs changes. The key encodings sort like the keys (core/key_hash.h).
class ChunkBuilder {
 public:
  explicit ChunkBuilder(const StrategyContext& context);
  // Appends rows `offset`… of `rows` to `chunk` until it is full; returns the first row not taken.
  size_t fill(const Batch& rows, size_t offset, Batch& chunk);
  bool full(const Batch& chunk) const { return chunk.num_rows() >= chunk_rows_; }
  // Puts the rows of `chunk` in key order, in place (no second copy of the chunk).
  void sort(Batch& chunk);

 private:
  struct SortEntry {
    uint64_t head[5];  // the key's first 40 bytes
    uint32_t row;
  };
  const std::vector<size_t>& key_columns_;
  size_t chunk_rows_;
  std::vector<SortEntry> order_;
  std::vector<uint32_t> selection_;
  std::string key_arena_;
  std::vector<uint32_t> key_offsets_;
  ops::RowPermuter permuter_;
};

// Called on the producer thread with each de-duplicated batch: fills `out` with the rows to
// write (it may swap `deduped` into `out`) and may update the producer's stats (rows_matched).
using RowFilter = std::function<void(Batch& deduped, Batch& out, StrategyStats& produced)>;

// The chunked strategies' main loop over both cores. A second thread reads the source,
// de-duplicates it (and drops the keys of `present` when given, see DedupedSource), applies
// `filter` (none: every remaining row) and builds sorted chunks. Chunks are written and
// committed one transaction each, with the ledger progress inside, followed by the
// after_chunk_commit failpoint: on this thread, and when the target allows parallel writes and
// context.writers > 1, on further connections (threads) at once, so a server database uses
// more than one of its processes. Nothing the filter touches may be used by the caller until
// this returns. An error anywhere stops everything once the transactions in flight end;
// committed chunks stay, and the first error is rethrown.
void write_chunks(StrategyContext& context, targets::WriteMode mode, const RowFilter& filter,
                  StrategyStats& stats, ops::KeySet* present = nullptr);

}  // namespace idemload::strategies
