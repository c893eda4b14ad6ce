// Counting, as the lesson advises for detecting failure: rows and distinct keys of a batch
// stream, counted exactly (a KeySet, never an estimate).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/column.h"
#include "formats/source.h"
#include "ops/key_set.h"

namespace idemload::ops {

struct Counts {
  int64_t rows = 0;
  int64_t distinct_keys = 0;
};

// Counts rows and distinct keys batch by batch.
class KeyCounter {
 public:
  explicit KeyCounter(std::vector<size_t> key_columns, HashFunction hash = default_key_hash);
  // Throws Error(kSchemaDrift) when the key column types differ from the first batch's.
  void add(const Batch& batch);
  Counts counts() const { return {rows_, static_cast<int64_t>(keys_.size())}; }
  const KeySet& keys() const { return keys_; }

 private:
  std::vector<size_t> key_columns_;
  KeySet keys_;
  int64_t rows_ = 0;
};

// Reads `reader` to its end and returns the rows it delivered.
int64_t count_rows(formats::BatchReader& reader);

// Reads `reader` to its end counting rows and distinct keys over `key_names` (columns of the
// reader's schema; Error(kInvalidInput) naming a missing one).
Counts count_distinct(formats::BatchReader& reader, const std::vector<std::string>& key_names);

}  // namespace idemload::ops
