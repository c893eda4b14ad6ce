// Pieces every strategy shares: reading the source de-duplicated by key, scanning the keys in
// scope into a KeySet, and writing rows in committed chunks.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "formats/source.h"
#include "ops/anti_join.h"
#include "ops/dedupe.h"
#include "ops/gather.h"
#include "ops/key_set.h"
#include "strategies/strategy.h"

namespace idemload::strategies {

// Work done ahead, on the thread of a formats::PrefetchReader (its on_read), for each batch it
// reads: the key's encodings, and for the first rows whether their key is in scope (see
// DedupedSource's `scope`). The DedupedSource that reads the batches takes it in the same order:
// encoding the keys and a share of the probing leave the de-duplicating thread, the busier one
// when most rows are present already.
struct ReadAhead {
  ops::EncodedKeys keys;
  std::vector<uint8_t> in_scope;  // for rows 0 … in_scope.size() - 1: 1 when the key is in scope
  int64_t unmarked = 0;           // keys in scope first seen among those rows
};

class ReadAheadQueue {
 public:
  // `key_columns`: the key's columns in a whole batch; in a batch of the key's columns alone
  // (DedupedSource::defer_all_but_keys) the key is its columns in order. With `scope`, the set
  // of the keys in scope that the DedupedSource reading the batches probes as well (it must
  // outlive the reading thread).
  // `reader`: the reader whose batches these are (the PrefetchReader's inner one), told to stop
  // deferring columns (BatchReader::stop_deferring) once a batch's share looked up shows more
  // than a quarter of its rows out of scope: the rows wanted are then decoded whole on the
  // reading thread again, not a few at a time on the de-duplicating one.
  ReadAheadQueue(std::vector<size_t> key_columns, HashFunction hash, ops::KeySet* scope,
                 formats::BatchReader* reader = nullptr);
  // On the reading thread, with each batch it hands over.
  void prepare(const Batch& batch);
  // The next batch's; give it back once used.
  std::unique_ptr<ReadAhead> take();
  void give_back(std::unique_ptr<ReadAhead> ahead);

  // The share of each batch's rows whose key the reading thread looks up in scope: it also
  // decodes and encodes every key, so a quarter of the lookups evens the two threads out.
  static constexpr size_t kScopeShareDivisor = 4;

 private:
  std::vector<size_t> key_columns_;
  std::vector<size_t> key_positions_;  // 0 … key size - 1
  HashFunction hash_;
  ops::KeySet* scope_;
  formats::BatchReader* reader_;
  std::mutex mutex_;
  std::deque<std::unique_ptr<ReadAhead>> ready_;
  std::vector<std::unique_ptr<ReadAhead>> spare_;
};

// Reads the next source batch and de-duplicates it by key (first occurrence wins across the
// whole stream). Returns false at the end. `out` may be empty when a whole batch was dropped.
class DedupedSource {
 public:
  // With `present` (the keys in scope, from scan_scope_keys), rows whose key is in it are
  // dropped as well and stats.rows_matched counts those keys: the anti-join done by the
  // de-duplication's own set (ops::Deduper::seed).
  //
  // With `scope` instead, the keys in scope stay in that set (marked, as scan_scope_keys leaves
  // them) and the rows whose key is there are dropped the same way: the set is only looked up
  // (ops::KeySet::find_unmarking), by this thread and by the reading thread's ReadAheadQueue at
  // once, and a set of this source's own de-duplicates the rest. Nothing may change `scope`
  // meanwhile.
  explicit DedupedSource(StrategyContext& context, ops::KeySet* present = nullptr,
                         ops::KeySet* scope = nullptr);
  bool next(Batch& out, StrategyStats& stats);
  // The keys seen (the scope's as well, in the set apart when there is one).
  const ops::KeySet& keys() const { return scope_ != nullptr ? *scope_ : deduper_.keys(); }

  // Asks the source (before its first batch) to decode only the key's columns, and the others
  // only for the rows that are neither present nor repeated (formats::DeferredColumns): a
  // re-run or a recovery, whose rows are mostly present, then never decompresses most pages.
  // True when the source does (a DedupedSource over it reads its batches either way).
  static bool defer_all_but_keys(StrategyContext& context);
  // Takes each batch's key encodings (and scope lookups) from `ahead`, which the source's
  // reading thread fills (the source being a PrefetchReader calling ahead->prepare).
  void use_read_ahead(std::shared_ptr<ReadAheadQueue> ahead) { ahead_ = std::move(ahead); }

 private:
  // Sets selection_ to the rows of raw_ to keep, their keys in its columns `key_columns`.
  void select(const std::vector<size_t>& key_columns, ReadAhead* ahead);
  // next()'s `out` for a batch of the key's columns alone (defer_all_but_keys).
  void read_wanted(Batch& out);

  StrategyContext& context_;
  ops::Deduper deduper_;
  bool seeded_ = false;
  Batch raw_;
  // read_wanted's: the key's columns of the rows wanted, and their scratch.
  Batch wanted_keys_;
  std::vector<size_t> key_positions_;
  std::vector<uint32_t> selection_;
  std::vector<Column*> deferred_out_;
  std::shared_ptr<ReadAheadQueue> ahead_;
  // With a scope set apart: the set, the rows read, the keys in scope found (first sightings),
  // and scratch.
  ops::KeySet* scope_ = nullptr;
  int64_t rows_in_ = 0;
  int64_t scope_matched_ = 0;
  ReadAhead own_ahead_;
  std::vector<uint32_t> candidates_;
};

// Runs a producer of batches on a second thread, at most `depth` batches ahead of the caller,
// so that reading, de-duplicating and anti-joining the source overlap with writing to the
// target. The producer starts a batch only once a slot is free for it, fills the batch and its
// own copy of the stats; next() hands both over in order.
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

// Whether the keys in scope are at least half the rows the source says it holds (false when it
// cannot tell): most of its rows are then likely to be present already.
bool mostly_in_scope(const StrategyContext& context, int64_t scope_keys);

// The keys of the rows in scope, as an exact set (inserted marked, ready to seed a
// DedupedSource); stats.scope_keys and stats.scope_rows (the rows the scan read) are set. The
// target's scan runs on a second thread while this one fills the set.
void scan_scope_keys(StrategyContext& context, ops::KeySet& present, StrategyStats& stats);

// Builds the chunks the writers commit, each in key order and each from one narrow range of
// keys, so that a chunk reaches the key's B-tree (primary key, unique index, InnoDB's clustered
// rows) as one sweep over a few of its pages instead of random probes all over it.
//
// Rows wait in `ranges` partitions by key range (Target::chunk_key_ranges). The range bounds
// are quantiles of the keys of the first context.chunk_rows rows, or of a sample of keys given
// before the first row (bound_by; write_chunks gives one of the keys in scope when most of the
// source is in scope already). A chunk is due when a partition holds chunk_rows rows (a chunk
// never holds more) or all of them together hold kBudgetChunks × chunk_rows; the fullest
// partition is then the chunk. With 16 ranges a chunk holds about chunk_rows / 4 rows from
// 1/16 of the keys. With one range, chunks are chunk_rows rows in the source's order. A chunk
// holds the rows of one source file only, so that an error names the right file: when the file
// changes, every waiting row goes first.
// The rows of all chunks together are the rows added, each once; only which rows go together
// into a transaction and the order of the INSERTs change. The key encodings sort like the keys
// (core/key_hash.h).
class ChunkBuilder {
 public:
  static constexpr size_t kBudgetChunks = 2;
  static constexpr size_t kSampleKeys = 4096;  // about as many keys give the range bounds

  ChunkBuilder(const StrategyContext& context, size_t ranges);
  // Sets the range bounds from `sample` (keys encoded as core encode_key() does, in any order)
  // instead of from the first rows. Only before the first add(); does nothing when `sample` is
  // empty, without key columns or with one range.
  void bound_by(std::vector<std::string_view> sample);
  // Takes rows `offset`… of `rows` until a chunk is due; returns the first row not taken.
  size_t add(const Batch& rows, size_t offset);
  bool due() const;
  bool empty() const { return buffered_ == 0; }
  // Moves the fullest partition into `chunk` (replacing what it held), unsorted.
  void take(Batch& chunk);
  // Puts the rows of `chunk` in key order, in place (no second copy of the chunk).
  void sort(Batch& chunk);

 private:
  struct SortEntry {
    uint64_t head[5];  // the key's first 40 bytes
    uint32_t row;
  };
  size_t partition_of(std::string_view key) const;
  // Sets the bounds from the keys of the rows waiting so far (all in partition 0) and spreads
  // those rows over the partitions.
  void split();
  // bounds_: the quantiles of `sample` (sorted here) that cut it into the partitions.
  void set_bounds(std::vector<std::string_view>& sample);
  size_t route(const Batch& rows, size_t offset, bool limited);

  const std::vector<size_t>& key_columns_;
  size_t chunk_rows_;
  size_t budget_;
  std::vector<Batch> partitions_;
  std::vector<std::string> bounds_;  // partition p holds keys < bounds_[p] (and >= bounds_[p-1])
  bool split_done_ = false;
  size_t buffered_ = 0;
  std::string file_;       // the source file of the rows waiting
  bool draining_ = false;  // the next rows come from another file: every waiting row goes first
  std::vector<std::vector<uint32_t>> picks_;
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

// Keys from which a count is worth cutting in two (see count_split_of).
inline constexpr size_t kCountSplitKeys = size_t{1} << 20;

// Where the count at the job's end may cut the scope (targets::CountSplit, for
// Target::count_with): the value of the first key column at the middle of a sample of `keys`
// (the keys in scope and the source's), when there are at least `min_keys` of them and that
// column is a string, an integer or a date; no cut otherwise. write_chunks sets
// StrategyStats::count_split with it.
targets::CountSplit count_split_of(const StrategyContext& context, const ops::KeySet& keys,
                                   size_t min_keys = kCountSplitKeys);

}  // namespace idemload::strategies
