#include "ops/count.h"

namespace idemload::ops {

KeyCounter::KeyCounter(std::vector<size_t> key_columns, HashFunction hash)
    : key_columns_(std::move(key_columns)), keys_(hash) {}

void KeyCounter::add(const Batch& batch) {
  keys_.insert_keys(batch, key_columns_);
  rows_ += static_cast<int64_t>(batch.num_rows());
}

int64_t count_rows(formats::BatchReader& reader) {
  Batch batch(reader.schema());
  int64_t rows = 0;
  while (reader.next(batch)) rows += static_cast<int64_t>(batch.num_rows());
  return rows;
}

Counts count_distinct(formats::BatchReader& reader, const std::vector<std::string>& key_names) {
  std::vector<size_t> key_columns = reader.schema()->indexes_of(key_names, "key column", "the source");
  KeyCounter counter(std::move(key_columns));
  Batch batch(reader.schema());
  while (reader.next(batch)) counter.add(batch);
  return counter.counts();
}

}  // namespace idemload::ops
