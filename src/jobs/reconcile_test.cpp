#include "jobs/reconcile.h"

#include <gtest/gtest.h>

namespace idemload::jobs {
namespace {

JobRow counts(int64_t before, int64_t inserted, int64_t deleted, int64_t after, int64_t distinct, int64_t extra) {
  JobRow job;
  job.rows_before = before;
  job.rows_inserted = inserted;
  job.rows_deleted = deleted;
  job.rows_after = after;
  job.rows_distinct = distinct;
  job.keys_only_in_scope = extra;
  return job;
}

TEST(Reconcile, CountsThatAddUpPass) {
  EXPECT_FALSE(reconcile(counts(200, 800, 0, 1000, 1000, 0), true));
  EXPECT_FALSE(reconcile(counts(500, 1000, 500, 1000, 1000, 0), true));  // overwrite
  EXPECT_FALSE(reconcile(counts(10, 5, 0, 15, 12, 3), true));            // 3 keys only in scope
  EXPECT_FALSE(reconcile(counts(10, 5, 0, 15, 12, -1), true));           // unknown extras: first check only
}

TEST(Reconcile, SilentPartialWriteIsCaught) {
  // The database reported 800 inserted rows but the scope grew by 700.
  auto mismatch = reconcile(counts(200, 800, 0, 900, 1000, 0), true);
  ASSERT_TRUE(mismatch);
  EXPECT_NE(mismatch->find("200 to 900"), std::string::npos) << *mismatch;
  EXPECT_NE(mismatch->find("inserted 800"), std::string::npos) << *mismatch;
}

TEST(Reconcile, ScopeMustEqualDistinctPlusExtrasForIdempotentStrategies) {
  auto mismatch = reconcile(counts(200, 700, 0, 900, 1000, 0), true);
  ASSERT_TRUE(mismatch);
  EXPECT_NE(mismatch->find("1000 distinct"), std::string::npos) << *mismatch;
  // append promises nothing about distinct keys.
  EXPECT_FALSE(reconcile(counts(200, 700, 0, 900, 1000, 0), false));
}

}  // namespace
}  // namespace idemload::jobs
