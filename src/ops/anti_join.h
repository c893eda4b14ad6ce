// AntiJoin: the left anti-join of a stream of batches against a KeySet (typically the keys
// already in the target's scope): it passes on only the rows whose key is not in the set.
#pragma once

#include <cstdint>
#include <vector>

#include "core/column.h"
#include "ops/key_set.h"

namespace idemload::ops {

class AntiJoin {
 public:
  // `present` must outlive this object and not change while it is used; `key_columns` index
  // the batches passed to apply(), in the order of the keys in `present`.
  AntiJoin(const KeySet& present, std::vector<size_t> key_columns);

  // Clears `out`, then appends the rows of `in` whose key is NOT in `present`, in order.
  // Throws Error(kSchemaDrift) when the key column types differ from the types of the keys in
  // `present` (or from the first batch's, when `present` never saw a batch).
  void apply(const Batch& in, Batch& out);

  int64_t rows_in() const { return rows_in_; }
  int64_t rows_matched() const { return rows_matched_; }  // rows dropped: key present
  int64_t rows_out() const { return rows_in_ - rows_matched_; }

 private:
  const KeySet& present_;
  std::vector<size_t> key_columns_;
  std::optional<std::vector<Type>> key_types_;
  EncodedKeys encoded_;
  std::vector<uint32_t> selection_;
  int64_t rows_in_ = 0;
  int64_t rows_matched_ = 0;
};

// De-duplication and anti-join in one pass, sharing one key encoding per batch: the rows of the
// stream whose key is seen for the first time and is not in `present`. The same rows as
// Deduper followed by AntiJoin, faster (no intermediate batch, keys encoded and hashed once).
class DedupeAntiJoin {
 public:
  DedupeAntiJoin(const KeySet& present, std::vector<size_t> key_columns);

  // Clears `out`, then appends the first occurrences of keys absent from `present`, in order.
  // Throws Error(kSchemaDrift) as AntiJoin::apply does.
  void apply(const Batch& in, Batch& out);
  // Makes room for `keys` distinct source keys.
  void reserve(size_t keys) { seen_.reserve(keys); }

  int64_t rows_in() const { return rows_in_; }
  int64_t distinct_keys() const { return static_cast<int64_t>(seen_.size()); }  // of the source
  int64_t rows_dropped() const { return rows_in_ - distinct_keys(); }          // repeated keys
  int64_t rows_matched() const { return rows_matched_; }  // distinct keys already present
  int64_t rows_out() const { return distinct_keys() - rows_matched_; }
  const KeySet& keys() const { return seen_; }

 private:
  const KeySet& present_;
  std::vector<size_t> key_columns_;
  std::optional<std::vector<Type>> key_types_;
  KeySet seen_;
  EncodedKeys encoded_;
  std::vector<uint32_t> first_;
  std::vector<uint32_t> selection_;
  int64_t rows_in_ = 0;
  int64_t rows_matched_ = 0;
};

}  // namespace idemload::ops
