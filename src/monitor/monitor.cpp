#include "monitor/monitor.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>

#include "core/error.h"
#include "core/key_hash.h"
#include "core/uuid.h"
#include "core/value_text.h"
#include "jobs/ledger.h"
#include "jobs/load_request.h"
#include "jobs/reconcile.h"
#include "jobs/recover.h"
#include "monitor/metrics.h"

namespace idemload::monitor {

namespace {

// How long a monitor waits for another one to finish announcing (its deliveries may each take
// up to the channel timeout × retries).
constexpr int64_t kAlertLockTimeoutMs = 300000;
// The wait is made of tries this long, so that a monitor asked to stop (SIGTERM) does not sit
// out the whole of it.
constexpr int64_t kAlertLockTryMs = 1000;

Alert alert_for(const jobs::JobRow& job, const std::string& kind, const std::string& text) {
  Alert alert;
  alert.key = job.job_id + ":" + kind;
  alert.kind = kind;
  alert.job_id = job.job_id;
  alert.table = job.table_name;
  alert.batch = job.batch;
  alert.state = job.state;
  alert.error = job.error;
  alert.host = job.host;
  alert.occurred_at_ms = job.finished_at ? job.finished_at : job.heartbeat_at;
  alert.text = text;
  return alert;
}

}  // namespace

Expectation Expectation::parse(const std::string& text) {
  auto parts = split_list(text, ' ');
  Expectation out;
  if (parts.size() != 3 && parts.size() != 5) {
    throw Error::InvalidInput(
        fmt::format("--expect '{}': expected \"TABLE every DURATION [by HH:MM]\"", text));
  }
  if (parts[1] != "every" || (parts.size() == 5 && parts[3] != "by")) {
    throw Error::InvalidInput(
        fmt::format("--expect '{}': expected \"TABLE every DURATION [by HH:MM]\"", text));
  }
  out.table = parts[0];
  try {
    auto every = parse_duration_ms(parts[2]);
    if (!every || *every <= 0) throw Error::InvalidInput(fmt::format("--expect '{}': bad duration '{}'", text, parts[2]));
    out.every_ms = *every;
  } catch (const Error& error) {
    throw Error::InvalidInput(fmt::format("--expect '{}': {}", text, error.what()));
  }
  if (parts.size() == 5) {
    auto time = parse_time(parts[4].size() == 5 ? parts[4] + ":00" : parts[4]);
    if (!time)
      throw Error::InvalidInput(fmt::format("--expect '{}': bad time of day '{}'", text, parts[4]));
    out.by_ms_of_day = *time / 1000;
  }
  return out;
}

bool process_alive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

Monitor::Monitor(MonitorOptions options) : options_(std::move(options)) {
  for (const auto& spec : options_.alert_specs) {
    channels_.push_back(make_channel(spec, options_.channel_options));
    // The channel's name in idemload_alerts: stable across restarts (a hash of the spec tells
    // two webhooks on one host apart) and free of secrets (describe() redacts them).
    channel_names_.push_back(
        fmt::format("{} #{:08x}", channels_.back()->describe(), hash_bytes(spec) & 0xFFFFFFFF));
  }
}

CycleReport Monitor::run_cycle() {
  CycleReport report;
  auto target = targets::open_target(options_.target_url);
  jobs::Ledger ledger(*target);
  ledger.ensure_tables();
  const int64_t now = now_ms();
  const std::string host = jobs::this_host();

  // The newest job of each (table, batch), and of each table (batch "\0"), that has not
  // settled: running, failed or abandoned. Rows it wrote explain a count that moved after the
  // batch's last success, which is then no sign of tampering.
  const std::string any_batch(1, '\0');
  std::map<std::pair<std::string, std::string>, std::string> unsettled;
  auto note_unsettled = [&](const jobs::JobRow& job) {
    for (const auto& batch : {job.batch, any_batch}) {
      auto& newest = unsettled[{job.table_name, batch}];
      newest = std::max(newest, job.job_id);
    }
  };

  // 1. Dead jobs: no heartbeat for stale_after, or (on this host) their process is gone.
  for (const auto& job : ledger.list(jobs::kRunning, "", 0)) {
    note_unsettled(job);
    std::string reason;
    if (job.host == host && !process_alive(job.pid)) {
      reason = fmt::format("process {} on {} is gone (last heartbeat {} s ago)", job.pid, host,
                           (now - job.heartbeat_at) / 1000);
    } else if (now - job.heartbeat_at > options_.stale_after_ms) {
      reason = fmt::format("no heartbeat for {} s (limit {} s)", (now - job.heartbeat_at) / 1000,
                           options_.stale_after_ms / 1000);
    }
    if (!reason.empty() && ledger.mark_abandoned(job.job_id, reason, now)) {
      report.abandoned.push_back(job.job_id);
    }
  }

  // 2. What is wrong now.
  std::vector<Alert> alerts;
  for (const char* state : {jobs::kFailed, jobs::kAbandoned}) {
    for (const auto& job : ledger.list(state, "", 0)) {
      note_unsettled(job);
      alerts.push_back(alert_for(
          job, state,
          fmt::format("idemload: job {} loading {} batch {} {}: {}", job.job_id, job.table_name,
                      job.batch, job.state == jobs::kFailed ? "failed" : "was abandoned",
                      job.error)));
    }
  }
  std::map<std::pair<std::string, std::string>, bool> latest_seen;
  std::map<std::string, int64_t> last_success;
  for (const auto& job : ledger.list(jobs::kSucceeded, "", 0)) {  // newest first
    last_success[job.table_name] = std::max(last_success[job.table_name], job.finished_at);
    if (auto mismatch = jobs::reconcile(job, job.strategy != "append")) {
      alerts.push_back(alert_for(
          job, "mismatch",
          fmt::format("idemload: job {} ({} batch {}) succeeded but its counts do not add up: {}",
                      job.job_id, job.table_name, job.batch, *mismatch)));
      continue;
    }
    // The newest success of each batch: does the table still hold what it recorded?
    if (!options_.check_tables || latest_seen[{job.table_name, job.batch}]) continue;
    latest_seen[{job.table_name, job.batch}] = true;
    try {
      auto request =
          jobs::LoadRequest::from_json(nlohmann::json::parse(job.request, nullptr, false));
      auto schema = target->table_schema(job.table_name);
      if (!schema) continue;
      targets::Scope scope =
          !request.scope_where.empty()                ? targets::Scope::where(request.scope_where)
          : schema->index_of(targets::kLineageColumn) ? targets::Scope::lineage(job.batch)
                                                      : targets::Scope::all();
      // Without lineage every batch's scope is the whole table: only the table's newest success
      // tells what it should hold (older batches' counts were overtaken by later loads).
      const bool whole_table = scope.kind == targets::Scope::Kind::kAll;
      if (whole_table) {
        bool& table_seen = latest_seen[{job.table_name, any_batch}];
        if (table_seen) continue;
        table_seen = true;
      }
      auto later = unsettled.find({job.table_name, whole_table ? any_batch : job.batch});
      if (later != unsettled.end() && later->second > job.job_id) continue;
      int64_t count = target->count(job.table_name, scope);
      if (count != job.rows_after) {
        Alert alert = alert_for(
            job, "mismatch",
            fmt::format("idemload: table {} batch {} holds {} rows, but job {} left {} when it "
                        "succeeded: rows were changed outside idemload",
                        job.table_name, job.batch, count, job.job_id, job.rows_after));
        alert.key = fmt::format("{}:tampered:{}", job.job_id, count);
        alerts.push_back(alert);
      }
    } catch (const std::exception& error) {
      report.errors.push_back(fmt::format("checking table {}: {}", job.table_name, error.what()));
    }
  }
  for (const auto& expectation : options_.expectations) {
    int64_t last = last_success.count(expectation.table) ? last_success[expectation.table] : 0;
    bool late = now - last > expectation.every_ms;
    if (expectation.by_ms_of_day >= 0) {
      // Due by HH:MM UTC: the period that ended at the latest HH:MM must have had a success.
      int64_t due = now - now % 86400000 + expectation.by_ms_of_day;
      if (due > now) due -= 86400000;
      late = last < due - expectation.every_ms;
    }
    if (late) {
      Alert alert;
      alert.kind = "missing";
      alert.table = expectation.table;
      alert.key = fmt::format("missing:{}:{}", expectation.table, last);
      alert.occurred_at_ms = now;
      alert.text = last == 0 ? fmt::format("idemload: table {} has never been loaded successfully",
                                           expectation.table)
                             : fmt::format("idemload: table {} has had no successful load since {}",
                                           expectation.table, format_time_ms(last));
      alerts.push_back(alert);
    }
  }

  // 3. Announce each once per channel; a failed delivery stays pending for the next cycle.
  // Monitors that overlap (a cron run outlasting its period, two hosts) take turns: the lock
  // makes "not delivered yet? deliver, record" one step, so no alert goes out twice. One that
  // cannot get its turn leaves everything pending for its next cycle.
  std::unique_ptr<targets::Lock> turn;
  const auto lock_started = std::chrono::steady_clock::now();
  const auto lock_deadline = lock_started + std::chrono::milliseconds(kAlertLockTimeoutMs);
  while (!turn) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        lock_deadline - std::chrono::steady_clock::now());
    try {
      turn = target->lock("idemload:monitor:alerts",
                          std::clamp(left, std::chrono::milliseconds(0),
                                     std::chrono::milliseconds(kAlertLockTryMs)));
    } catch (const Error& error) {
      const bool stopping = options_.stop_requested && options_.stop_requested();
      if (error.kind() != ErrorKind::kTargetConflict || stopping ||
          std::chrono::steady_clock::now() >= lock_deadline) {
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - lock_started);
        report.errors.push_back(error.kind() != ErrorKind::kTargetConflict
                                    ? fmt::format("alerts not sent in this cycle: {}", error.what())
                                    : fmt::format("alerts not sent in this cycle: another monitor "
                                                  "holds the alert lock ({} after {} ms)",
                                                  stopping ? "asked to stop" : "gave up",
                                                  waited.count()));
        break;
      }
    }
  }
  for (const auto& alert : alerts) {
    Finding finding;
    finding.alert = alert;
    if (!turn) {
      report.findings.push_back(std::move(finding));
      continue;
    }
    for (size_t idx = 0; idx < channels_.size(); ++idx) {
      const std::string& channel = channel_names_[idx];
      auto rows = target->query(
          "SELECT delivered_at, attempts FROM idemload_alerts WHERE alert_key = ? AND channel = ?",
          {alert.key, channel});
      if (!rows.empty() && rows[0][0]) continue;  // delivered in an earlier cycle
      if (rows.empty()) {
        finding.is_new = true;
        target->execute(
            "INSERT INTO idemload_alerts (alert_key, channel, job_id, kind, first_seen_at, "
            "attempts, payload) "
            "VALUES (?, ?, ?, ?, ?, 0, ?)",
            {alert.key, channel, alert.job_id, alert.kind, now, alert.to_json().dump()});
      }
      try {
        channels_[idx]->deliver(alert);
        target->execute(
            "UPDATE idemload_alerts SET delivered_at = ?, attempts = attempts + 1, last_error = "
            "NULL "
            "WHERE alert_key = ? AND channel = ?",
            {now_ms(), alert.key, channel});
        finding.delivered_to.push_back(channel);
        ++report.alerts_delivered;
      } catch (const std::exception& error) {
        target->execute(
            "UPDATE idemload_alerts SET attempts = attempts + 1, last_error = ? WHERE alert_key = "
            "? AND channel = ?",
            {std::string(error.what()), alert.key, channel});
        finding.failed_to.push_back(channel + ": " + error.what());
        ++report.alerts_failed;
      }
    }
    if (channels_.empty()) {
      auto rows = target->query("SELECT 1 FROM idemload_alerts WHERE alert_key = ? AND channel = ?",
                                {alert.key, "-"});
      if (rows.empty()) {
        finding.is_new = true;
        target->execute(
            "INSERT INTO idemload_alerts (alert_key, channel, job_id, kind, first_seen_at, "
            "attempts, payload) "
            "VALUES (?, '-', ?, ?, ?, 0, ?)",
            {alert.key, alert.job_id, alert.kind, now, alert.to_json().dump()});
      }
    }
    report.findings.push_back(std::move(finding));
  }
  turn.reset();

  // 4. Recover what failed or died (one recovery per table and batch).
  if (options_.auto_recover) {
    target.reset();
    jobs::RecoverOptions recover;
    recover.target_url = options_.target_url;
    try {
      for (auto& result : jobs::recover_all(recover)) {
        if (result.ok()) {
          report.recovered.push_back(result.failed_job_id);
        } else {
          report.errors.push_back(
              fmt::format("recovering {}: {}", result.failed_job_id,
                          result.error.empty() ? result.load.job.error : result.error));
        }
      }
    } catch (const std::exception& error) {
      report.errors.push_back(fmt::format("recover: {}", error.what()));
    }
  }
  ++cycles_;
  alerts_delivered_ += report.alerts_delivered;
  alerts_failed_ += report.alerts_failed;
  last_cycle_ms_ = now_ms();
  return report;
}

std::string Monitor::metrics_text() { return render_metrics(collect_metrics(), now_ms()); }

MonitorMetrics Monitor::collect_metrics() {
  auto target = targets::open_target(options_.target_url);
  jobs::Ledger ledger(*target);
  MonitorMetrics metrics;
  metrics.cycles = cycles_;
  metrics.alerts_delivered = alerts_delivered_;
  metrics.alerts_failed = alerts_failed_;
  metrics.last_cycle_ms = last_cycle_ms_;
  if (ledger.tables_exist()) {
    std::map<std::string, TableMetrics> tables;
    for (const auto& job : ledger.list("", "", 0)) {
      TableMetrics& table = tables[job.table_name];
      table.table = job.table_name;
      table.jobs_by_state[job.state] += 1;
      if (job.state == jobs::kSucceeded) {
        table.rows_loaded += job.rows_inserted;
        table.last_success_ms = std::max(table.last_success_ms, job.finished_at);
      }
    }
    for (auto& [name, table] : tables) metrics.tables.push_back(std::move(table));
  }
  return metrics;
}

nlohmann::json CycleReport::to_json() const {
  nlohmann::json findings_json = nlohmann::json::array();
  for (const auto& finding : findings) {
    auto doc = finding.alert.to_json();
    doc["new"] = finding.is_new;
    doc["delivered_to"] = finding.delivered_to;
    doc["failed_to"] = finding.failed_to;
    findings_json.push_back(doc);
  }
  return {{"ok", findings.empty()},
          {"abandoned", abandoned},
          {"findings", findings_json},
          {"alerts_delivered", alerts_delivered},
          {"alerts_failed", alerts_failed},
          {"recovered", recovered},
          {"errors", errors}};
}

std::string CycleReport::summary() const {
  std::string text =
      fmt::format("{} problem(s); {} job(s) marked abandoned; {} alert(s) delivered, {} failed.",
                  findings.size(), abandoned.size(), alerts_delivered, alerts_failed);
  for (const auto& finding : findings)
    text += "\n  " + std::string(finding.is_new ? "NEW " : "    ") + finding.alert.summary();
  for (const auto& job : recovered) text += "\n  recovered job " + job;
  for (const auto& error : errors) text += "\n  error: " + error;
  return text;
}

}  // namespace idemload::monitor
