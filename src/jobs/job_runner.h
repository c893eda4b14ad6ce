// The job runner: the one place a load is recorded. It validates the inputs before writing
// anything, takes the (table, batch) lock, writes the ledger row, counts at start and end,
// runs the strategy, reconciles the counts, and records success or failure (DESIGN.md §4).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jobs/ledger.h"
#include "jobs/load_request.h"
#include "strategies/strategy.h"

namespace idemload::jobs {

struct JobResult {
  JobRow job;                       // the ledger row as recorded (state succeeded/failed)
  bool noop = false;                // nothing to do: already loaded by noop_job_id
  std::string noop_job_id;
  std::vector<std::string> warnings;
  std::vector<std::string> skipped_files;  // --ignore-corrupt-files
  std::vector<std::string> abandoned_jobs; // dead `running` jobs of this batch found under the lock
  int64_t rows_duplicate = 0;
  int64_t rows_matched = 0;
  int64_t rows_updated = 0;
  int64_t heartbeat_failures = 0;
  int64_t recovered_jobs = 0;       // failed/abandoned jobs this success marked recovered
  double seconds = 0;
  // Where the seconds went, part by part (they add up to `seconds`).
  struct Timings {
    double prepare = 0;       // checking the inputs, the lock, the ledger row, the table
    double count_before = 0;  // counting the scope at the start (0: the key scan counted it)
    double scan_keys = 0;     // reading the keys in scope into memory (antijoin, client)
    double load = 0;          // reading the source, de-duplicating, anti-joining, writing, committing
    double count_after = 0;   // counting the scope at the end
    double finish = 0;        // the ledger's last update, stopping the heartbeat
    // From the start of the job to its first committed chunk (chunked strategies), if any.
    std::optional<double> first_commit;
  } timings;
  bool ok() const { return noop || job.state == kSucceeded; }
  nlohmann::json to_json() const;
  std::string summary() const;      // a paragraph for people
};

using ProgressCallback = std::function<void(const strategies::StrategyStats&)>;

// Runs one load. Throws idemload::Error for problems found before the job is recorded (bad
// input, target unavailable, lock held); once the ledger row exists, failures are recorded in it
// and returned as a result with state `failed` (and the error text), not thrown.
JobResult run_load(const LoadRequest& request, const ProgressCallback& progress = {});

// Expands the request's sources and computes their fingerprint (exposed for recover/verify).
std::vector<std::string> resolve_sources(const LoadRequest& request);

}  // namespace idemload::jobs
