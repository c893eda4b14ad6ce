// The strategy matrix on real databases: every strategy × {SQLite, PostgreSQL, MariaDB} ×
// {clean run; run twice; killed by SIGKILL at failpoints then run again; two loads at once}.
// Each load is a real `idemload load` child process; the end state is checked exactly with
// `idemload verify` (sorted exact keys, row digests). For `append`, the test asserts that a
// re-run DOES duplicate: the check is proven able to fail.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <future>
#include <random>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace idemload::testing {
namespace {

struct Case {
  std::string db;        // sqlite | postgres | mysql
  std::string strategy;  // append | antijoin | overwrite | transactional | upsert
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) { return info.param.db + "_" + info.param.strategy; }
void PrintTo(const Case& c, std::ostream* out) { *out << c.db << "/" << c.strategy; }

class StrategyMatrix : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    table_ = fmt::format("m_{}_{}_{}", GetParam().strategy, ::getpid(), counter++);
    if (GetParam().db == "sqlite") {
      url_ = "sqlite:" + dir_.file("target.sqlite");
    } else if (GetParam().db == "postgres") {
      url_ = require_url("IDEMLOAD_TEST_PG_URL");
    } else {
      url_ = require_url("IDEMLOAD_TEST_MYSQL_URL");
    }
    write_sources();
  }

  // A staging file with duplicate keys (some exact duplicate rows, some same key with other
  // values: the first occurrence must win) and the lesson's production seed: ~20% of the
  // distinct rows.
  void write_sources() {
    std::mt19937_64 rng(1234);
    std::string staging = "ip,date,time,cik,code,size,doc\n";
    std::string seed = staging;
    std::vector<std::string> keys;
    std::set<std::string> seen;
    for (int row = 0; row < kRows; ++row) {
      std::string key;
      if (!keys.empty() && rng() % 100 < 8) {
        key = keys[rng() % keys.size()];
      } else {
        key = fmt::format("10.{}.{}.{},2017-06-30,{:02}:{:02}:{:02}", rng() % 4, rng() % 8, static_cast<char>('a' + rng() % 10),
                          rng() % 24, rng() % 60, rng() % 60);
        keys.push_back(key);
      }
      std::string line = fmt::format("{},{}.0,200.0,{},\"doc, {}\"\n", key, 1000000 + rng() % 9000, rng() % 2 ? std::to_string(rng() % 100000) + ".0" : "", row);
      staging += line;
      if (seen.insert(key).second && rng() % 100 < 20) seed += line;
    }
    distinct_ = static_cast<int>(seen.size());
    write_file(dir_.path() / "staging.csv", staging);
    write_file(dir_.path() / "seed.csv", seed);
  }

  RunResult load(const std::vector<std::string>& extra = {}, const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> args = {"load", dir_.file("staging.csv"), "--target", url_, "--table", table_, "--key",
                                     "ip,date,time", "--batch", "b1", "--strategy", GetParam().strategy,
                                     "--chunk-rows", "300", "--json", "--lock-timeout", "60s"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_idemload(args, env);
  }

  // The lesson's starting state: production holds ~20% of the distinct staging rows. Only
  // upsert gets a primary key (it needs one; append must be free to duplicate).
  void seed_production() {
    std::vector<std::string> args = {"load",  dir_.file("seed.csv"), "--target", url_, "--table", table_,
                                     "--key", "ip,date,time", "--batch", "b1", "--strategy", "antijoin",
                                     "--quiet"};
    if (GetParam().strategy == "upsert") args.push_back("--primary-key");
    auto result = run_idemload(args);
    ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  }

  nlohmann::json verify() {
    auto result = run_idemload({"verify", dir_.file("staging.csv"), "--target", url_, "--table", table_, "--key",
                                "ip,date,time", "--batch", "b1", "--json"});
    EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
    return nlohmann::json::parse(result.out);
  }

  void expect_exact(const std::string& when) {
    auto doc = verify();
    EXPECT_TRUE(doc["ok"].get<bool>()) << when << ": " << doc.dump();
    EXPECT_EQ(doc["target_rows"].get<int64_t>(), distinct_) << when;
    EXPECT_EQ(doc["duplicates"].get<int64_t>(), 0) << when;
  }

  bool idempotent() const { return GetParam().strategy != "append"; }

  static constexpr int kRows = 2000;
  TempDir dir_;
  std::string url_;
  std::string table_;
  int distinct_ = 0;
};

TEST_P(StrategyMatrix, CleanRunLoadsEveryDistinctRowOnce) {
  seed_production();
  auto result = load();
  ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  auto doc = nlohmann::json::parse(result.out);
  EXPECT_EQ(doc["state"], "succeeded");
  EXPECT_EQ(doc["rows_distinct"].get<int64_t>(), distinct_);
  if (idempotent()) {
    expect_exact("after a clean run");
  } else {
    // append inserts every distinct row again on top of the seed: the seeded keys are duplicated.
    EXPECT_GT(verify()["duplicates"].get<int64_t>(), 0);
  }
}

TEST_P(StrategyMatrix, RunTwiceIsANoOpAndForcedRerunKeepsTheInvariant) {
  seed_production();
  ASSERT_EQ(load().exit_code, 0);
  auto second = load();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  auto doc = nlohmann::json::parse(second.out);
  EXPECT_TRUE(doc["noop"].get<bool>()) << second.out;
  auto forced = load({"--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err << forced.out;
  if (idempotent()) {
    expect_exact("after a forced re-run");
  } else {
    auto check = verify();
    EXPECT_FALSE(check["ok"].get<bool>());
    EXPECT_GE(check["duplicates"].get<int64_t>(), distinct_ - 1) << "append must duplicate on a re-run";
  }
}

TEST_P(StrategyMatrix, KilledAtFailpointsThenRerunRestoresTheInvariant) {
  seed_production();
  // The source has ~1900 distinct rows; 300-row chunks give several commits to die after.
  for (const char* point : {"after_chunk_commit=kill@1", "after_chunk_commit=kill@3", "before_ledger_finish=kill",
                                   "inside_commit=kill@2", "after_rows_read=kill@1"}) {
    SCOPED_TRACE(point);
    auto killed = load({"--force"}, {{"IDEMLOAD_FAILPOINTS", point}});
    if (killed.term_signal != SIGKILL) {
      // Strategies that commit once reach some points fewer times; the point must then not fire.
      EXPECT_EQ(killed.exit_code, 0) << killed.err << killed.out;
    }
  }
  auto rerun = load({"--force"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err << rerun.out;
  if (idempotent()) {
    expect_exact("after kills and a re-run");
    auto jobs = run_idemload({"jobs", "--target", url_, "--table", table_, "--json"});
    ASSERT_EQ(jobs.exit_code, 0) << jobs.err;
    for (const auto& job : nlohmann::json::parse(jobs.out)) {
      EXPECT_NE(job["state"], "running") << "a dead job was left running: " << job.dump();
    }
  } else {
    EXPECT_GT(verify()["duplicates"].get<int64_t>(), 0);
  }
}

TEST_P(StrategyMatrix, TwoLoadsOfOneBatchAtOnce) {
  seed_production();
  // Slow the loads down so that they overlap; the lock must serialize them.
  std::map<std::string, std::string> env = {{"IDEMLOAD_FAILPOINTS", "after_rows_read=sleep:200@1+"}};
  auto first = std::async(std::launch::async, [&] { return load({}, env); });
  auto second = std::async(std::launch::async, [&] { return load({}, env); });
  auto a = first.get();
  auto b = second.get();
  EXPECT_EQ(a.exit_code, 0) << a.err << a.out;
  EXPECT_EQ(b.exit_code, 0) << b.err << b.out;
  auto doc_a = nlohmann::json::parse(a.out);
  auto doc_b = nlohmann::json::parse(b.out);
  // Exactly one of them loaded; the other found the batch loaded and did nothing.
  EXPECT_NE(doc_a["noop"].get<bool>(), doc_b["noop"].get<bool>()) << a.out << "\n" << b.out;
  if (idempotent()) expect_exact("after two concurrent loads");
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const char* db : {"sqlite", "postgres", "mysql"}) {
    for (const char* strategy : {"append", "antijoin", "overwrite", "transactional", "upsert"}) {
      cases.push_back({db, strategy});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllTargets, StrategyMatrix, ::testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace idemload::testing
