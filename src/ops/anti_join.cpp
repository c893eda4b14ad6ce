#include "ops/anti_join.h"

#include "core/error.h"
#include "ops/gather.h"

namespace idemload::ops {

namespace {

std::string type_list(const std::vector<Type>& types) {
  std::string text;
  for (Type type : types) {
    if (!text.empty()) text += ", ";
    text += type_name(type);
  }
  return text;
}

// Checks the key column types of `in` against `key_types` (recording them when unset), once
// per batch: a key of another type never matches, which would silently insert every row again.
void check_key_types(const Batch& in, const std::vector<size_t>& key_columns, std::optional<std::vector<Type>>& key_types) {
  for (size_t column_idx : key_columns) {
    if (column_idx >= in.num_columns()) {
      throw Error::Internal("anti-join key column " + std::to_string(column_idx) + " is past the " +
                            std::to_string(in.num_columns()) + " columns of the batch");
    }
  }
  std::vector<Type>* expected = key_types ? &*key_types : nullptr;
  bool same = expected == nullptr || expected->size() == key_columns.size();
  for (size_t idx = 0; expected != nullptr && same && idx < key_columns.size(); ++idx) {
    same = key_types_compatible((*expected)[idx], in.column(key_columns[idx]).type());
  }
  if (!same) {
    std::vector<Type> got;
    std::string names;
    for (size_t column_idx : key_columns) {
      got.push_back(in.column(column_idx).type());
      if (!names.empty()) names += ", ";
      names += in.schema().field(column_idx).name;
    }
    throw Error::SchemaDrift("anti-join key types differ: the source's key (" + names + ") is (" + type_list(got) +
                             ") but the keys present are (" + type_list(*expected) + ")");
  }
  if (expected == nullptr) {
    std::vector<Type> types;
    for (size_t column_idx : key_columns) types.push_back(in.column(column_idx).type());
    key_types = std::move(types);
  }
}

}  // namespace

AntiJoin::AntiJoin(const KeySet& present, std::vector<size_t> key_columns)
    : present_(present), key_columns_(std::move(key_columns)), key_types_(present.key_types()) {}

void AntiJoin::apply(const Batch& in, Batch& out) {
  check_key_types(in, key_columns_, key_types_);
  encoded_.encode(in, key_columns_, present_.hash_function());
  selection_.clear();
  present_.probe_encoded(encoded_, /*want_present=*/false, selection_);
  rows_in_ += static_cast<int64_t>(in.num_rows());
  rows_matched_ += static_cast<int64_t>(in.num_rows() - selection_.size());
  reset_like(in, out);
  gather_append(in, selection_.data(), selection_.size(), out);
}

}  // namespace idemload::ops

namespace idemload::ops {

DedupeAntiJoin::DedupeAntiJoin(const KeySet& present, std::vector<size_t> key_columns)
    : present_(present),
      key_columns_(std::move(key_columns)),
      key_types_(present.key_types()),
      seen_(present.hash_function()) {}

void DedupeAntiJoin::apply(const Batch& in, Batch& out) {
  check_key_types(in, key_columns_, key_types_);
  // One encoding and one hash per row serve both sets (they share the hash function).
  encoded_.encode(in, key_columns_, present_.hash_function());
  first_.clear();
  seen_.insert_encoded(encoded_, &first_);
  selection_.clear();
  for (uint32_t row : first_) {
    if (!present_.contains_hashed(encoded_.key(row), encoded_.hash(row))) selection_.push_back(row);
  }
  rows_in_ += static_cast<int64_t>(in.num_rows());
  rows_matched_ += static_cast<int64_t>(first_.size() - selection_.size());
  reset_like(in, out);
  gather_append(in, selection_.data(), selection_.size(), out);
}

}  // namespace idemload::ops
