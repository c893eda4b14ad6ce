// idemload recover: re-runs failed or abandoned jobs as new jobs (parent_job_id set) with the
// anti-join over the same source and batch.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/options.h"
#include "core/error.h"
#include "jobs/recover.h"

namespace idemload::cli {
namespace {

struct RecoverFlags {
  std::string target;
  std::string job_id;
  bool all = false;
  std::string strategy = "antijoin";
  bool allow_changed_source = false;
};

int run(const RecoverFlags& flags, const Globals& globals) {
  if (flags.job_id.empty() == !flags.all)
    throw Error::InvalidInput("give a JOB_ID or --all (not both)");
  jobs::RecoverOptions options;
  options.target_url = flags.target;
  options.strategy = flags.strategy;
  options.allow_changed_source = flags.allow_changed_source;
  auto results = flags.all
                     ? jobs::recover_all(options)
                     : std::vector<jobs::RecoverResult>{jobs::recover_job(flags.job_id, options)};
  bool ok = true;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& result : results) {
    ok = ok && result.ok();
    if (globals.json) {
      nlohmann::json doc = result.error.empty()
                               ? result.load.to_json()
                               : nlohmann::json{{"ok", false}, {"error", result.error}};
      doc["recovers"] = result.failed_job_id;
      out.push_back(doc);
    } else if (!result.error.empty()) {
      std::cout << fmt::format("Cannot recover job {}: {}\n", result.failed_job_id, result.error);
    } else {
      std::cout << fmt::format("Recovering job {}:\n{}\n", result.failed_job_id,
                               result.load.summary());
    }
  }
  if (globals.json) std::cout << out.dump() << "\n";
  if (results.empty() && !globals.json)
    std::cout << "Nothing to recover: no failed or abandoned jobs.\n";
  return ok ? kExitOk : kExitFailed;
}

const Registration kRegistration(40, [](CLI::App& app, Globals& globals, int& exit_code) {
  auto flags = std::make_shared<RecoverFlags>();
  auto* cmd =
      app.add_subcommand("recover", "Re-run failed or abandoned jobs incrementally (anti-join)");
  cmd->add_option("job_id", flags->job_id, "The failed or abandoned job (ID or unique prefix)");
  cmd->add_flag("--all", flags->all, "Every failed or abandoned job not yet recovered");
  add_target_option(*cmd, flags->target);
  cmd->add_option("--strategy", flags->strategy, "Strategy for the new job (default antijoin)");
  cmd->add_flag("--allow-changed-source", flags->allow_changed_source,
                "Recover even though the source files changed since the failed job");
  cmd->add_flag("--json", globals.json, "Print JSON");
  cmd->callback([flags, &globals, &exit_code] { exit_code = run(*flags, globals); });
});

}  // namespace
}  // namespace idemload::cli
