// Counting at the start and end of a job, as the lesson advises: the counts must add up, or a
// silent partial failure is made loud (DESIGN.md §4).
#pragma once

#include <optional>
#include <string>

#include "jobs/ledger.h"

namespace idemload::jobs {

// nullopt when the counts of `job` reconcile; otherwise the mismatch, numbers included:
//   rows_after - rows_before == rows_inserted - rows_deleted, and, for idempotent strategies
//   when keys_only_in_scope is known, rows_after == rows_distinct + keys_only_in_scope.
std::optional<std::string> reconcile(const JobRow& job, bool idempotent);

}  // namespace idemload::jobs
