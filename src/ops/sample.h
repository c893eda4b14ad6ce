// BernoulliSample: a seeded sample that keeps each row with probability `fraction`. The choice
// for a row depends only on (seed, the row's index in the whole stream), through a
// counter-based hash, so the same seed and input keep the same rows whatever the batch sizes.
#pragma once

#include <cstdint>
#include <vector>

#include "core/column.h"

namespace idemload::ops {

// A 64-bit mix of (seed, counter): splitmix64's finaliser over both. Deterministic across
// platforms; the basis of every seeded choice in ops/.
uint64_t counter_hash(uint64_t seed, uint64_t counter);

class BernoulliSample {
 public:
  // `fraction` <= 0 keeps nothing, >= 1 keeps every row. Throws Error(kInvalidInput) for NaN.
  BernoulliSample(double fraction, uint64_t seed);

  // Clears `out`, then appends the kept rows of `in`, in order; rows are counted across calls.
  void apply(const Batch& in, Batch& out);
  // Whether the row with stream index `row_index` is kept (what apply() decides).
  bool keeps(uint64_t row_index) const;

  int64_t rows_in() const { return rows_in_; }
  int64_t rows_kept() const { return rows_kept_; }

 private:
  uint64_t seed_;
  uint64_t threshold_ = 0;  // keep when counter_hash < threshold_
  bool keep_all_ = false;
  std::vector<uint32_t> selection_;
  int64_t rows_in_ = 0;
  int64_t rows_kept_ = 0;
};

}  // namespace idemload::ops
