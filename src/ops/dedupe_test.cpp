#include "ops/dedupe.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "core/error.h"
#include "ops/ops_test_util.h"

namespace idemload::ops {
namespace {

struct DedupeCase {
  const char* name;
  std::vector<size_t> key_columns;
  HashFunction hash;
  std::vector<size_t> batch_sizes;
};

void PrintTo(const DedupeCase& param, std::ostream* out) { *out << param.name; }

class DedupeAgainstReference : public ::testing::TestWithParam<DedupeCase> {};

// The first occurrence of each key wins, across batches, in input order: the same as a
// std::set walked over the rows in order.
TEST_P(DedupeAgainstReference, KeepsFirstOccurrences) {
  const DedupeCase& param = GetParam();
  std::mt19937_64 rng(1234);
  Deduper deduper(param.key_columns, param.hash);
  std::set<std::vector<std::string>> seen;
  std::vector<int64_t> expected_ids, actual_ids;
  int64_t next_id = 0;
  Batch out;
  for (size_t rows : param.batch_sizes) {
    Batch in = testing::random_batch(rng, next_id, rows);
    next_id += static_cast<int64_t>(rows);
    for (size_t row = 0; row < rows; ++row) {
      if (seen.insert(testing::reference_key(in, param.key_columns, row)).second) {
        expected_ids.push_back(in.column(0).int_at(row));
      }
    }
    deduper.apply(in, out);
    // Every output row is the input row with that id, unchanged.
    for (size_t row = 0; row < out.num_rows(); ++row) {
      auto in_row = static_cast<size_t>(out.column(0).int_at(row) - in.column(0).int_at(0));
      ASSERT_EQ(out.column(5).bytes_at(row), in.column(5).bytes_at(in_row));
      ASSERT_EQ(out.column(1).is_null(row), in.column(1).is_null(in_row));
    }
    for (int64_t id : testing::ids_of(out)) actual_ids.push_back(id);
  }
  EXPECT_EQ(actual_ids, expected_ids);
  EXPECT_EQ(deduper.rows_in(), next_id);
  EXPECT_EQ(deduper.distinct_keys(), static_cast<int64_t>(seen.size()));
  EXPECT_EQ(deduper.rows_dropped(), next_id - static_cast<int64_t>(seen.size()));
  // The data really has duplicates, except under a key that includes the unique id.
  if (param.key_columns.front() != 0) {
    EXPECT_GT(deduper.rows_dropped(), 0);
  }
}

const std::vector<size_t> kManyBatches = {1, 0, 17, 500, 2048, 3, 999};

INSTANTIATE_TEST_SUITE_P(
    Cases, DedupeAgainstReference,
    ::testing::Values(DedupeCase{"one_string", {1}, &default_key_hash, kManyBatches},
                      DedupeCase{"one_double", {3}, &default_key_hash, kManyBatches},
                      DedupeCase{"three_columns", {1, 2, 3}, &default_key_hash, kManyBatches},
                      DedupeCase{"four_columns", {4, 3, 2, 1}, &default_key_hash, kManyBatches},
                      DedupeCase{"single_batch", {1, 2, 4}, &default_key_hash, {5000}},
                      DedupeCase{"constant_hash", {1, 2, 3}, &testing::constant_hash, kManyBatches},
                      DedupeCase{"three_bit_hash", {1, 2, 3, 4}, &testing::three_bit_hash, kManyBatches},
                      DedupeCase{"unique_ids", {0, 1}, &default_key_hash, kManyBatches}),
    [](const ::testing::TestParamInfo<DedupeCase>& param_info) { return std::string(param_info.param.name); });

// Seeded with the keys already in the target, the Deduper is de-duplication and anti-join at
// once: the first occurrence of each key wins unless the key is in the seed; each seed key the
// source has counts once as matched, however often it occurs. Checked against std::set for
// every hash, including ones that make every key collide.
TEST_P(DedupeAgainstReference, SeededWithPresentKeysAlsoAntiJoins) {
  const DedupeCase& param = GetParam();
  std::mt19937_64 rng(99);
  // The seed: keys of rows like the source's (so many overlap) plus keys of rows it never has.
  int64_t next_id = 0;
  Batch seed_rows = testing::random_batch(rng, 1000000, 700);
  KeySet present(param.hash);
  std::set<std::vector<std::string>> seeded;
  for (size_t row = 0; row < seed_rows.num_rows(); row += 2) {
    seeded.insert(testing::reference_key(seed_rows, param.key_columns, row));
  }
  std::vector<uint32_t> even;
  for (uint32_t row = 0; row < seed_rows.num_rows(); row += 2) even.push_back(row);
  Batch half = seed_rows.take(even);
  present.insert_keys(half, param.key_columns, /*mark=*/true);
  present.insert_keys(half, param.key_columns, /*mark=*/true);  // twice: still one key each
  ASSERT_EQ(present.size(), seeded.size());

  Deduper deduper(param.key_columns, param.hash);
  deduper.seed(std::move(present));
  std::set<std::vector<std::string>> seen;
  std::vector<int64_t> expected_ids, actual_ids;
  int64_t matched = 0;
  Batch out;
  for (size_t rows : param.batch_sizes) {
    Batch in = testing::random_batch(rng, next_id, rows);
    next_id += static_cast<int64_t>(rows);
    for (size_t row = 0; row < rows; ++row) {
      auto key = testing::reference_key(in, param.key_columns, row);
      if (!seen.insert(key).second) continue;
      if (seeded.count(key) != 0) {
        ++matched;
      } else {
        expected_ids.push_back(in.column(0).int_at(row));
      }
    }
    deduper.apply(in, out);
    for (int64_t id : testing::ids_of(out)) actual_ids.push_back(id);
  }
  EXPECT_EQ(actual_ids, expected_ids);
  EXPECT_EQ(deduper.rows_matched(), matched);
  EXPECT_EQ(deduper.distinct_keys(), static_cast<int64_t>(seen.size()));
  EXPECT_EQ(deduper.rows_dropped(), next_id - static_cast<int64_t>(seen.size()));
  if (param.key_columns.front() != 0) {
    EXPECT_GT(matched, 0);  // the data really overlaps the seed
  }
}

TEST(Deduper, NullKeysAreEqualToEachOther) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"k", Type::kString}, {"v", Type::kInt64}});
  Batch in(schema);
  in.column(0).append_null();
  in.column(1).append_int(1);
  in.column(0).append_bytes("");
  in.column(1).append_int(2);
  in.column(0).append_null();
  in.column(1).append_int(3);
  in.column(0).append_bytes("");
  in.column(1).append_int(4);
  Deduper deduper({0});
  Batch out;
  deduper.apply(in, out);
  ASSERT_EQ(out.num_rows(), 2u);
  EXPECT_TRUE(out.column(0).is_null(0));
  EXPECT_EQ(out.column(1).int_at(0), 1);
  EXPECT_FALSE(out.column(0).is_null(1));
  EXPECT_EQ(out.column(1).int_at(1), 2);
}

TEST(Deduper, KeyTypeChangeIsSchemaDrift) {
  auto strings = std::make_shared<const Schema>(std::vector<Field>{{"k", Type::kString}});
  auto ints = std::make_shared<const Schema>(std::vector<Field>{{"k", Type::kInt64}});
  Batch first(strings), second(ints);
  first.column(0).append_bytes("1");
  second.column(0).append_int(1);
  Deduper deduper({0});
  Batch out;
  deduper.apply(first, out);
  try {
    deduper.apply(second, out);
    FAIL() << "expected schema drift";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kSchemaDrift);
    EXPECT_NE(error.message().find("k int64"), std::string::npos) << error.message();
  }
}

}  // namespace
}  // namespace idemload::ops
