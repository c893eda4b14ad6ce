#include "jobs/ledger.h"

#include <unistd.h>

#include <fmt/format.h>

#include "core/error.h"
#include "core/value_text.h"

namespace idemload::jobs {

namespace {

constexpr const char* kColumns =
    "job_id, parent_job_id, table_name, batch, strategy, source, fingerprint, state, started_at, heartbeat_at, "
    "finished_at, host, pid, rows_read, rows_rejected, rows_distinct, rows_before, rows_inserted, rows_deleted, "
    "rows_after, keys_only_in_scope, error, recovered_by, request";

targets::Param opt_text(const std::string& text) {
  if (text.empty()) return nullptr;
  return text;
}

}  // namespace

std::string this_host() {
  char name[256] = {0};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

void Ledger::ensure_tables() {
  // VARCHAR for indexed text (MySQL cannot index TEXT), BIGINT epoch milliseconds for times.
  target_.execute(
      "CREATE TABLE IF NOT EXISTS idemload_jobs ("
      "job_id VARCHAR(36) NOT NULL PRIMARY KEY, parent_job_id VARCHAR(36), table_name VARCHAR(255) NOT NULL, "
      "batch VARCHAR(255) NOT NULL, strategy VARCHAR(32) NOT NULL, source TEXT, fingerprint VARCHAR(64), "
      "state VARCHAR(16) NOT NULL, started_at BIGINT NOT NULL, heartbeat_at BIGINT, finished_at BIGINT, "
      "host VARCHAR(255), pid BIGINT, rows_read BIGINT, rows_rejected BIGINT, rows_distinct BIGINT, "
      "rows_before BIGINT, rows_inserted BIGINT, rows_deleted BIGINT, rows_after BIGINT, keys_only_in_scope BIGINT, "
      "error TEXT, recovered_by VARCHAR(36), request TEXT)");
  target_.execute("CREATE INDEX IF NOT EXISTS idemload_jobs_table_batch ON idemload_jobs (table_name, batch)");
  target_.execute("CREATE INDEX IF NOT EXISTS idemload_jobs_state ON idemload_jobs (state)");
  target_.execute(
      "CREATE TABLE IF NOT EXISTS idemload_alerts ("
      "alert_key VARCHAR(200) NOT NULL, channel VARCHAR(200) NOT NULL, job_id VARCHAR(36), kind VARCHAR(32), "
      "first_seen_at BIGINT, delivered_at BIGINT, attempts BIGINT, last_error TEXT, payload TEXT, "
      "PRIMARY KEY (alert_key, channel))");
}

bool Ledger::tables_exist() { return target_.table_schema("idemload_jobs").has_value(); }

void Ledger::insert(const JobRow& job) {
  target_.execute(
      fmt::format("INSERT INTO idemload_jobs ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                  "?, ?, ?, ?, ?)",
                  kColumns),
      {job.job_id, opt_text(job.parent_job_id), job.table_name, job.batch, job.strategy, job.source, job.fingerprint,
       job.state, job.started_at, job.heartbeat_at, job.finished_at ? targets::Param(job.finished_at) : nullptr,
       job.host, job.pid, job.rows_read, job.rows_rejected, job.rows_distinct, job.rows_before, job.rows_inserted,
       job.rows_deleted, job.rows_after, job.keys_only_in_scope, opt_text(job.error), opt_text(job.recovered_by),
       job.request});
}

JobRow Ledger::row_from(const targets::ResultRow& row) {
  auto text = [&](size_t idx) { return row.at(idx).value_or(""); };
  auto number = [&](size_t idx, int64_t fallback = 0) {
    if (!row.at(idx)) return fallback;
    return parse_int64(*row.at(idx)).value_or(fallback);
  };
  JobRow job;
  job.job_id = text(0);
  job.parent_job_id = text(1);
  job.table_name = text(2);
  job.batch = text(3);
  job.strategy = text(4);
  job.source = text(5);
  job.fingerprint = text(6);
  job.state = text(7);
  job.started_at = number(8);
  job.heartbeat_at = number(9);
  job.finished_at = number(10);
  job.host = text(11);
  job.pid = number(12);
  job.rows_read = number(13);
  job.rows_rejected = number(14);
  job.rows_distinct = number(15);
  job.rows_before = number(16, -1);
  job.rows_inserted = number(17);
  job.rows_deleted = number(18);
  job.rows_after = number(19, -1);
  job.keys_only_in_scope = number(20, -1);
  job.error = text(21);
  job.recovered_by = text(22);
  job.request = text(23);
  return job;
}

std::optional<JobRow> Ledger::find(const std::string& job_id) {
  auto rows = target_.query(fmt::format("SELECT {} FROM idemload_jobs WHERE job_id = ?", kColumns), {job_id});
  if (rows.empty()) {
    // Accept a unique prefix, as people copy the first characters of an ID.
    rows = target_.query(fmt::format("SELECT {} FROM idemload_jobs WHERE job_id LIKE ? ORDER BY job_id", kColumns),
                         {job_id + "%"});
    if (rows.size() > 1) {
      throw Error::InvalidInput(fmt::format("job ID prefix '{}' matches {} jobs", job_id, rows.size()));
    }
  }
  if (rows.empty()) return std::nullopt;
  return row_from(rows.front());
}

std::vector<JobRow> Ledger::list(const std::string& state, const std::string& table, int limit) {
  std::string sql = fmt::format("SELECT {} FROM idemload_jobs WHERE 1 = 1", kColumns);
  targets::Params params;
  if (!state.empty()) {
    sql += " AND state = ?";
    params.emplace_back(state);
  }
  if (!table.empty()) {
    sql += " AND table_name = ?";
    params.emplace_back(table);
  }
  sql += fmt::format(" ORDER BY job_id DESC LIMIT {}", limit > 0 ? limit : 1000000);
  std::vector<JobRow> out;
  for (const auto& row : target_.query(sql, params)) out.push_back(row_from(row));
  return out;
}

std::optional<JobRow> Ledger::find_succeeded(const std::string& table, const std::string& batch,
                                             const std::string& fingerprint) {
  auto rows = target_.query(
      fmt::format("SELECT {} FROM idemload_jobs WHERE table_name = ? AND batch = ? AND fingerprint = ? AND state = ? "
                  "ORDER BY job_id DESC LIMIT 1",
                  kColumns),
      {table, batch, fingerprint, std::string(kSucceeded)});
  if (rows.empty()) return std::nullopt;
  return row_from(rows.front());
}

std::vector<JobRow> Ledger::find_in_state(const std::string& table, const std::string& batch, const std::string& state) {
  std::vector<JobRow> out;
  for (const auto& row : target_.query(
           fmt::format("SELECT {} FROM idemload_jobs WHERE table_name = ? AND batch = ? AND state = ? ORDER BY job_id",
                       kColumns),
           {table, batch, state})) {
    out.push_back(row_from(row));
  }
  return out;
}

void Ledger::heartbeat(const std::string& job_id, int64_t now) {
  target_.execute("UPDATE idemload_jobs SET heartbeat_at = ? WHERE job_id = ? AND state = ?",
                  {now, job_id, std::string(kRunning)});
}

void Ledger::progress(const std::string& job_id, int64_t rows_read, int64_t rows_inserted_delta, int64_t now) {
  // An increment: chunks may commit on several connections in any order, and the row then
  // always holds the sum of the committed chunks.
  target_.execute(
      "UPDATE idemload_jobs SET rows_read = ?, rows_inserted = COALESCE(rows_inserted, 0) + ?, heartbeat_at = ? "
      "WHERE job_id = ?",
      {rows_read, rows_inserted_delta, now, job_id});
}

void Ledger::finish(const JobRow& job) {
  target_.execute(
      "UPDATE idemload_jobs SET state = ?, finished_at = ?, heartbeat_at = ?, rows_read = ?, rows_rejected = ?, "
      "rows_distinct = ?, rows_before = ?, rows_inserted = ?, rows_deleted = ?, rows_after = ?, "
      "keys_only_in_scope = ?, error = ? WHERE job_id = ?",
      {job.state, job.finished_at, job.finished_at, job.rows_read, job.rows_rejected, job.rows_distinct,
       job.rows_before, job.rows_inserted, job.rows_deleted, job.rows_after, job.keys_only_in_scope,
       opt_text(job.error), job.job_id});
}

bool Ledger::mark_abandoned(const std::string& job_id, const std::string& reason, int64_t now) {
  return target_.execute("UPDATE idemload_jobs SET state = ?, error = ?, finished_at = ? WHERE job_id = ? AND state = ?",
                         {std::string(kAbandoned), reason, now, job_id, std::string(kRunning)}) > 0;
}

int64_t Ledger::mark_recovered(const std::string& table, const std::string& batch, const std::string& by_job) {
  return target_.execute(
      "UPDATE idemload_jobs SET state = ?, recovered_by = ? WHERE table_name = ? AND batch = ? AND state IN (?, ?)",
      {std::string(kRecovered), by_job, table, batch, std::string(kFailed), std::string(kAbandoned)});
}

}  // namespace idemload::jobs
