// A strategy loads one de-duplicated source stream into one target table so that a re-run
// after any failure ends with the source's rows exactly once (DESIGN.md §3); `append` is the
// control that does not. Strategies know the target interface and the ops, never the ledger:
// the job runner passes callbacks that write the ledger inside the strategy's transactions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/source.h"
#include "targets/target.h"

namespace idemload::strategies {

struct StrategyStats {
  int64_t rows_read = 0;         // source rows read (after rejects)
  int64_t rows_distinct = 0;     // distinct source keys
  int64_t rows_duplicate = 0;    // source rows dropped by de-duplication
  int64_t rows_matched = 0;      // distinct source keys already in scope (skipped or updated)
  int64_t rows_inserted = 0;     // rows the target reports inserted (new keys)
  int64_t rows_updated = 0;      // rows replaced in place (upsert --on-conflict update)
  int64_t rows_deleted = 0;      // rows deleted from scope (overwrite)
  int64_t scope_keys = -1;       // keys found in scope before loading (-1: not scanned)
  // Rows in scope as the key scan read them, in one snapshot before the strategy wrote
  // anything: the count at the job's start (-1: not scanned).
  int64_t scope_rows = -1;
  // Keys in scope that the source does not have, when the strategy can tell (for the
  // reconciliation of DESIGN.md §4); nullopt otherwise.
  std::optional<int64_t> keys_only_in_scope;
  int64_t chunks_committed = 0;
  bool finished_in_transaction = false;  // the ledger's `succeeded` committed with the data
  double seconds_scan = 0;               // reading the keys in scope (antijoin, client)
  // When the first chunk committed (chunked strategies); the clock's epoch while none has.
  std::chrono::steady_clock::time_point first_commit{};
  // Where the count at the job's end may cut the scope (chunked strategies, set at their end).
  targets::CountSplit count_split;
};

struct StrategyContext {
  targets::Target* target = nullptr;
  formats::BatchReader* source = nullptr;
  std::string table;
  std::vector<std::string> key;      // key column names
  std::vector<size_t> key_columns;   // their indexes in the source schema
  targets::Scope scope;
  std::optional<std::string> lineage;  // _batch value for written rows
  size_t chunk_rows = 250000;          // rows per committed chunk (chunked strategies)
  size_t writers = 1;                  // connections writing chunks at once (parallel_writes targets)
  bool push_down = false;              // antijoin: run the anti-join in the database
  bool update_on_conflict = false;     // upsert: DO UPDATE instead of DO NOTHING

  // Called inside each chunk's transaction, after its rows are written, on the connection that
  // runs it (chunks may be written on several connections at once): lets the job record
  // progress in the same commit, as the source rows read so far and the rows this chunk
  // inserted (added to what earlier commits recorded). May be empty.
  std::function<void(targets::Target& target, int64_t rows_read, int64_t chunk_inserted)> in_chunk_transaction;
  // For all-or-nothing strategies: called inside the one transaction before it commits, to
  // mark the job succeeded with the data. Returns false when the job must not apply (another
  // job already succeeded: the transaction is rolled back and the run is a no-op).
  std::function<bool(const StrategyStats&)> finish_in_transaction;
  // Progress for people (rows read so far); called per batch. May be empty.
  std::function<void(const StrategyStats&)> on_progress;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string_view name() const = 0;
  // Whether re-running after a failure restores the invariant (false only for append).
  virtual bool idempotent() const { return true; }
  // Whether the strategy needs a primary key or unique index on the key (upsert).
  virtual bool needs_unique_key() const { return false; }
  // Whether run() reads the keys in scope before it writes anything (scan_scope_keys), so that
  // its StrategyStats::scope_rows is the count at the job's start and the job need not count.
  virtual bool scans_scope_first(const StrategyContext&) const { return false; }
  // Loads the source. Throws idemload::Error; what it committed before the error stays and
  // the next run repairs it (chunked strategies) or nothing was committed (all-or-nothing).
  virtual void run(StrategyContext& context, StrategyStats& stats) = 0;
};

// "append", "antijoin", "overwrite", "transactional", "upsert"; kInvalidInput otherwise.
std::unique_ptr<Strategy> make_strategy(std::string_view name);
std::vector<std::string> strategy_names();

}  // namespace idemload::strategies
