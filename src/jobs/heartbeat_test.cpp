// Heartbeat against a real SQLite ledger: it advances heartbeat_at of a running job, never
// touches a job that has finished, and counts (and reports) the beats it could not write.
#include "jobs/heartbeat.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "test_util.h"
#include "core/uuid.h"
#include "jobs/ledger.h"

namespace idemload::jobs {
namespace {

using idemload::testing::TempDir;

// Polls `done`; the deadline only guards against a hang, nothing asserts on time.
template <typename Predicate>
bool eventually(Predicate done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

JobRow running_job(int64_t beat) {
  JobRow job;
  job.job_id = new_uuid_v7();
  job.table_name = "t";
  job.batch = "b";
  job.strategy = "antijoin";
  job.state = kRunning;
  job.started_at = beat;
  job.heartbeat_at = beat;
  job.request = "{}";
  return job;
}

TEST(Heartbeat, AdvancesARunningJobAndLeavesAFinishedOneAlone) {
  TempDir dir;
  auto target = targets::open_target("sqlite:" + dir.file("ledger.sqlite"));
  Ledger ledger(*target);
  ledger.ensure_tables();
  JobRow job = running_job(1000);
  JobRow finished = running_job(1000);
  finished.state = kFailed;
  ledger.insert(job);
  ledger.insert(finished);

  Heartbeat beat(target->reconnect(), job.job_id, 20);
  Heartbeat late(target->reconnect(), finished.job_id, 20);
  ASSERT_TRUE(eventually([&] { return ledger.find(job.job_id)->heartbeat_at > 1000; }));
  int64_t first = ledger.find(job.job_id)->heartbeat_at;
  ASSERT_TRUE(eventually([&] { return ledger.find(job.job_id)->heartbeat_at > first; }));
  beat.stop();
  late.stop();
  EXPECT_EQ(beat.failures(), 0);
  EXPECT_EQ(ledger.find(finished.job_id)->heartbeat_at, 1000);  // a failed job stays as it was
  EXPECT_EQ(ledger.find(finished.job_id)->state, kFailed);
  int64_t stopped = ledger.find(job.job_id)->heartbeat_at;
  beat.stop();  // idempotent
  EXPECT_EQ(ledger.find(job.job_id)->heartbeat_at, stopped);
}

TEST(Heartbeat, CountsAndReportsBeatsItCannotWrite) {
  TempDir dir;
  // A database without the ledger tables: every beat fails.
  auto target = targets::open_target("sqlite:" + dir.file("empty.sqlite"));
  Heartbeat beat(target->reconnect(), "01900000-0000-7000-8000-000000000000", 10);
  ASSERT_TRUE(eventually([&] { return beat.failures() >= 2; }));
  beat.stop();
  EXPECT_NE(beat.last_error().find("idemload_jobs"), std::string::npos) << beat.last_error();
}

}  // namespace
}  // namespace idemload::jobs
