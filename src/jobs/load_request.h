// Everything a load job needs to run, gathered from flags, environment and config file by the
// CLI. Stored as JSON in the job's ledger row so that `recover` can run the same load again.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/schema.h"

namespace idemload::jobs {

struct LoadRequest {
  std::vector<std::string> sources;  // paths or globs
  std::string target_url;
  std::string table;
  std::vector<std::string> key;
  std::string batch;                 // default: the first source's file name without extension
  std::string strategy = "antijoin";
  std::string scope_where;           // user predicate for the scope (instead of _batch)
  bool push_down = false;            // antijoin in the database
  bool update_on_conflict = false;   // upsert DO UPDATE
  bool force = false;                // run even if (table, batch, fingerprint) already succeeded
  bool primary_key = false;          // create the table with the key as primary key
  bool lineage = true;               // add _batch when creating; --lineage adds it to an existing table
  bool add_lineage = false;          // add _batch to an existing table that lacks it
  bool evolve_add_columns = false;   // add missing columns to an existing table
  size_t chunk_rows = 250000;
  size_t writers = 2;                // connections writing chunks at once (servers only; SQLite: 1)
  int64_t lock_timeout_ms = 10000;
  int64_t max_rejects = -1;          // -1: no limit
  std::string reject_file;
  std::map<std::string, Type> column_types;
  bool ignore_corrupt_files = false;
  std::string parent_job_id;
  int64_t heartbeat_ms = 2000;

  nlohmann::json to_json() const;
  // Throws Error(kInvalidInput) when the JSON lacks a field the load needs.
  static LoadRequest from_json(const nlohmann::json& json);
};

}  // namespace idemload::jobs
