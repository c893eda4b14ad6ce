#include "jobs/reconcile.h"

#include <fmt/format.h>

namespace idemload::jobs {

std::optional<std::string> reconcile(const JobRow& job, bool idempotent) {
  if (job.rows_after - job.rows_before != job.rows_inserted - job.rows_deleted) {
    return fmt::format(
        "count mismatch: the scope went from {} to {} rows ({:+}), but the job inserted {} and deleted {} ({:+})",
        job.rows_before, job.rows_after, job.rows_after - job.rows_before, job.rows_inserted, job.rows_deleted,
        job.rows_inserted - job.rows_deleted);
  }
  if (idempotent && job.keys_only_in_scope >= 0 && job.rows_after != job.rows_distinct + job.keys_only_in_scope) {
    return fmt::format(
        "count mismatch: the scope holds {} rows, but the source has {} distinct keys and the scope had {} keys "
        "the source lacks ({} expected)",
        job.rows_after, job.rows_distinct, job.keys_only_in_scope, job.rows_distinct + job.keys_only_in_scope);
  }
  return std::nullopt;
}

}  // namespace idemload::jobs
