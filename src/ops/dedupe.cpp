#include "ops/dedupe.h"

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

void Deduper::apply(const Batch& in, Batch& out) {
  keys_.check_key_types(in, key_columns_, "this batch");
  encoded_.encode(in, key_columns_, keys_.hash_function());
  selection_.clear();
  keys_.insert_encoded(encoded_, &selection_, &matched_);
  rows_in_ += static_cast<int64_t>(in.num_rows());
  reset_like(in, out);
  gather_append(in, selection_.data(), selection_.size(), out);
}

}  // namespace idemload::ops
