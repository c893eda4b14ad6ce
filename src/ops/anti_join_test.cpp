#include "ops/anti_join.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "core/error.h"
#include "ops/dedupe.h"
#include "ops/ops_test_util.h"

namespace idemload::ops {
namespace {

struct AntiJoinCase {
  const char* name;
  std::vector<size_t> key_columns;
  HashFunction hash;
};

void PrintTo(const AntiJoinCase& param, std::ostream* out) { *out << param.name; }

class AntiJoinAgainstReference : public ::testing::TestWithParam<AntiJoinCase> {};

// A row passes exactly when no row of the "target" batches has its key.
TEST_P(AntiJoinAgainstReference, PassesRowsWhoseKeyIsAbsent) {
  const AntiJoinCase& param = GetParam();
  std::mt19937_64 rng(77);
  KeySet present(param.hash);
  std::set<std::vector<std::string>> reference;
  for (int batch_idx = 0; batch_idx < 3; ++batch_idx) {
    Batch target = testing::random_batch(rng, 1'000'000 + batch_idx * 12, 12);
    present.insert_keys(target, param.key_columns);
    for (size_t row = 0; row < target.num_rows(); ++row) {
      reference.insert(testing::reference_key(target, param.key_columns, row));
    }
  }

  AntiJoin join(present, param.key_columns);
  std::vector<int64_t> expected_ids, actual_ids;
  int64_t next_id = 0;
  Batch out;
  for (size_t rows : {0, 1, 1000, 333, 4096}) {
    Batch in = testing::random_batch(rng, next_id, rows);
    next_id += static_cast<int64_t>(rows);
    for (size_t row = 0; row < rows; ++row) {
      if (reference.count(testing::reference_key(in, param.key_columns, row)) == 0) {
        expected_ids.push_back(in.column(0).int_at(row));
      }
    }
    join.apply(in, out);
    for (int64_t id : testing::ids_of(out)) actual_ids.push_back(id);
  }
  EXPECT_EQ(actual_ids, expected_ids);
  EXPECT_EQ(join.rows_in(), next_id);
  EXPECT_EQ(join.rows_matched(), next_id - static_cast<int64_t>(expected_ids.size()));
  // Both outcomes occur, so the test can fail either way.
  EXPECT_GT(join.rows_matched(), 0);
  EXPECT_GT(join.rows_out(), 0);
}

INSTANTIATE_TEST_SUITE_P(Cases, AntiJoinAgainstReference,
                         ::testing::Values(AntiJoinCase{"string_int", {1, 2}, &default_key_hash},
                                           AntiJoinCase{"four_columns", {1, 2, 3, 4}, &default_key_hash},
                                           AntiJoinCase{"double_payload", {3, 5}, &default_key_hash},
                                           AntiJoinCase{"constant_hash", {1, 2, 3}, &testing::constant_hash},
                                           AntiJoinCase{"three_bit_hash", {1, 2, 4}, &testing::three_bit_hash}),
                         [](const ::testing::TestParamInfo<AntiJoinCase>& param_info) { return std::string(param_info.param.name); });

// The lesson's recovery: de-duplicate the staging data, take the keys already in production,
// anti-join, union: the result has every distinct key exactly once.
TEST(AntiJoin, DedupeThenAntiJoinCompletesTheTable) {
  std::mt19937_64 rng(8);
  std::vector<size_t> key_columns = {1, 2, 4};
  std::vector<Batch> staging;
  for (int batch_idx = 0; batch_idx < 4; ++batch_idx) staging.push_back(testing::random_batch(rng, batch_idx * 1000, 1000));

  Deduper deduper(key_columns);
  std::vector<Batch> distinct;
  for (const Batch& in : staging) {
    distinct.emplace_back();
    deduper.apply(in, distinct.back());
  }
  // "Production" holds every other distinct row.
  KeySet production;
  int64_t production_rows = 0;
  for (const Batch& batch : distinct) {
    std::vector<uint32_t> half;
    for (uint32_t row = 0; row < batch.num_rows(); row += 2) half.push_back(row);
    Batch part = batch.take(half);
    production.insert_keys(part, key_columns);
    production_rows += static_cast<int64_t>(part.num_rows());
  }
  AntiJoin join(production, key_columns);
  KeySet result = KeySet();
  Batch missing;
  int64_t inserted = 0;
  for (const Batch& batch : distinct) {
    join.apply(batch, missing);
    inserted += static_cast<int64_t>(missing.num_rows());
    result.insert_keys(missing, key_columns);
  }
  EXPECT_EQ(production_rows + inserted, deduper.distinct_keys());
  EXPECT_EQ(static_cast<int64_t>(result.size()), inserted);  // nothing inserted twice
}

TEST(AntiJoin, KeyTypesMustMatchThePresentKeys) {
  auto target_schema = std::make_shared<const Schema>(std::vector<Field>{{"d", Type::kTimestamp}});
  auto source_schema = std::make_shared<const Schema>(std::vector<Field>{{"d", Type::kDate}});
  Batch target(target_schema), source(source_schema);
  target.column(0).append_int(0);
  source.column(0).append_int(0);
  KeySet present;
  present.insert_keys(target, {0});
  AntiJoin join(present, {0});
  Batch out;
  try {
    join.apply(source, out);
    FAIL() << "expected schema drift";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kSchemaDrift);
    EXPECT_NE(error.message().find("(date)"), std::string::npos) << error.message();
    EXPECT_NE(error.message().find("(timestamp)"), std::string::npos) << error.message();
  }
}

TEST(AntiJoin, EmptyKeySetPassesEverything) {
  std::mt19937_64 rng(9);
  KeySet present;
  AntiJoin join(present, {1, 2});
  Batch in = testing::random_batch(rng, 0, 100), out;
  join.apply(in, out);
  EXPECT_EQ(testing::ids_of(out), testing::ids_of(in));
  EXPECT_EQ(join.rows_matched(), 0);
}

}  // namespace
}  // namespace idemload::ops

namespace idemload::ops {
namespace {

// The fused operator keeps exactly the rows of Deduper followed by AntiJoin, with the same
// counts, including under colliding hashes.
TEST(DedupeAntiJoin, SameRowsAsDedupeThenAntiJoin) {
  for (HashFunction hash : {&default_key_hash, &testing::three_bit_hash}) {
    std::mt19937_64 rng(15);
    std::vector<size_t> key_columns = {1, 2, 4};
    KeySet present(hash);
    for (int batch_idx = 0; batch_idx < 2; ++batch_idx) present.insert_keys(testing::random_batch(rng, 0, 40), key_columns);

    Deduper deduper(key_columns, hash);
    AntiJoin join(present, key_columns);
    DedupeAntiJoin fused(present, key_columns);
    std::vector<int64_t> expected_ids, actual_ids;
    Batch distinct, missing, out;
    int64_t next_id = 0;
    for (size_t rows : {100, 0, 3000, 1}) {
      Batch in = testing::random_batch(rng, next_id, rows);
      next_id += static_cast<int64_t>(rows);
      deduper.apply(in, distinct);
      join.apply(distinct, missing);
      for (int64_t id : testing::ids_of(missing)) expected_ids.push_back(id);
      fused.apply(in, out);
      for (int64_t id : testing::ids_of(out)) actual_ids.push_back(id);
    }
    EXPECT_EQ(actual_ids, expected_ids);
    EXPECT_FALSE(expected_ids.empty());
    EXPECT_EQ(fused.rows_in(), deduper.rows_in());
    EXPECT_EQ(fused.distinct_keys(), deduper.distinct_keys());
    EXPECT_EQ(fused.rows_dropped(), deduper.rows_dropped());
    EXPECT_EQ(fused.rows_matched(), join.rows_matched());
    EXPECT_GT(fused.rows_matched(), 0);
    EXPECT_EQ(fused.rows_out(), static_cast<int64_t>(actual_ids.size()));
  }
}

}  // namespace
}  // namespace idemload::ops
