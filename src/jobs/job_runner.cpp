#include "jobs/job_runner.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "core/error.h"
#include "core/failpoint.h"
#include "core/uuid.h"
#include "formats/csv/csv_writer.h"
#include "jobs/heartbeat.h"
#include "jobs/reconcile.h"

namespace idemload::jobs {

namespace {

std::string default_batch(const std::vector<std::string>& sources) {
  std::filesystem::path first(sources.front());
  std::string stem = first.stem().string();
  return stem.empty() ? "default" : stem;
}

// Counts rejected rows, writes them to the reject file (formats::csv::RejectFile: one line
// each, written straight through so a crash loses none) and enforces --max-rejects.
class RejectSink {
 public:
  RejectSink(const std::string& path, int64_t max_rejects) : max_rejects_(max_rejects) {
    if (!path.empty()) file_ = std::make_unique<formats::csv::RejectFile>(path);
  }
  void operator()(const formats::Reject& reject) {
    ++count_;
    if (file_) file_->write(reject);
    if (max_rejects_ >= 0 && count_ > max_rejects_) {
      throw Error::InvalidInput(fmt::format("more than {} rejected rows (--max-rejects); the last: line {}: {}",
                                            max_rejects_, reject.line, reject.reason),
                                {.file = reject.file, .row = reject.line, .column = reject.column});
    }
  }
  void close() {
    if (file_) file_->close();
  }

 private:
  int64_t max_rejects_;
  std::unique_ptr<formats::csv::RejectFile> file_;
  int64_t count_ = 0;
};

// Checks the source's columns against an existing table before anything is written.
void check_schema(targets::Target& target, const LoadRequest& request, const Schema& source, Schema& table_schema) {
  std::vector<std::string> problems;
  std::vector<Field> missing;
  for (const auto& field : source.fields()) {
    auto idx = table_schema.index_of(field.name);
    if (!idx) {
      missing.push_back(field);
      continue;
    }
    const Field& have = table_schema.field(*idx);
    if (have.type != field.type) {
      problems.push_back(fmt::format("column '{}' is {} in the source but {} in table {}", field.name,
                                     type_name(field.type), type_name(have.type), request.table));
    }
  }
  if (!missing.empty() && !request.evolve_add_columns) {
    std::string names;
    for (const auto& field : missing) names += (names.empty() ? "" : ", ") + field.name;
    problems.push_back(fmt::format("table {} has no column {} (source columns: {}; table columns: {}; "
                                   "--evolve add-columns adds them)",
                                   request.table, names, source.to_string(), table_schema.to_string()));
  }
  if (!problems.empty()) {
    std::string message = problems.front();
    for (size_t idx = 1; idx < problems.size(); ++idx) message += "; " + problems[idx];
    throw Error::SchemaDrift(message, {.target = target.display_url()});
  }
  for (const auto& field : missing) {
    Field added = field;
    added.nullable = true;
    target.add_column(request.table, added);
    table_schema.add(added);
  }
}

}  // namespace

std::vector<std::string> resolve_sources(const LoadRequest& request) {
  if (request.sources.empty()) throw Error::InvalidInput("no source files given");
  // Absolute paths: the ledger row is read later by `recover` or a monitor running elsewhere.
  std::vector<std::string> paths = formats::expand_sources(request.sources);
  for (auto& path : paths) path = std::filesystem::absolute(path).lexically_normal().string();
  return paths;
}

JobResult run_load(const LoadRequest& input, const ProgressCallback& progress) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  LoadRequest request = input;
  JobResult result;
  // The timings (JobResult::Timings): what is not counted in a part is the preparation before
  // the first count or the finish after the last.
  const Clock::time_point none{};
  Clock::time_point counting_started = none, load_started = none, load_ended = none;
  double count_in_load = 0;  // an end count the strategy ran inside its transaction
  strategies::StrategyStats stats;
  auto since = [](Clock::time_point from, Clock::time_point to) { return std::chrono::duration<double>(to - from).count(); };
  auto settle_timings = [&] {
    const auto now = Clock::now();
    result.seconds = since(started, now);
    JobResult::Timings& timings = result.timings;
    if (counting_started == none) {
      timings.prepare = result.seconds;
      return;
    }
    timings.prepare = since(started, counting_started);
    if (load_started != none) {
      timings.scan_keys = stats.seconds_scan;
      timings.load = std::max(0.0, since(load_started, load_ended != none ? load_ended : now) - timings.scan_keys - count_in_load);
    }
    if (stats.first_commit != none) timings.first_commit = since(started, stats.first_commit);
    timings.finish = std::max(0.0, result.seconds - timings.prepare - timings.count_before - timings.scan_keys -
                                       timings.load - timings.count_after);
  };
  if (request.table.empty()) throw Error::InvalidInput("no table given (--table NAME)");
  if (request.key.empty()) throw Error::InvalidInput("no key given (--key COLS, e.g. --key ip,date,time)");
  if (request.chunk_rows == 0) throw Error::InvalidInput("--chunk-rows must be at least 1");
  if (request.writers == 0 || request.writers > 16) throw Error::InvalidInput("--writers must be 1 to 16");
  auto strategy = strategies::make_strategy(request.strategy);

  // 1. Everything that can be checked without writing: sources, key columns, target.
  std::vector<std::string> paths = resolve_sources(request);
  if (request.batch.empty()) request.batch = default_batch(paths);
  std::string fingerprint = formats::fingerprint(paths);
  RejectSink rejects(request.reject_file, request.max_rejects);
  formats::SourceOptions source_options;
  source_options.column_types = request.column_types;
  source_options.ignore_corrupt_files = request.ignore_corrupt_files;
  source_options.on_reject = [&rejects](const formats::Reject& reject) { rejects(reject); };
  formats::MultiFileReader source(paths, source_options);
  const Schema& source_schema = *source.schema();
  std::vector<size_t> key_columns = source_schema.indexes_of(request.key, "key column", paths.front());

  auto target = targets::open_target(request.target_url);
  const std::string display_url = target->display_url();
  Ledger ledger(*target);

  // 2. One job per (table, batch) at a time.
  auto lock = target->lock(fmt::format("idemload:{}:{}", request.table, request.batch),
                           std::chrono::milliseconds(request.lock_timeout_ms));
  ledger.ensure_tables();

  // 3. f(x) = f(f(x)): a batch already loaded from the same files is a no-op.
  if (!request.force) {
    if (auto done = ledger.find_succeeded(request.table, request.batch, fingerprint)) {
      result.noop = true;
      result.noop_job_id = done->job_id;
      result.job = *done;
      settle_timings();
      return result;
    }
  }
  if (!strategy->idempotent()) {
    result.warnings.push_back("strategy 'append' is not idempotent: running it again duplicates every row");
  }

  // Holding the lock proves that no other job of this batch is alive: `running` rows of it are
  // left by dead processes.
  const int64_t now = now_ms();
  for (const auto& dead : ledger.find_in_state(request.table, request.batch, kRunning)) {
    if (ledger.mark_abandoned(dead.job_id, "process gone: its lock was free when a later job started", now)) {
      result.abandoned_jobs.push_back(dead.job_id);
    }
  }
  if (request.parent_job_id.empty()) {
    auto failed = ledger.find_in_state(request.table, request.batch, kFailed);
    auto abandoned = ledger.find_in_state(request.table, request.batch, kAbandoned);
    std::string newest;
    for (const auto& job : failed) newest = std::max(newest, job.job_id);
    for (const auto& job : abandoned) newest = std::max(newest, job.job_id);
    request.parent_job_id = newest;
  }

  // 4. The table: create it from the source, or check it against the source.
  auto table_schema = target->table_schema(request.table);
  if (!table_schema) {
    targets::CreateOptions create;
    create.lineage = request.lineage;
    if (request.primary_key || strategy->needs_unique_key()) create.primary_key = request.key;
    target->create_table(request.table, source_schema, create);
    table_schema = target->table_schema(request.table);
  } else {
    check_schema(*target, request, source_schema, *table_schema);
    if (request.add_lineage && !table_schema->index_of(targets::kLineageColumn)) {
      Field lineage{std::string(targets::kLineageColumn), Type::kString, true};
      target->add_column(request.table, lineage);
      table_schema->add(lineage);
    }
  }
  if (strategy->needs_unique_key() && !target->has_unique_key(request.table, request.key)) {
    throw Error::InvalidInput(fmt::format(
        "strategy 'upsert' needs a primary key or unique index on ({}) in table {}; create one, or use antijoin",
        fmt::join(request.key, ", "), request.table));
  }
  const bool has_lineage = table_schema->index_of(targets::kLineageColumn).has_value();
  targets::Scope scope = !request.scope_where.empty() ? targets::Scope::where(request.scope_where)
                         : has_lineage                ? targets::Scope::lineage(request.batch)
                                                      : targets::Scope::all();
  if (scope.kind == targets::Scope::Kind::kAll && request.strategy == "overwrite" && !has_lineage) {
    result.warnings.push_back("overwrite with no _batch column and no --scope-where replaces the whole table");
  }

  // 5. The ledger row: from here on every failure is recorded.
  JobRow& job = result.job;
  job.job_id = new_uuid_v7();
  job.parent_job_id = request.parent_job_id;
  job.table_name = request.table;
  job.batch = request.batch;
  job.strategy = std::string(strategy->name());
  job.source = nlohmann::json(paths).dump();
  job.fingerprint = fingerprint;
  job.state = kRunning;
  job.started_at = now_ms();
  job.heartbeat_at = job.started_at;
  job.host = this_host();
  job.pid = ::getpid();
  job.request = request.to_json().dump();
  ledger.insert(job);

  std::unique_ptr<Heartbeat> heartbeat;
  try {
    IDEMLOAD_FAILPOINT(after_ledger_start);  // inside: an error here is recorded like any other
    heartbeat = std::make_unique<Heartbeat>(target->reconnect(), job.job_id, request.heartbeat_ms);

    strategies::StrategyContext context;
    context.target = target.get();
    context.source = &source;
    context.table = request.table;
    context.key = request.key;
    context.key_columns = key_columns;
    context.scope = scope;
    if (has_lineage) context.lineage = request.batch;
    context.chunk_rows = request.chunk_rows;
    context.push_down = request.push_down;
    context.update_on_conflict = request.update_on_conflict;
    context.on_progress = progress;
    context.writers = request.writers;
    context.in_chunk_transaction = [&job](targets::Target& on, int64_t rows_read, int64_t chunk_inserted) {
      Ledger(on).progress(job.job_id, rows_read, chunk_inserted, now_ms());
    };
    // The count at the start. A strategy that reads the keys in scope before it writes counts
    // them as it reads (StrategyStats::scope_rows): one pass over the scope instead of two.
    counting_started = Clock::now();
    if (!strategy->scans_scope_first(context)) {
      job.rows_before = target->count(request.table, scope);
      result.timings.count_before = since(counting_started, Clock::now());
    }
    // The count at the end, into job.rows_after and the timings; returns its seconds. `split`
    // may let the target count a large scope in two pieces at once (outside a transaction).
    auto count_at_end = [&](const targets::CountSplit& split) {
      const auto count_started = Clock::now();
      job.rows_after = target->count_with(request.table, scope, split);
      const double seconds = since(count_started, Clock::now());
      result.timings.count_after += seconds;
      return seconds;
    };
    auto fill_counts = [&](const strategies::StrategyStats& s) {
      if (s.scope_rows >= 0) job.rows_before = s.scope_rows;
      job.rows_read = s.rows_read;
      job.rows_rejected = source.rows_rejected();
      job.rows_distinct = s.rows_distinct;
      job.rows_inserted = s.rows_inserted;
      job.rows_deleted = s.rows_deleted;
      job.keys_only_in_scope = s.keys_only_in_scope.value_or(-1);
    };
    // All-or-nothing strategies: the counts are checked and the job marked succeeded inside the
    // data transaction, so the ledger and the data commit together.
    context.finish_in_transaction = [&](const strategies::StrategyStats& s) {
      if (!request.force) {
        if (auto done = ledger.find_succeeded(request.table, request.batch, fingerprint)) {
          result.noop = true;
          result.noop_job_id = done->job_id;
          return false;
        }
      }
      IDEMLOAD_FAILPOINT(before_ledger_finish);
      fill_counts(s);
      count_in_load = count_at_end({});
      if (auto mismatch = reconcile(job, strategy->idempotent())) throw Error::Internal(*mismatch);
      job.state = kSucceeded;
      job.finished_at = now_ms();
      ledger.finish(job);
      result.recovered_jobs = ledger.mark_recovered(request.table, request.batch, job.job_id);
      return true;
    };

    load_started = Clock::now();
    strategy->run(context, stats);
    load_ended = Clock::now();
    rejects.close();
    fill_counts(stats);
    result.skipped_files = source.skipped_files();
    result.rows_duplicate = stats.rows_duplicate;
    result.rows_matched = stats.rows_matched;
    result.rows_updated = stats.rows_updated;

    if (result.noop) {
      // Another job applied this batch while we waited; ours applied nothing.
      job.state = kSucceeded;
      job.rows_inserted = 0;
      count_at_end({});
      job.error = fmt::format("no-op: job {} had already loaded this batch", result.noop_job_id);
      job.finished_at = now_ms();
      ledger.finish(job);
    } else if (!stats.finished_in_transaction) {
      IDEMLOAD_FAILPOINT(before_ledger_finish);
      count_at_end(stats.count_split);
      if (!stats.keys_only_in_scope && strategy->idempotent() && stats.scope_keys < 0) {
        // upsert DO NOTHING: keys in scope not in the source = keys before - keys matched.
        job.keys_only_in_scope = job.rows_before - stats.rows_matched;
      }
      auto mismatch = reconcile(job, strategy->idempotent());
      job.state = mismatch ? kFailed : kSucceeded;
      job.error = mismatch.value_or("");
      job.finished_at = now_ms();
      heartbeat->stop();
      ledger.finish(job);
      if (!mismatch) result.recovered_jobs = ledger.mark_recovered(request.table, request.batch, job.job_id);
    }
  } catch (const std::exception& error) {
    if (load_started != none && load_ended == none) load_ended = Clock::now();
    target->rollback();
    // A commit whose outcome is unknown is settled by the job's ledger row, which commits with
    // the data in the all-or-nothing strategies: if it says succeeded, the commit happened.
    auto* in_doubt = dynamic_cast<const Error*>(&error);
    if (in_doubt != nullptr && in_doubt->kind() == ErrorKind::kInDoubt) {
      try {
        auto fresh = targets::open_target(request.target_url);
        auto row = Ledger(*fresh).find(job.job_id);
        if (row && row->state == kSucceeded) {
          if (heartbeat) heartbeat->stop();
          job = *row;
          result.warnings.push_back("the final commit's outcome was unknown; the ledger shows it succeeded");
          settle_timings();
          return result;
        }
      } catch (const std::exception&) {
        // Cannot tell: record the failure below; the next run repairs either way.
      }
    }
    // Record the failure. The connection may be broken: fall back to a new connection.
    job.state = kFailed;
    job.error = error.what();
    job.finished_at = now_ms();
    if (stats.scope_rows >= 0) job.rows_before = stats.scope_rows;
    job.rows_read = stats.rows_read;
    job.rows_rejected = source.rows_rejected();
    job.rows_distinct = stats.rows_distinct;
    job.rows_inserted = stats.rows_inserted;
    job.rows_deleted = stats.rows_deleted;
    if (heartbeat) heartbeat->stop();
    try {
      ledger.finish(job);
    } catch (const std::exception&) {
      try {
        auto fresh = targets::open_target(request.target_url);
        Ledger(*fresh).finish(job);
      } catch (const std::exception& ledger_error) {
        result.warnings.push_back(fmt::format("the failure could not be written to the ledger ({}); `idemload "
                                              "monitor` will find the job abandoned",
                                              ledger_error.what()));
      }
    }
  }
  if (heartbeat) {
    heartbeat->stop();
    result.heartbeat_failures = heartbeat->failures();
    if (result.heartbeat_failures > 0) {
      result.warnings.push_back(fmt::format("{} heartbeat(s) could not be written (last: {})",
                                            result.heartbeat_failures, heartbeat->last_error()));
    }
  }
  result.skipped_files = source.skipped_files();
  settle_timings();
  return result;
}

nlohmann::json JobResult::to_json() const {
  nlohmann::json out = {{"ok", ok()},
                        {"noop", noop},
                        {"job_id", job.job_id},
                        {"parent_job_id", job.parent_job_id},
                        {"state", job.state},
                        {"table", job.table_name},
                        {"batch", job.batch},
                        {"strategy", job.strategy},
                        {"fingerprint", job.fingerprint},
                        {"rows_read", job.rows_read},
                        {"rows_rejected", job.rows_rejected},
                        {"rows_distinct", job.rows_distinct},
                        {"rows_duplicate", rows_duplicate},
                        {"rows_matched", rows_matched},
                        {"rows_updated", rows_updated},
                        {"rows_before", job.rows_before},
                        {"rows_inserted", job.rows_inserted},
                        {"rows_deleted", job.rows_deleted},
                        {"rows_after", job.rows_after},
                        {"keys_only_in_scope", job.keys_only_in_scope},
                        {"error", job.error},
                        {"warnings", warnings},
                        {"skipped_files", skipped_files},
                        {"abandoned_jobs", abandoned_jobs},
                        {"recovered_jobs", recovered_jobs},
                        {"heartbeat_failures", heartbeat_failures},
                        {"seconds", seconds},
                        {"timings",
                         {{"prepare", timings.prepare},
                          {"count_before", timings.count_before},
                          {"scan_keys", timings.scan_keys},
                          {"load", timings.load},
                          {"count_after", timings.count_after},
                          {"finish", timings.finish},
                          {"first_commit", timings.first_commit ? nlohmann::json(*timings.first_commit) : nlohmann::json()}}}};
  if (noop) out["noop_job_id"] = noop_job_id;
  return out;
}

std::string JobResult::summary() const {
  if (noop) {
    return fmt::format(
        "Already loaded: table {} batch {} from these files was loaded by job {} (state {}). Nothing to do; "
        "--force runs it anyway.",
        job.table_name, job.batch, noop_job_id, job.state);
  }
  // -1: not counted (the job failed or was killed first).
  auto counted = [](int64_t rows) { return rows < 0 ? std::string("?") : std::to_string(rows); };
  std::string text = fmt::format(
      "Job {} ({}) {}: table {} batch {}. Read {} rows ({} rejected, {} duplicate keys dropped, {} distinct); "
      "scope had {} rows, {} inserted, {} deleted, now {}. {:.2f} s.",
      job.job_id, job.strategy, job.state, job.table_name, job.batch, job.rows_read, job.rows_rejected,
      rows_duplicate, job.rows_distinct, counted(job.rows_before), job.rows_inserted, job.rows_deleted,
      counted(job.rows_after), seconds);
  if (!job.parent_job_id.empty() && job.state == kSucceeded) {
    text += fmt::format(" Recovers job {}.", job.parent_job_id);
  }
  if (!job.error.empty()) text += "\nError: " + job.error;
  for (const auto& warning : warnings) text += "\nWarning: " + warning;
  for (const auto& file : skipped_files) text += "\nSkipped corrupt file: " + file;
  for (const auto& dead : abandoned_jobs) text += fmt::format("\nMarked job {} abandoned (its process is gone).", dead);
  return text;
}

}  // namespace idemload::jobs
