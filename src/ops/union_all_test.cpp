#include "ops/union_all.h"

#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "ops/ops_test_util.h"

namespace idemload::ops {
namespace {

// A reader over batches held in memory (the union's inputs; not the thing under test).
class VectorReader : public formats::BatchReader {
 public:
  VectorReader(std::shared_ptr<const Schema> schema, std::vector<Batch> batches)
      : schema_(std::move(schema)), batches_(std::move(batches)) {}
  const std::shared_ptr<const Schema>& schema() const override { return schema_; }
  bool next(Batch& out) override {
    if (next_ == batches_.size()) return false;
    out = batches_[next_++];
    rows_ += static_cast<int64_t>(out.num_rows());
    return true;
  }
  int64_t rows_read() const override { return rows_; }
  int64_t rows_rejected() const override { return 3; }

 private:
  std::shared_ptr<const Schema> schema_;
  std::vector<Batch> batches_;
  size_t next_ = 0;
  int64_t rows_ = 0;
};

TEST(UnionAll, ConcatenatesInOrder) {
  std::mt19937_64 rng(1);
  std::vector<std::unique_ptr<formats::BatchReader>> inputs;
  inputs.push_back(std::make_unique<VectorReader>(testing::random_schema(),
                                                  std::vector<Batch>{testing::random_batch(rng, 0, 5),
                                                                     testing::random_batch(rng, 5, 0),
                                                                     testing::random_batch(rng, 5, 3)}));
  inputs.push_back(std::make_unique<VectorReader>(testing::random_schema(), std::vector<Batch>{}));
  // Same columns in a separately built schema object.
  auto copy = std::make_shared<const Schema>(*testing::random_schema());
  inputs.push_back(std::make_unique<VectorReader>(copy, std::vector<Batch>{testing::random_batch(rng, 8, 4)}));
  UnionAll all(std::move(inputs));
  EXPECT_EQ(*all.schema(), *testing::random_schema());

  std::vector<int64_t> ids;
  std::vector<size_t> sizes;
  Batch batch;
  while (all.next(batch)) {
    sizes.push_back(batch.num_rows());
    for (int64_t id : testing::ids_of(batch)) ids.push_back(id);
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{5, 3, 4}));  // the empty batch is skipped
  EXPECT_EQ(ids, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(all.rows_read(), 12);
  EXPECT_EQ(all.rows_rejected(), 9);
  EXPECT_FALSE(all.next(batch));
  EXPECT_EQ(batch.num_rows(), 0u);
}

TEST(UnionAll, DifferentSchemasAreSchemaDrift) {
  auto other = std::make_shared<const Schema>(std::vector<Field>{{"id", Type::kInt64}, {"name", Type::kInt64}});
  std::vector<std::unique_ptr<formats::BatchReader>> inputs;
  inputs.push_back(std::make_unique<VectorReader>(testing::random_schema(), std::vector<Batch>{}));
  inputs.push_back(std::make_unique<VectorReader>(other, std::vector<Batch>{}));
  try {
    UnionAll all(std::move(inputs), {"staging.parquet", "late.csv"});
    FAIL() << "expected schema drift";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kSchemaDrift);
    EXPECT_EQ(error.context().file, "late.csv");
    EXPECT_NE(error.message().find("'late.csv' (id int64, name int64)"), std::string::npos) << error.message();
    EXPECT_NE(error.message().find("'staging.parquet'"), std::string::npos) << error.message();
  }
}

TEST(UnionAll, NullabilityDoesNotMatterButTypesDo) {
  Schema a({{"x", Type::kInt64, true}});
  Schema b({{"x", Type::kInt64, false}});
  Schema c({{"x", Type::kDouble, true}});
  Schema d({{"y", Type::kInt64, true}});
  EXPECT_TRUE(union_compatible(a, b));
  EXPECT_FALSE(union_compatible(a, c));
  EXPECT_FALSE(union_compatible(a, d));
  EXPECT_FALSE(union_compatible(a, Schema({{"x", Type::kInt64}, {"z", Type::kInt64}})));
}

TEST(UnionAll, NoInputIsAnError) {
  EXPECT_THROW(UnionAll(std::vector<std::unique_ptr<formats::BatchReader>>{}), Error);
}

}  // namespace
}  // namespace idemload::ops
