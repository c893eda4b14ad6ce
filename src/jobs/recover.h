// Recovery: a failed or abandoned job is re-run as a new job (its parent_job_id is the old one)
// with the anti-join over the same source and batch (DESIGN.md §3).
#pragma once

#include <string>
#include <vector>

#include "jobs/job_runner.h"

namespace idemload::jobs {

struct RecoverOptions {
  std::string target_url;
  std::string strategy = "antijoin";
  bool allow_changed_source = false;
  int64_t lock_timeout_ms = 10000;
};

struct RecoverResult {
  std::string failed_job_id;
  JobResult load;     // the new job (empty when `error` is set)
  std::string error;  // why no new job ran (recover_all only; recover_job throws instead)
  bool ok() const { return error.empty() && load.ok(); }
};

// Throws kInvalidInput when the job does not exist or is not failed/abandoned (a `running` job
// whose lock is free counts as abandoned), and when the source fingerprint changed (naming the
// files) unless allow_changed_source.
RecoverResult recover_job(const std::string& job_id, const RecoverOptions& options);
// Every failed or abandoned job, one recovery per (table, batch): the newest failure. One that
// cannot start (changed source, lock held, …) gets `error` set and the others still run.
// Throws only when the ledger cannot be read.
std::vector<RecoverResult> recover_all(const RecoverOptions& options);

}  // namespace idemload::jobs
