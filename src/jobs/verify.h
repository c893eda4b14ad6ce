// Exact comparison of a source and the rows in a target scope (`idemload verify`, the demo, the
// fault tests and `evaluate`): sorted exact keys, plus a 64-bit digest of each row's values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "formats/source.h"
#include "targets/target.h"

namespace idemload::jobs {

struct VerifyResult {
  int64_t source_rows = 0;      // rows read from the source
  int64_t source_distinct = 0;  // distinct source keys (first occurrence wins)
  int64_t target_rows = 0;      // rows in scope
  int64_t missing = 0;          // source keys absent from the scope
  int64_t extra = 0;            // scope keys the source lacks
  int64_t duplicates = 0;       // scope rows beyond the first of their key
  int64_t different = 0;        // keys present on both sides whose values differ
  std::vector<std::string> missing_examples, extra_examples, duplicate_examples, different_examples;
  uint64_t target_digest = 0;   // order-independent digest of the scope's rows (for f(x) = f(f(x)))
  bool ok() const { return missing == 0 && extra == 0 && duplicates == 0 && different == 0; }
  nlohmann::json to_json() const;
  std::string summary() const;
};

// Reads `paths` (de-duplicated on `key`) and the rows of `table` in `scope`, and compares them.
// With compare_values, the values of the source's columns are compared too (by digest).
VerifyResult verify(const std::vector<std::string>& paths, const formats::SourceOptions& options,
                    targets::Target& target, const std::string& table, const std::vector<std::string>& key,
                    const targets::Scope& scope, bool compare_values = true, size_t max_examples = 5);

}  // namespace idemload::jobs
