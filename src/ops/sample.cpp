#include "ops/sample.h"

#include <cmath>

#include "core/error.h"
#include "ops/gather.h"

namespace idemload::ops {

uint64_t counter_hash(uint64_t seed, uint64_t counter) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (counter + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  // A second round decorrelates neighbouring seeds as well as neighbouring counters.
  z += seed * 0xD1B54A32D192ED03ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

BernoulliSample::BernoulliSample(double fraction, uint64_t seed) : seed_(seed) {
  if (std::isnan(fraction)) throw Error::InvalidInput("sample fraction is not a number");
  if (fraction >= 1.0) {
    keep_all_ = true;
  } else if (fraction > 0.0) {
    // fraction * 2^64, exact enough: the error is below 2^-53 of the fraction.
    threshold_ = static_cast<uint64_t>(std::ldexp(fraction, 64));
  }
}

bool BernoulliSample::keeps(uint64_t row_index) const {
  return keep_all_ || counter_hash(seed_, row_index) < threshold_;
}

void BernoulliSample::apply(const Batch& in, Batch& out) {
  size_t rows = in.num_rows();
  auto first = static_cast<uint64_t>(rows_in_);
  selection_.clear();
  for (size_t row = 0; row < rows; ++row) {
    if (keeps(first + row)) selection_.push_back(static_cast<uint32_t>(row));
  }
  rows_in_ += static_cast<int64_t>(rows);
  rows_kept_ += static_cast<int64_t>(selection_.size());
  reset_like(in, out);
  gather_append(in, selection_.data(), selection_.size(), out);
}

}  // namespace idemload::ops
