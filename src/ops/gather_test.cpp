#include "ops/gather.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/error.h"
#include "core/value_text.h"
#include "ops/ops_test_util.h"

namespace idemload::ops {
namespace {

std::string row_text(const Batch& batch, size_t row) {
  std::string text;
  for (size_t column_idx = 0; column_idx < batch.num_columns(); ++column_idx) {
    const Column& column = batch.column(column_idx);
    text += column.is_null(row) ? "<null>" : "[" + value_text(column, row) + "]";
    text += '|';
  }
  return text;
}

TEST(Gather, MatchesTakeForAnySelection) {
  std::mt19937_64 rng(11);
  Batch in = testing::random_batch(rng, 0, 500);
  in.source_file = "in.csv";
  for (size_t row = 0; row < in.num_rows(); ++row) in.source_rows.push_back(static_cast<int64_t>(row) + 2);

  std::vector<std::vector<uint32_t>> selections = {{}, {0}, {499, 0, 499, 3}};
  std::vector<uint32_t> every(500);
  for (uint32_t row = 0; row < 500; ++row) every[row] = row;
  selections.push_back(every);
  std::vector<uint32_t> random_rows;
  for (int pick = 0; pick < 2000; ++pick) random_rows.push_back(static_cast<uint32_t>(rng() % 500));
  selections.push_back(random_rows);

  Batch out;
  for (const auto& selection : selections) {
    gather(in, selection, out);
    Batch expected = in.take(selection);
    ASSERT_EQ(out.num_rows(), selection.size());
    EXPECT_EQ(out.source_file, "in.csv");
    EXPECT_EQ(out.source_rows, expected.source_rows);
    for (size_t row = 0; row < selection.size(); ++row) {
      ASSERT_EQ(row_text(out, row), row_text(expected, row)) << "row " << row;
      ASSERT_EQ(out.column(3).is_null(row), in.column(3).is_null(selection[row]));
    }
    // The raw vectors keep the Column invariants.
    for (size_t column_idx = 0; column_idx < out.num_columns(); ++column_idx) {
      const Column& column = out.column(column_idx);
      EXPECT_EQ(column.validity().size(), selection.size());
      if (column.storage() == Storage::kBytes) {
        EXPECT_EQ(column.offsets().size(), selection.size() + 1);
        EXPECT_EQ(column.offsets().back(), column.bytes().size());
      }
    }
  }
}

// In-place reordering gives what Batch::take gives, for several batches through one
// permuter (its scratch buffers are swapped with the columns' and reused).
TEST(RowPermuter, MatchesTakeForAnyPermutation) {
  std::mt19937_64 rng(12);
  RowPermuter permuter;
  for (size_t rows : {0, 1, 2, 317, 1000}) {
    Batch batch = testing::random_batch(rng, 0, rows);
    for (size_t row = 0; row < rows; ++row)
      batch.source_rows.push_back(static_cast<int64_t>(row) * 3);
    std::vector<uint32_t> order(rows);
    for (uint32_t row = 0; row < rows; ++row) order[row] = row;
    std::shuffle(order.begin(), order.end(), rng);
    Batch expected = batch.take(order);
    permuter.apply(batch, order);
    ASSERT_EQ(batch.num_rows(), rows);
    EXPECT_EQ(batch.source_rows, expected.source_rows);
    for (size_t row = 0; row < rows; ++row)
      ASSERT_EQ(row_text(batch, row), row_text(expected, row)) << "row " << row;
    for (size_t column_idx = 0; column_idx < batch.num_columns(); ++column_idx) {
      const Column& column = batch.column(column_idx);
      EXPECT_EQ(column.validity().size(), rows);
      if (column.storage() == Storage::kBytes) {
        EXPECT_EQ(column.offsets().size(), rows + 1);
        EXPECT_EQ(column.offsets().back(), column.bytes().size());
      }
    }
  }
}

TEST(RowPermuter, RejectsAnOrderOfAnotherLength) {
  std::mt19937_64 rng(13);
  Batch batch = testing::random_batch(rng, 0, 10);
  RowPermuter permuter;
  EXPECT_THROW(permuter.apply(batch, std::vector<uint32_t>{0, 1}), Error);
}

TEST(Gather, AppendsAfterExistingRows) {
  std::mt19937_64 rng(12);
  Batch first = testing::random_batch(rng, 0, 10);
  Batch second = testing::random_batch(rng, 10, 10);
  Batch out;
  std::vector<uint32_t> selection = {9, 1};
  gather(first, selection, out);
  gather_append(second, selection.data(), selection.size(), out);
  ASSERT_EQ(out.num_rows(), 4u);
  EXPECT_EQ(testing::ids_of(out), (std::vector<int64_t>{9, 1, 19, 11}));
  EXPECT_EQ(row_text(out, 2), row_text(second, 9));
  EXPECT_EQ(out.column(5).bytes_at(3), second.column(5).bytes_at(1));
}

TEST(Gather, RejectsOtherColumnTypes) {
  std::mt19937_64 rng(13);
  Batch in = testing::random_batch(rng, 0, 3);
  Batch out(std::make_shared<const Schema>(std::vector<Field>{{"id", Type::kInt64}, {"name", Type::kInt64},
                                                               {"num", Type::kInt64}, {"real", Type::kDouble},
                                                               {"day", Type::kDate}, {"payload", Type::kString}}));
  std::vector<uint32_t> selection = {0};
  try {
    gather_append(in, selection.data(), selection.size(), out);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInternal);
    EXPECT_NE(std::string(error.what()).find("column 1"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace idemload::ops
