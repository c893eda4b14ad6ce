// The bigger evaluation (label slow): 100,000 staging rows, three seeds, every strategy and every
// fault that applies, on SQLite — and on PostgreSQL and MariaDB when their test URLs are set.
// Same assertions as the small matrix in tests/fault: the idempotent strategies keep the
// invariant exactly in every cell, append duplicates after a re-run, every fault that fired was
// detected.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace idemload::testing {
namespace {

void check_matrix(const std::string& target_url) {
  TempDir dir;
  std::vector<std::string> args = {"evaluate", "--rows", "100000", "--seeds", "11,12,13", "--report",
                                   dir.file("report"), "--work-dir", dir.file("work"), "--json"};
  if (!target_url.empty()) {
    args.push_back("--target");
    args.push_back(target_url);
  }
  auto result = run_idemload(args);
  auto doc = nlohmann::json::parse(result.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << result.err << result.out;
  EXPECT_EQ(result.exit_code, 0) << "findings: " << doc["findings"];
  int fired = 0;
  for (const auto& cell : doc["cells"]) {
    SCOPED_TRACE(cell.dump());
    const std::string fault = cell["fault"];
    if (cell["strategy"] != "append") {
      EXPECT_TRUE(cell["holds"].get<bool>());
      EXPECT_EQ(cell["duplicates"].get<int64_t>(), 0);
      EXPECT_EQ(cell["lost"].get<int64_t>(), 0);
    } else if (cell["recovery"] == "rerun") {
      EXPECT_GT(cell["duplicates"].get<int64_t>(), 0);
    }
    if (fault != "none" && fault != "rerun_3x" && cell["fired"].get<bool>()) {
      ++fired;
      EXPECT_TRUE(cell["detected"].get<bool>());
    }
  }
  EXPECT_GT(fired, 200);
}

TEST(EvaluateLarge, SqliteHundredThousandRowsThreeSeeds) { check_matrix(""); }

TEST(EvaluateLarge, PostgresHundredThousandRowsThreeSeeds) { check_matrix(require_url("IDEMLOAD_TEST_PG_URL")); }

TEST(EvaluateLarge, MariaDbHundredThousandRowsThreeSeeds) { check_matrix(require_url("IDEMLOAD_TEST_MYSQL_URL")); }

}  // namespace
}  // namespace idemload::testing
