#include "jobs/verify.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.h"
#include "core/key_hash.h"
#include "core/value_text.h"

namespace idemload::jobs {

namespace {

struct Entry {
  std::string key;       // exact key encoding
  uint64_t digest = 0;   // digest of the row's values
  std::string display;   // the key as text, for examples
  bool operator<(const Entry& other) const { return key < other.key; }
};

std::string key_text(const Batch& batch, const std::vector<size_t>& key_columns, size_t row) {
  std::string out;
  for (size_t idx = 0; idx < key_columns.size(); ++idx) {
    if (idx) out += ",";
    const Column& column = batch.column(key_columns[idx]);
    out += column.is_null(row) ? "NULL" : value_text(column, row);
  }
  return out;
}

void collect(const Batch& batch, const std::vector<size_t>& key_columns, const std::vector<size_t>& value_columns,
             std::vector<Entry>& out) {
  std::string encoded;
  for (size_t row = 0; row < batch.num_rows(); ++row) {
    Entry entry;
    encode_key(batch, key_columns, row, entry.key);
    encoded.clear();
    encode_key(batch, value_columns, row, encoded);
    entry.digest = hash_bytes(encoded);
    entry.display = key_text(batch, key_columns, row);
    out.push_back(std::move(entry));
  }
}

}  // namespace

VerifyResult verify(const std::vector<std::string>& paths, const formats::SourceOptions& options,
                    targets::Target& target, const std::string& table, const std::vector<std::string>& key,
                    const targets::Scope& scope, bool compare_values, size_t max_examples) {
  VerifyResult result;
  formats::MultiFileReader source(paths, options);
  const Schema& schema = *source.schema();
  std::vector<size_t> key_columns = schema.indexes_of(key, "key column", paths.front());
  std::vector<size_t> value_columns;
  if (compare_values) {
    for (size_t idx = 0; idx < schema.size(); ++idx) value_columns.push_back(idx);
  }

  std::vector<Entry> source_entries;
  Batch batch(source.schema());
  while (source.next(batch)) collect(batch, key_columns, value_columns, source_entries);
  result.source_rows = static_cast<int64_t>(source_entries.size());
  // First occurrence wins: a stable sort keeps file order among equal keys.
  std::stable_sort(source_entries.begin(), source_entries.end());
  source_entries.erase(std::unique(source_entries.begin(), source_entries.end(),
                                   [](const Entry& a, const Entry& b) { return a.key == b.key; }),
                       source_entries.end());
  result.source_distinct = static_cast<int64_t>(source_entries.size());

  auto table_schema = target.table_schema(table);
  if (!table_schema) throw Error::InvalidInput(fmt::format("table {} does not exist", table), {.target = target.display_url()});
  // Scan the source's columns, converted to the source's types, so both sides encode alike.
  Schema wanted = schema;
  std::vector<Entry> target_entries;
  target.scan(table, wanted, scope, kDefaultBatchRows,
              [&](const Batch& rows) { collect(rows, key_columns, value_columns, target_entries); });
  result.target_rows = static_cast<int64_t>(target_entries.size());
  std::sort(target_entries.begin(), target_entries.end(), [](const Entry& a, const Entry& b) {
    return a.key != b.key ? a.key < b.key : a.digest < b.digest;
  });
  for (const auto& entry : target_entries) result.target_digest += hash_bytes(entry.key, entry.digest);

  auto example = [max_examples](std::vector<std::string>& list, const std::string& text) {
    if (list.size() < max_examples) list.push_back(text);
  };
  size_t s = 0, t = 0;
  while (s < source_entries.size() || t < target_entries.size()) {
    if (t < target_entries.size() && t > 0 && target_entries[t].key == target_entries[t - 1].key) {
      ++result.duplicates;
      example(result.duplicate_examples, target_entries[t].display);
      ++t;
      continue;
    }
    if (t == target_entries.size() || (s < source_entries.size() && source_entries[s].key < target_entries[t].key)) {
      ++result.missing;
      example(result.missing_examples, source_entries[s].display);
      ++s;
    } else if (s == source_entries.size() || target_entries[t].key < source_entries[s].key) {
      ++result.extra;
      example(result.extra_examples, target_entries[t].display);
      ++t;
    } else {
      if (compare_values && source_entries[s].digest != target_entries[t].digest) {
        ++result.different;
        example(result.different_examples, source_entries[s].display);
      }
      ++s;
      ++t;
    }
  }
  return result;
}

nlohmann::json VerifyResult::to_json() const {
  return {{"ok", ok()},
          {"source_rows", source_rows},
          {"source_distinct", source_distinct},
          {"target_rows", target_rows},
          {"missing", missing},
          {"extra", extra},
          {"duplicates", duplicates},
          {"different", different},
          {"missing_examples", missing_examples},
          {"extra_examples", extra_examples},
          {"duplicate_examples", duplicate_examples},
          {"different_examples", different_examples},
          {"target_digest", fmt::format("{:016x}", target_digest)}};
}

std::string VerifyResult::summary() const {
  std::string text = fmt::format(
      "{}: source {} rows, {} distinct keys; scope {} rows. Missing {}, extra {}, duplicate {}, different {}.",
      ok() ? "OK" : "MISMATCH", source_rows, source_distinct, target_rows, missing, extra, duplicates, different);
  auto list = [&text](const char* what, const std::vector<std::string>& examples) {
    if (examples.empty()) return;
    text += fmt::format("\n  {} e.g.: ", what);
    for (size_t idx = 0; idx < examples.size(); ++idx) text += (idx ? "; " : "") + examples[idx];
  };
  list("missing", missing_examples);
  list("extra", extra_examples);
  list("duplicate", duplicate_examples);
  list("different", different_examples);
  return text;
}

}  // namespace idemload::jobs
