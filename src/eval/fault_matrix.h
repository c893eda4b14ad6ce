// The fault-injection matrix behind `idemload evaluate` (DESIGN.md §5): for each (strategy,
// fault, seed, recovery) it prepares the lesson's state in a fresh table, runs `idemload load` as
// a child process with the fault, recovers, and checks the invariant of DESIGN.md §2 exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace idemload::eval {

// The faults, in report order. "none" is the clean load every cost is measured against;
// "rerun_3x" is the property f(x) = f(f(x)) (loads 1, 2 and 3 times give one table digest).
const std::vector<std::string>& fault_names();
// Whether `fault` can be injected on `dialect` ("sqlite", "postgres", "mysql").
bool fault_applies(const std::string& fault, const std::string& dialect);
// "rerun" always; "recover" (`idemload recover JOB`) too for faults that leave a failed job.
std::vector<std::string> recoveries_for(const std::string& fault);

struct MatrixOptions {
  std::string binary;       // the idemload executable run as the child process
  std::string target_url;   // "" = a fresh SQLite file per cell under work_dir
  std::string work_dir;     // staging files and SQLite databases (created; cells clean up)
  int64_t rows = 20000;     // staging rows generated per seed
  std::vector<std::string> strategies;  // empty = all five
  std::vector<std::string> faults;      // empty = every fault that applies to the target
  std::vector<uint64_t> seeds = {1, 2};
  size_t chunk_rows = 0;    // 0 = about an eighth of the rows (several commits per load)
};

// One cell. Counts come from jobs::verify after the recovery; costs from the ledger (rows) and
// from wait4() of every child (wall time, ru_maxrss).
struct CellResult {
  std::string dialect, strategy, fault, recovery;
  uint64_t seed = 0;
  std::string injection;      // what was done, replayable: e.g. "after_chunk_commit=kill@3"
  bool fired = false;         // the fault happened during the job (a point not reached: false)
  bool detected = false;      // failed job, abandoned job found by the monitor, or refused load
  std::string detected_by;
  bool holds = false;         // scope == distinct source rows exactly, other batch untouched
  int64_t source_distinct = 0, target_rows = 0;
  int64_t duplicates = 0, lost = 0, extra = 0, different = 0;
  bool outside_unchanged = false;
  int64_t attempts = 0;             // load/recover processes run (fault and recovery)
  int64_t rows_written = 0;         // sum of rows_inserted of every job in the ledger
  int64_t recovery_rows_written = 0;
  double seconds = 0;               // wall time of all attempts
  double recovery_seconds = 0;
  int64_t peak_rss_kb = 0;          // the largest ru_maxrss of the attempts
  std::string note;                 // errors, digests, why a fault did not fire
  nlohmann::json to_json() const;
};

using CellCallback = std::function<void(const CellResult&, size_t done, size_t total)>;

// Runs the matrix. Throws idemload::Error for problems that stop every cell (target
// unavailable, bad option); a cell that goes wrong is recorded with a note, not thrown.
std::vector<CellResult> run_matrix(const MatrixOptions& options, const CellCallback& on_cell = {});

// "sqlite", "postgres" or "mysql" for a target URL ("" = sqlite).
std::string dialect_of(const std::string& target_url);

}  // namespace idemload::eval
