// Deduper: streaming de-duplication by key. The first occurrence of each key wins, across all
// the batches given to one Deduper, so the result is deterministic for a given input order.
#pragma once

#include <cstdint>
#include <vector>

#include "core/column.h"
#include "ops/key_set.h"

namespace idemload::ops {

class Deduper {
 public:
  // `key_columns` are column indexes into every batch passed to apply().
  explicit Deduper(std::vector<size_t> key_columns, HashFunction hash = default_key_hash);

  // Clears `out`, then appends the rows of `in` whose key was not seen before (in this batch or
  // an earlier one), in order. Throws Error(kSchemaDrift) when the key column types differ from
  // those of the first batch.
  // With `encoded`, the keys of `in` as EncodedKeys::encode gives them with keys().hash_function()
  // (computed elsewhere, e.g. on the thread that read the batch); without, they are encoded here.
  void apply(const Batch& in, Batch& out, const EncodedKeys* encoded = nullptr);
  // apply() without the copy: clears `selection`, then appends the rows of `in` whose key was
  // not seen before, in order. The key is in the columns `key_columns` of `in` (the key's
  // columns in the same order as the Deduper's, e.g. a batch of the key columns alone), encoded
  // in `encoded` (EncodedKeys::encode with keys().hash_function()).
  void select(const Batch& in, const std::vector<size_t>& key_columns,
              std::vector<uint32_t>& selection, const EncodedKeys& encoded);
  // select() over the rows `rows` of `in` alone (ascending; the rest are counted in rows_in()
  // but neither looked up nor kept), with their keys in `encoded`.
  void select_rows(const Batch& in, const std::vector<size_t>& key_columns,
                   const std::vector<uint32_t>& rows, const EncodedKeys& encoded,
                   std::vector<uint32_t>& selection);

  // Makes room for `keys` distinct keys (e.g. the source's row count), so the set never grows.
  void reserve(size_t keys) { keys_.reserve(keys); }

  // De-duplication and the anti-join in one set: starts from `present` (the keys already in
  // the target, inserted marked, before any apply()). apply() then also drops the rows whose
  // key is in `present`, counting each such key once in rows_matched(). Saves a second set and
  // a second probe per row.
  void seed(KeySet present);

  int64_t rows_in() const { return rows_in_; }
  int64_t rows_dropped() const { return rows_in_ - distinct_keys(); }
  // Distinct keys of the rows given to apply() (new keys and matched ones).
  int64_t distinct_keys() const { return static_cast<int64_t>(keys_.size() - seeded_) + matched_; }
  // Distinct keys of the rows given to apply() that were in the seed (0 without one).
  int64_t rows_matched() const { return matched_; }
  // Every key seen so far (and the seed's), e.g. to anti-join against, or to count.
  const KeySet& keys() const { return keys_; }
  const std::vector<size_t>& key_columns() const { return key_columns_; }

 private:
  std::vector<size_t> key_columns_;
  KeySet keys_;
  EncodedKeys encoded_;
  std::vector<uint32_t> selection_;
  int64_t rows_in_ = 0;
  size_t seeded_ = 0;
  int64_t matched_ = 0;
};

}  // namespace idemload::ops
