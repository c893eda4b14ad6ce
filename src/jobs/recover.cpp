#include "jobs/recover.h"

#include <fmt/format.h>

#include <map>

#include "core/error.h"

namespace idemload::jobs {

RecoverResult recover_job(const std::string& job_id, const RecoverOptions& options) {
  auto target = targets::open_target(options.target_url);
  Ledger ledger(*target);
  std::optional<JobRow> job;
  if (ledger.tables_exist()) job = ledger.find(job_id);
  if (!job)
    throw Error::InvalidInput(fmt::format("no job {} in {}", job_id, target->display_url()));
  if (job->state == kSucceeded || job->state == kRecovered) {
    throw Error::InvalidInput(
        fmt::format("job {} is {}: nothing to recover", job->job_id, job->state));
  }
  LoadRequest request = LoadRequest::from_json(nlohmann::json::parse(job->request, nullptr, false));
  request.target_url = options.target_url;
  request.strategy = options.strategy;
  request.parent_job_id = job->job_id;
  request.lock_timeout_ms = options.lock_timeout_ms;
  // The failed job's files, expanded then: a glob may match more files now.
  auto sources = nlohmann::json::parse(job->source, nullptr, false);
  if (!sources.is_array() || sources.empty() || !sources[0].is_string()) {
    throw Error::InvalidInput(
        fmt::format("job {} records no source files: it cannot be re-run", job->job_id));
  }
  request.sources = sources.get<std::vector<std::string>>();
  if (!options.allow_changed_source) {
    auto paths = resolve_sources(request);
    std::string now = formats::fingerprint(paths);
    if (now != job->fingerprint) {
      throw Error::InvalidInput(
          fmt::format("the source files of job {} changed since it ran ({}): recovering would load "
                      "different data; "
                      "--allow-changed-source to recover anyway",
                      job->job_id, fmt::join(paths, ", ")));
    }
  }
  // The new job releases nothing we hold: close our connection before it takes the lock.
  target.reset();
  RecoverResult result;
  result.failed_job_id = job->job_id;
  result.load = run_load(request);
  return result;
}

std::vector<RecoverResult> recover_all(const RecoverOptions& options) {
  std::map<std::pair<std::string, std::string>, std::string> newest;
  {
    auto target = targets::open_target(options.target_url);
    Ledger ledger(*target);
    if (!ledger.tables_exist()) return {};
    for (const char* state : {kFailed, kAbandoned}) {
      for (const auto& job : ledger.list(state, "", 0)) {
        auto& slot = newest[{job.table_name, job.batch}];
        slot = std::max(slot, job.job_id);
      }
    }
  }
  std::vector<RecoverResult> out;
  for (const auto& [table_batch, job_id] : newest) {
    try {
      out.push_back(recover_job(job_id, options));
    } catch (const std::exception& error) {
      RecoverResult failed;
      failed.failed_job_id = job_id;
      failed.error = error.what();
      out.push_back(std::move(failed));
    }
  }
  return out;
}

}  // namespace idemload::jobs
