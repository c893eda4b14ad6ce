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

}  // namespace

AntiJoin::AntiJoin(const KeySet& present, std::vector<size_t> key_columns)
    : present_(present), key_columns_(std::move(key_columns)), key_types_(present.key_types()) {}

void AntiJoin::apply(const Batch& in, Batch& out) {
  // The key types are checked once per batch: a key of another type never matches, which would
  // silently insert every row again.
  std::vector<Type>* expected = key_types_ ? &*key_types_ : nullptr;
  bool same = expected == nullptr || expected->size() == key_columns_.size();
  for (size_t idx = 0; same && idx < key_columns_.size(); ++idx) {
    if (key_columns_[idx] >= in.num_columns()) {
      throw Error::Internal("anti-join key column " + std::to_string(key_columns_[idx]) + " is past the " +
                            std::to_string(in.num_columns()) + " columns of the batch");
    }
    if (expected != nullptr) same = key_types_compatible((*expected)[idx], in.column(key_columns_[idx]).type());
  }
  if (!same) {
    std::vector<Type> got;
    std::string names;
    for (size_t column_idx : key_columns_) {
      got.push_back(in.column(column_idx).type());
      if (!names.empty()) names += ", ";
      names += in.schema().field(column_idx).name;
    }
    throw Error::SchemaDrift("anti-join key types differ: the source's key (" + names + ") is (" + type_list(got) +
                             ") but the keys present are (" + type_list(*expected) + ")");
  }
  if (expected == nullptr) {
    std::vector<Type> types;
    for (size_t column_idx : key_columns_) types.push_back(in.column(column_idx).type());
    key_types_ = std::move(types);
  }

  encoded_.encode(in, key_columns_, present_.hash_function());
  selection_.clear();
  present_.probe_encoded(encoded_, /*want_present=*/false, selection_);
  rows_in_ += static_cast<int64_t>(in.num_rows());
  rows_matched_ += static_cast<int64_t>(in.num_rows() - selection_.size());
  reset_like(in, out);
  gather_append(in, selection_.data(), selection_.size(), out);
}

}  // namespace idemload::ops
