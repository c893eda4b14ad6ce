#include "jobs/load_request.h"

#include <fmt/format.h>

#include "core/error.h"

namespace idemload::jobs {

nlohmann::json LoadRequest::to_json() const {
  nlohmann::json types = nlohmann::json::object();
  for (const auto& [column, type] : column_types) types[column] = std::string(type_name(type));
  // The target URL is not stored: the ledger lives in that database, and the URL may hold a password.
  return {{"sources", sources},
          {"table", table},
          {"key", key},
          {"batch", batch},
          {"strategy", strategy},
          {"scope_where", scope_where},
          {"push_down", push_down},
          {"update_on_conflict", update_on_conflict},
          {"primary_key", primary_key},
          {"lineage", lineage},
          {"evolve_add_columns", evolve_add_columns},
          {"chunk_rows", chunk_rows},
          {"writers", writers},
          {"max_rejects", max_rejects},
          {"reject_file", reject_file},
          {"column_types", types},
          {"ignore_corrupt_files", ignore_corrupt_files}};
}

LoadRequest LoadRequest::from_json(const nlohmann::json& json) {
  LoadRequest request;
  try {
    request.sources = json.at("sources").get<std::vector<std::string>>();
    request.table = json.at("table").get<std::string>();
    request.key = json.at("key").get<std::vector<std::string>>();
    request.batch = json.at("batch").get<std::string>();
    request.strategy = json.value("strategy", "antijoin");
    request.scope_where = json.value("scope_where", "");
    request.push_down = json.value("push_down", false);
    request.update_on_conflict = json.value("update_on_conflict", false);
    request.primary_key = json.value("primary_key", false);
    request.lineage = json.value("lineage", true);
    request.evolve_add_columns = json.value("evolve_add_columns", false);
    request.chunk_rows = json.value("chunk_rows", static_cast<size_t>(250000));
    request.writers = json.value("writers", static_cast<size_t>(2));
    request.max_rejects = json.value("max_rejects", static_cast<int64_t>(-1));
    request.reject_file = json.value("reject_file", "");
    request.ignore_corrupt_files = json.value("ignore_corrupt_files", false);
    const nlohmann::json types = json.value("column_types", nlohmann::json::object());
    for (const auto& [column, type] : types.items()) {
      auto parsed = parse_type(type.get<std::string>());
      if (parsed) request.column_types[column] = *parsed;
    }
  } catch (const nlohmann::json::exception& error) {
    throw Error::InvalidInput(fmt::format("the job's stored request cannot be read: {}", error.what()));
  }
  return request;
}

}  // namespace idemload::jobs
