// The ledger: idemload_jobs (one row per job) and idemload_alerts (one row per alert and
// channel), kept inside the target database so that a job's row can commit in the same
// transaction as its data. Portable SQL only (all three dialects), timestamps as epoch ms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "targets/target.h"

namespace idemload::jobs {

// Job states (DESIGN.md §4).
inline constexpr const char* kRunning = "running";
inline constexpr const char* kSucceeded = "succeeded";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kAbandoned = "abandoned";
inline constexpr const char* kRecovered = "recovered";

struct JobRow {
  std::string job_id;
  std::string parent_job_id;
  std::string table_name;
  std::string batch;
  std::string strategy;
  std::string source;       // JSON array of paths
  std::string fingerprint;
  std::string state;
  int64_t started_at = 0;
  int64_t heartbeat_at = 0;
  int64_t finished_at = 0;  // 0 = not finished
  std::string host;
  int64_t pid = 0;
  int64_t rows_read = 0;
  int64_t rows_rejected = 0;
  int64_t rows_distinct = 0;
  // The counts of the scope at the start and at the end; -1 = not counted (the job failed, or
  // is still running, before that count).
  int64_t rows_before = -1;
  int64_t rows_inserted = 0;
  int64_t rows_deleted = 0;
  int64_t rows_after = -1;
  int64_t keys_only_in_scope = -1;  // -1 = unknown
  std::string error;
  std::string recovered_by;
  std::string request;  // the load's parameters as JSON (what `recover` re-runs)
};

class Ledger {
 public:
  explicit Ledger(targets::Target& target) : target_(target) {}

  // Creates the ledger tables and indexes if absent.
  void ensure_tables();
  bool tables_exist();

  void insert(const JobRow& job);
  std::optional<JobRow> find(const std::string& job_id);
  // Jobs, newest first; filters are optional ("" = any).
  std::vector<JobRow> list(const std::string& state, const std::string& table, int limit);
  // The newest succeeded job with this (table, batch, fingerprint), if any.
  std::optional<JobRow> find_succeeded(const std::string& table, const std::string& batch,
                                       const std::string& fingerprint);
  // Jobs of (table, batch) in `state`.
  std::vector<JobRow> find_in_state(const std::string& table, const std::string& batch, const std::string& state);

  void heartbeat(const std::string& job_id, int64_t now);
  // Progress inside a data transaction (chunked strategies): rows read so far, and the rows the
  // transaction inserted, added to the recorded count.
  void progress(const std::string& job_id, int64_t rows_read, int64_t rows_inserted_delta, int64_t now);
  // Writes the final counts and state (succeeded or failed) of `job`.
  void finish(const JobRow& job);
  // running -> abandoned (only if still running); returns whether it changed.
  bool mark_abandoned(const std::string& job_id, const std::string& reason, int64_t now);
  // failed/abandoned jobs of (table, batch) -> recovered by `by_job`; returns how many.
  int64_t mark_recovered(const std::string& table, const std::string& batch, const std::string& by_job);

 private:
  JobRow row_from(const targets::ResultRow& row);
  targets::Target& target_;
};

std::string this_host();

}  // namespace idemload::jobs
