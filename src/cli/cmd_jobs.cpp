// idemload jobs: the ledger — a list of jobs (with their recovery chains) or one job in full.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/options.h"
#include "core/error.h"
#include "core/uuid.h"
#include "jobs/ledger.h"

namespace idemload::cli {
namespace {

struct JobsFlags {
  std::string target;
  std::string state;
  std::string table;
  int limit = 50;
  std::string job_id;
};

nlohmann::json job_json(const jobs::JobRow& job) {
  nlohmann::json out = {{"job_id", job.job_id},
                        {"parent_job_id", job.parent_job_id},
                        {"table", job.table_name},
                        {"batch", job.batch},
                        {"strategy", job.strategy},
                        {"state", job.state},
                        {"started_at", format_time_ms(job.started_at)},
                        {"heartbeat_at", job.heartbeat_at ? format_time_ms(job.heartbeat_at) : ""},
                        {"finished_at", job.finished_at ? format_time_ms(job.finished_at) : ""},
                        {"host", job.host},
                        {"pid", job.pid},
                        {"source", nlohmann::json::parse(job.source.empty() ? "[]" : job.source, nullptr, false)},
                        {"fingerprint", job.fingerprint},
                        {"rows_read", job.rows_read},
                        {"rows_rejected", job.rows_rejected},
                        {"rows_distinct", job.rows_distinct},
                        {"rows_before", job.rows_before},
                        {"rows_inserted", job.rows_inserted},
                        {"rows_deleted", job.rows_deleted},
                        {"rows_after", job.rows_after},
                        {"keys_only_in_scope", job.keys_only_in_scope},
                        {"error", job.error},
                        {"recovered_by", job.recovered_by}};
  return out;
}

std::unique_ptr<targets::Target> open_ledger(const std::string& url, std::unique_ptr<jobs::Ledger>& ledger) {
  if (url.empty()) throw Error::InvalidInput("no target given (--target URL, or IDEMLOAD_TARGET)");
  auto target = targets::open_target(url);
  ledger = std::make_unique<jobs::Ledger>(*target);
  return target;
}

int list_jobs(const JobsFlags& flags, const Globals& globals) {
  std::unique_ptr<jobs::Ledger> ledger;
  auto target = open_ledger(flags.target, ledger);
  std::vector<jobs::JobRow> rows;
  if (ledger->tables_exist()) rows = ledger->list(flags.state, flags.table, flags.limit);
  if (globals.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& job : rows) out.push_back(job_json(job));
    std::cout << out.dump() << "\n";
    return kExitOk;
  }
  if (rows.empty()) {
    std::cout << "No jobs recorded in " << target->display_url() << ".\n";
    return kExitOk;
  }
  std::cout << fmt::format("{:<36}  {:<10}  {:<13}  {:<16}  {:<14}  {:>10}  {:>10}  {}\n", "JOB", "STATE", "STRATEGY",
                           "TABLE", "BATCH", "INSERTED", "AFTER", "STARTED / CHAIN");
  for (const auto& job : rows) {
    std::string chain = format_time_ms(job.started_at);
    if (!job.parent_job_id.empty()) chain += " recovers " + job.parent_job_id.substr(0, 13);
    if (!job.recovered_by.empty()) chain += " recovered by " + job.recovered_by.substr(0, 13);
    // -1: not counted (the job failed or was killed first).
    const std::string after = job.rows_after < 0 ? "-" : std::to_string(job.rows_after);
    std::cout << fmt::format("{:<36}  {:<10}  {:<13}  {:<16}  {:<14}  {:>10}  {:>10}  {}\n", job.job_id, job.state,
                             job.strategy, job.table_name, job.batch, job.rows_inserted, after, chain);
  }
  return kExitOk;
}

int show_job(const JobsFlags& flags, const Globals& globals) {
  std::unique_ptr<jobs::Ledger> ledger;
  auto target = open_ledger(flags.target, ledger);
  std::optional<jobs::JobRow> job;
  if (ledger->tables_exist()) job = ledger->find(flags.job_id);
  if (!job) throw Error::InvalidInput(fmt::format("no job {} in {}", flags.job_id, target->display_url()));
  auto doc = job_json(*job);
  // The chain: ancestors (parent_job_id) and the job that recovered this one.
  nlohmann::json chain = nlohmann::json::array();
  std::string parent = job->parent_job_id;
  for (int depth = 0; !parent.empty() && depth < 100; ++depth) {
    auto up = ledger->find(parent);
    if (!up) break;
    chain.push_back({{"job_id", up->job_id}, {"state", up->state}});
    parent = up->parent_job_id;
  }
  doc["ancestors"] = chain;
  if (globals.json) {
    std::cout << doc.dump() << "\n";
    return kExitOk;
  }
  for (auto& [key, value] : doc.items()) {
    std::cout << fmt::format("{:<20} {}\n", key + ":", value.is_string() ? value.get<std::string>() : value.dump());
  }
  return kExitOk;
}

const Registration kRegistration(20, [](CLI::App& app, Globals& globals, int& exit_code) {
  auto flags = std::make_shared<JobsFlags>();
  auto* cmd = app.add_subcommand("jobs", "List the jobs recorded in the target's ledger (newest first)");
  add_target_option(*cmd, flags->target)->required(false);  // checked when used: `show` may carry it
  cmd->add_option("--state", flags->state, "Only jobs in this state (running, succeeded, failed, abandoned, recovered)");
  cmd->add_option("--table", flags->table, "Only jobs of this table");
  cmd->add_option("--limit", flags->limit, "At most this many jobs (default 50)");
  cmd->add_flag("--json", globals.json, "Print JSON");
  auto* show = cmd->add_subcommand("show", "Show one job in full, with its recovery chain");
  // --target may come before or after `show`.
  show->add_option("--target,-t", flags->target, "Target database (as for `jobs`)")->envname("IDEMLOAD_TARGET");
  show->add_option("job_id", flags->job_id, "Job ID (or a unique prefix)")->required();
  show->add_flag("--json", globals.json, "Print JSON");
  show->callback([flags, &globals, &exit_code] { exit_code = show_job(*flags, globals); });
  cmd->callback([flags, &globals, &exit_code, cmd] {
    if (cmd->got_subcommand("show")) return;
    exit_code = list_jobs(*flags, globals);
  });
});

}  // namespace
}  // namespace idemload::cli
