#include "ops/dedupe.h"

#include <fmt/format.h>

#include "core/error.h"
#include "ops/gather.h"

namespace idemload::ops {

Deduper::Deduper(std::vector<size_t> key_columns, HashFunction hash)
    : key_columns_(std::move(key_columns)), keys_(hash) {}

void Deduper::seed(KeySet present) {
  if (rows_in_ != 0) throw Error::Internal("Deduper::seed after apply");
  keys_ = std::move(present);
  seeded_ = keys_.size();
  matched_ = 0;
}

void Deduper::apply(const Batch& in, Batch& out, const EncodedKeys* encoded) {
  if (encoded == nullptr) {
    encoded_.encode(in, key_columns_, keys_.hash_function());
    encoded = &encoded_;
  }
  select(in, key_columns_, selection_, *encoded);
  reset_like(in, out);
  gather_append(in, selection_.data(), selection_.size(), out);
}

namespace {
void check_encoded(const EncodedKeys& encoded, const Batch& in) {
  if (encoded.size() != in.num_rows()) {
    throw Error::Internal(
        fmt::format("{} keys encoded for a batch of {} rows", encoded.size(), in.num_rows()));
  }
}
}  // namespace

void Deduper::select(const Batch& in, const std::vector<size_t>& key_columns,
                     std::vector<uint32_t>& selection, const EncodedKeys& encoded) {
  keys_.check_key_types(in, key_columns, "this batch");
  check_encoded(encoded, in);
  selection.clear();
  keys_.insert_encoded(encoded, &selection, &matched_);
  rows_in_ += static_cast<int64_t>(in.num_rows());
}

void Deduper::select_rows(const Batch& in, const std::vector<size_t>& key_columns,
                          const std::vector<uint32_t>& rows, const EncodedKeys& encoded,
                          std::vector<uint32_t>& selection) {
  keys_.check_key_types(in, key_columns, "this batch");
  check_encoded(encoded, in);
  selection.clear();
  keys_.insert_rows(encoded, rows, selection);
  rows_in_ += static_cast<int64_t>(in.num_rows());
}

}  // namespace idemload::ops
