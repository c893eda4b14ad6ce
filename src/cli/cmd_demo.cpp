// idemload demo: the course lesson "Job Failure", replayed on an embedded SQLite database.
// Staging file -> de-duplicate on ip,date,time -> a production table holding a seeded 20% of it
// -> a load killed part-way -> recovery by anti-join -> equal counts -> a re-run that does nothing.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "core/error.h"
#include "core/failpoint.h"
#include "formats/source.h"
#include "jobs/job_runner.h"
#include "jobs/verify.h"
#include "ops/dedupe.h"
#include "ops/gen_edgar.h"
#include "ops/sample.h"
#include "formats/parquet/parquet_writer.h"

namespace idemload::cli {
namespace {

struct DemoFlags {
  std::string dir = "demo";
  int64_t rows = 200000;
  uint64_t seed = 42;
  double fraction = 0.2;
  int kill_after_chunk = 3;
};

std::string self_exe() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "idemload" : path.string();
}

// Runs `idemload load …` as a child process with a failpoint that kills it (a real SIGKILL).
int run_killed_load(const std::vector<std::string>& args, const std::string& failpoints, int& signal_out) {
  pid_t pid = ::fork();
  if (pid < 0) throw Error::Internal("fork failed");
  if (pid == 0) {
    ::setenv("IDEMLOAD_FAILPOINTS", failpoints.c_str(), 1);
    std::vector<char*> argv;
    std::string exe = self_exe();
    argv.push_back(exe.data());
    std::vector<std::string> copy = args;
    for (auto& arg : copy) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  signal_out = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run_demo(const DemoFlags& flags, const Globals& globals) {
  namespace fs = std::filesystem;
  fs::create_directories(flags.dir);
  const std::string staging = (fs::path(flags.dir) / "staging.parquet").string();
  const std::string db = (fs::path(flags.dir) / "production.sqlite").string();
  for (const auto& stale : {db, db + "-wal", db + "-shm", db + "-idemload.lock"}) fs::remove(stale);
  const std::string url = "sqlite:" + db;
  const std::string table = "production";
  const std::vector<std::string> key = {"ip", "date", "time"};
  const std::string batch = "2017-06-30";
  nlohmann::json report;
  auto say = [&](const std::string& text) {
    if (!globals.json && !globals.quiet) std::cout << text << "\n";
  };

  say("idemload demo — the \"Job Failure\" lesson on an embedded SQLite database");
  say(fmt::format("working folder: {}\n", fs::absolute(flags.dir).string()));

  // 1. Staging: EDGAR-shaped log rows, with the duplicate keys real logs have, as Parquet (the
  // course reads its staging table from Parquet).
  {
    ops::EdgarGenerator generator({.rows = flags.rows, .seed = flags.seed});
    formats::parquet::ParquetWriter writer(staging, *generator.output_schema());
    Batch rows(generator.output_schema());
    while (generator.next(rows)) writer.write(rows);
    writer.close();
  }
  say(fmt::format("1. staging: wrote {} EDGAR log rows to {} (Parquet, snappy)", flags.rows, staging));

  // 2. De-duplicate on ip, date, time; 3. a mock production table: a seeded 20% sample of it.
  formats::MultiFileReader reader({staging}, {});
  std::vector<size_t> key_columns = reader.schema()->indexes_of(key, "key column", staging);
  ops::Deduper deduper(key_columns);
  ops::BernoulliSample sample(flags.fraction, flags.seed);
  auto target = targets::open_target(url);
  targets::CreateOptions create;
  target->create_table(table, *reader.schema(), create);
  targets::WriteOptions write_options;
  write_options.lineage = batch;
  auto writer = target->writer(table, *reader.schema(), write_options);
  Batch raw(reader.schema()), distinct(reader.schema()), sampled(reader.schema());
  target->begin();
  while (reader.next(raw)) {
    deduper.apply(raw, distinct);
    sample.apply(distinct, sampled);
    writer->write(sampled);
  }
  writer->flush();
  target->commit();
  const int64_t distinct_rows = deduper.distinct_keys();
  const int64_t production_rows = target->count(table, targets::Scope::lineage(batch));
  say(fmt::format("2. de-duplicated on ip,date,time: {} rows -> {} distinct ({} duplicate keys dropped)",
                  deduper.rows_in(), distinct_rows, deduper.rows_dropped()));
  say(fmt::format("3. production = seeded {:.0f}% sample of staging: {} rows, share {:.3f}", flags.fraction * 100,
                  production_rows, static_cast<double>(production_rows) / static_cast<double>(distinct_rows)));
  report["staging_rows"] = deduper.rows_in();
  report["staging_distinct"] = distinct_rows;
  report["production_sample_rows"] = production_rows;

  // 4. A load that dies part-way: a real SIGKILL from the after_chunk_commit failpoint.
  // About ten chunks, so that the kill after chunk N leaves a real partial load.
  const int64_t chunk_rows = std::max<int64_t>(1000, flags.rows / 10);
  std::vector<std::string> load_args = {"load",  staging,        "--target", url,   "--table",      table,
                                        "--key", "ip,date,time", "--batch",  batch, "--chunk-rows", std::to_string(chunk_rows),
                                        "--quiet"};
  int signal = 0;
  run_killed_load(load_args, fmt::format("after_chunk_commit=kill@{}", flags.kill_after_chunk), signal);
  jobs::Ledger ledger(*target);
  auto running = ledger.find_in_state(table, batch, jobs::kRunning);
  const int64_t partial_rows = target->count(table, targets::Scope::lineage(batch));
  std::string killed_job = running.empty() ? "" : running.back().job_id;
  say(fmt::format("4. load job {} killed by signal {} after chunk {}: ledger says '{}', production now {} rows "
                  "(partial)",
                  killed_job, signal, flags.kill_after_chunk, running.empty() ? "?" : running.back().state,
                  partial_rows));
  report["killed_job"] = killed_job;
  report["killed_signal"] = signal;
  report["partial_rows"] = partial_rows;

  // 5. Recover: the same load again, as an anti-join — only the missing rows are inserted.
  jobs::LoadRequest request;
  request.sources = {staging};
  request.target_url = url;
  request.table = table;
  request.key = key;
  request.batch = batch;
  request.strategy = "antijoin";
  request.chunk_rows = static_cast<size_t>(chunk_rows);
  request.parent_job_id = killed_job;
  auto recovered = jobs::run_load(request);
  say(fmt::format("5. recovery job {} ({}): anti-join found {} rows already there, inserted the {} missing ones",
                  recovered.job.job_id, recovered.job.state, recovered.rows_matched, recovered.job.rows_inserted));
  report["recovery_job"] = recovered.job.job_id;
  report["recovery_inserted"] = recovered.job.rows_inserted;

  // 6. The lesson's check: staging (distinct) == production, by count and exactly by key.
  auto check = jobs::verify({staging}, {}, *target, table, key, targets::Scope::lineage(batch));
  bool equal = check.ok() && check.target_rows == check.source_distinct;
  say(fmt::format("6. staging == production: {} ({} == {}); exact check: {} missing, {} extra, {} duplicate keys",
                  equal ? "true" : "false", check.source_distinct, check.target_rows, check.missing, check.extra,
                  check.duplicates));
  report["staging_equals_production"] = equal;
  report["production_rows"] = check.target_rows;

  // 7. f(x) = f(f(x)): running the job again changes nothing.
  request.parent_job_id.clear();
  auto again = jobs::run_load(request);
  say(fmt::format("7. run again: {}", again.noop ? fmt::format("already loaded by job {}, 0 rows inserted", again.noop_job_id)
                                                 : fmt::format("inserted {} rows", again.job.rows_inserted)));
  report["rerun_noop"] = again.noop;
  say(fmt::format("\nledger: `idemload jobs --target {}`", url));
  if (globals.json) std::cout << report.dump() << "\n";
  return equal && again.noop ? kExitOk : kExitFailed;
}

const Registration kRegistration(5, [](CLI::App& app, Globals& globals, int& exit_code) {
  auto flags = std::make_shared<DemoFlags>();
  auto* cmd = app.add_subcommand("demo", "Replay the course lesson (fail, detect, recover) on an embedded SQLite");
  cmd->add_option("--dir", flags->dir, "Working folder (default ./demo); its database is recreated");
  cmd->add_option("--rows", flags->rows, "Staging rows to generate (default 200000)");
  cmd->add_option("--seed", flags->seed, "Seed for the data and the 20% sample (default 42)");
  cmd->add_option("--kill-after-chunk", flags->kill_after_chunk, "Kill the load after this many chunks (default 3)");
  cmd->add_flag("--json", globals.json, "Print a JSON report instead of the story");
  cmd->add_flag("--quiet,-q", globals.quiet, "Print nothing (exit code only)");
  cmd->callback([flags, &globals, &exit_code] { exit_code = run_demo(*flags, globals); });
});

}  // namespace
}  // namespace idemload::cli
