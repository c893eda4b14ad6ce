// idemload load: one job, loading staging files into a table with a strategy.
#include <iostream>

#include <fmt/format.h>

#include "cli/options.h"
#include "core/error.h"
#include "jobs/job_runner.h"
#include "strategies/strategy.h"

namespace idemload::cli {
namespace {

struct LoadFlags {
  jobs::LoadRequest request;
  std::string key;
  std::string lock_timeout = "10s";
  std::string antijoin = "client";
  std::string on_conflict = "nothing";
  std::string evolve;
  std::string scope;
  std::vector<std::string> types;
};

int run(const LoadFlags& flags_in, const Globals& globals) {
  LoadFlags flags = flags_in;
  jobs::LoadRequest& request = flags.request;
  request.key = split_list(flags.key);
  request.lock_timeout_ms = parse_duration_ms(flags.lock_timeout);
  request.column_types = parse_column_types(flags.types);
  if (flags.antijoin != "client" && flags.antijoin != "push-down") {
    throw Error::InvalidInput("--antijoin must be client or push-down");
  }
  request.push_down = flags.antijoin == "push-down";
  if (flags.on_conflict != "nothing" && flags.on_conflict != "update") {
    throw Error::InvalidInput("--on-conflict must be nothing or update");
  }
  request.update_on_conflict = flags.on_conflict == "update";
  if (!flags.evolve.empty() && flags.evolve != "add-columns") throw Error::InvalidInput("--evolve takes add-columns");
  request.evolve_add_columns = flags.evolve == "add-columns";
  if (!flags.scope.empty() && flags.scope != "all") throw Error::InvalidInput("--scope takes all (or use --scope-where)");
  if (flags.scope == "all") request.lineage = false;

  ProgressLine line(stderr_is_tty() && !globals.json && !globals.quiet);
  auto result = jobs::run_load(request, [&line](const strategies::StrategyStats& stats) {
    line.update(fmt::format("  read {} rows, {} distinct keys, {} inserted…", stats.rows_read, stats.rows_distinct,
                            stats.rows_inserted));
  });
  line.done();
  if (globals.json) {
    std::cout << result.to_json().dump() << "\n";
  } else if (!globals.quiet) {
    std::cout << result.summary() << "\n";
  }
  for (const auto& warning : result.warnings) {
    if (globals.json || globals.quiet) std::cerr << "idemload: warning: " << warning << "\n";
  }
  return result.ok() ? kExitOk : kExitFailed;
}

const Registration kRegistration(10, [](CLI::App& app, Globals& globals, int& exit_code) {
  auto flags = std::make_shared<LoadFlags>();
  auto* cmd = app.add_subcommand("load", "Load staging files (Parquet, CSV) into a table as one job");
  cmd->add_option("sources", flags->request.sources, "Source files or globs (*.parquet, logs/*.csv)")->required();
  add_target_option(*cmd, flags->request.target_url);
  cmd->add_option("--table", flags->request.table, "Target table")->required();
  cmd->add_option("--key,-k", flags->key, "Key columns, comma-separated (e.g. ip,date,time)")->required();
  cmd->add_option("--batch,-b", flags->request.batch,
                  "Batch label (e.g. 2017-03-29); default: the first file's name without extension");
  cmd->add_option("--strategy,-s", flags->request.strategy,
                  "append | antijoin | overwrite | transactional | upsert (default antijoin)")
      ->check(CLI::IsMember(strategies::strategy_names()));
  cmd->add_option("--antijoin", flags->antijoin, "antijoin execution: client (keys in memory) or push-down");
  cmd->add_option("--on-conflict", flags->on_conflict, "upsert: nothing (keep present rows) or update");
  cmd->add_option("--scope-where", flags->request.scope_where,
                  "SQL predicate selecting the batch's rows (instead of the _batch column)");
  cmd->add_option("--scope", flags->scope, "all: the batch is the whole table (overwrite swaps the table)");
  cmd->add_flag("--primary-key", flags->request.primary_key, "Create the table with the key as its primary key");
  cmd->add_flag("--lineage", flags->request.add_lineage, "Add the _batch lineage column to an existing table");
  cmd->add_option("--evolve", flags->evolve, "add-columns: add source columns the table lacks (nullable)");
  cmd->add_option("--chunk-rows", flags->request.chunk_rows, "Most rows per committed chunk (default 250000)");
  cmd->add_option("--writers", flags->request.writers,
                  "Connections writing chunks at once, PostgreSQL and MySQL (default 2; SQLite always 1)");
  cmd->add_option("--lock-timeout", flags->lock_timeout, "Wait this long for another job of the batch (default 10s)");
  cmd->add_option("--max-rejects", flags->request.max_rejects, "Fail the job after more rejected rows (default: no limit)");
  cmd->add_option("--reject-file", flags->request.reject_file, "Write rejected rows here (file,line,column,reason,raw)");
  cmd->add_option("--type", flags->types, "Column type override, COLUMN=TYPE (repeatable), e.g. cik=string");
  cmd->add_flag("--ignore-corrupt-files", flags->request.ignore_corrupt_files,
                "Skip (and report) corrupt source files, load the rest");
  cmd->add_flag("--force", flags->request.force, "Run even if this batch was already loaded from the same files");
  cmd->add_option("--heartbeat-ms", flags->request.heartbeat_ms, "Heartbeat interval (default 2000)");
  cmd->add_flag("--json", globals.json, "Print the result as JSON");
  cmd->add_flag("--quiet,-q", globals.quiet, "No progress or summary");
  cmd->callback([flags, &globals, &exit_code] { exit_code = run(*flags, globals); });
});

}  // namespace
}  // namespace idemload::cli
