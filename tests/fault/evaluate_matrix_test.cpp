// The small evaluation matrix (SQLite, a few thousand rows, every strategy × every fault that
// applies × 2 seds, each load a real child process): the four idempotent strategies keep the
// invariant in every cell, append shows duplicates after a re-run (the check can fail), and
// every injected fault that fired was detected. Also checks the three report files.
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace idemload::testing {
namespace {

class EvaluateMatrix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    result_ = new RunResult(run_idemload({"evaluate", "--rows", "3000", "--seeds", "1,2", "--report",
                                          dir_->file("report"), "--work-dir", dir_->file("work"), "--json"}));
    doc_ = new nlohmann::json(nlohmann::json::parse(result_->out, nullptr, false));
  }
  static void TearDownTestSuite() {
    delete doc_;
    delete result_;
    delete dir_;
  }
  static const nlohmann::json& cells() { return (*doc_)["cells"]; }

  static TempDir* dir_;
  static RunResult* result_;
  static nlohmann::json* doc_;
};
TempDir* EvaluateMatrix::dir_ = nullptr;
RunResult* EvaluateMatrix::result_ = nullptr;
nlohmann::json* EvaluateMatrix::doc_ = nullptr;

TEST_F(EvaluateMatrix, RunsEveryStrategyAndEveryApplicableFault) {
  ASSERT_FALSE(doc_->is_discarded()) << result_->err << result_->out;
  std::set<std::string> strategies, faults;
  for (const auto& cell : cells()) {
    strategies.insert(cell["strategy"].get<std::string>());
    faults.insert(cell["fault"].get<std::string>());
  }
  EXPECT_EQ(strategies, (std::set<std::string>{"append", "antijoin", "overwrite", "transactional", "upsert"}));
  for (const char* fault : {"none", "kill_after_rows", "kill_after_chunk_commit", "kill_inside_commit",
                            "kill_before_ledger_finish", "source_io_error", "corrupt_parquet_page", "malformed_csv",
                            "connection_error", "schema_changed", "concurrent_loader", "disk_full", "rerun_3x"}) {
    EXPECT_TRUE(faults.count(fault)) << fault;
  }
  EXPECT_FALSE(faults.count("connection_killed")) << "a killed server session does not apply to SQLite";
  EXPECT_EQ(result_->exit_code, 0) << "findings: " << (*doc_)["findings"] << "\n" << result_->err;
}

TEST_F(EvaluateMatrix, IdempotentStrategiesHaveNoDuplicatesAndNoLostRows) {
  ASSERT_FALSE(doc_->is_discarded());
  for (const auto& cell : cells()) {
    if (cell["strategy"] == "append") continue;
    SCOPED_TRACE(cell.dump());
    EXPECT_TRUE(cell["holds"].get<bool>());
    EXPECT_EQ(cell["duplicates"].get<int64_t>(), 0);
    EXPECT_EQ(cell["lost"].get<int64_t>(), 0);
    EXPECT_EQ(cell["target_rows"].get<int64_t>(), cell["source_distinct"].get<int64_t>());
    EXPECT_TRUE(cell["outside_unchanged"].get<bool>());
  }
}

TEST_F(EvaluateMatrix, AppendShowsDuplicatesAfterAReRun) {
  ASSERT_FALSE(doc_->is_discarded());
  int append_cells = 0;
  for (const auto& cell : cells()) {
    if (cell["strategy"] != "append") continue;
    ++append_cells;
    SCOPED_TRACE(cell.dump());
    // The target starts with 20% of the rows: even a clean append duplicates those keys, and a
    // re-run after a fault duplicates what the failed attempt committed as well.
    EXPECT_GT(cell["duplicates"].get<int64_t>(), 0);
    EXPECT_FALSE(cell["holds"].get<bool>());
    // The rows outside the batch are untouched even by append.
    EXPECT_TRUE(cell["outside_unchanged"].get<bool>());
  }
  EXPECT_GT(append_cells, 10);
}

TEST_F(EvaluateMatrix, EveryInjectedFaultIsDetected) {
  ASSERT_FALSE(doc_->is_discarded());
  int fired = 0;
  for (const auto& cell : cells()) {
    const std::string fault = cell["fault"];
    if (fault == "none" || fault == "rerun_3x") continue;
    SCOPED_TRACE(cell.dump());
    if (!cell["fired"].get<bool>()) continue;
    ++fired;
    EXPECT_TRUE(cell["detected"].get<bool>());
    EXPECT_FALSE(cell["detected_by"].get<std::string>().empty());
  }
  // The injection points are drawn within what each strategy reaches: nearly every cell fires.
  EXPECT_GT(fired, 150);
}

TEST_F(EvaluateMatrix, LoadingOneTwoAndThreeTimesGivesOneDigest) {
  ASSERT_FALSE(doc_->is_discarded());
  int checked = 0;
  for (const auto& cell : cells()) {
    if (cell["fault"] != "rerun_3x") continue;
    SCOPED_TRACE(cell.dump());
    const bool equal = cell["note"].get<std::string>().find("(equal)") != std::string::npos;
    EXPECT_EQ(equal, cell["strategy"] != "append");
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

TEST_F(EvaluateMatrix, WritesTheThreeReports) {
  ASSERT_FALSE(doc_->is_discarded());
  const std::string md = read_file(dir_->file("report") + "/report.md");
  const std::string html = read_file(dir_->file("report") + "/report.html");
  auto json = nlohmann::json::parse(read_file(dir_->file("report") + "/report.json"));
  EXPECT_NE(md.find("| fault | append | antijoin | overwrite | transactional | upsert |"), std::string::npos) << md;
  EXPECT_NE(md.find("| kill_after_chunk_commit |"), std::string::npos);
  EXPECT_EQ(json["cells"].size(), cells().size());
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<rect"), std::string::npos);
  // Self-contained: no scripts, no external fonts or stylesheets.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("http://www.w3.org/2000/svg"), html.find("http"));
}

}  // namespace
}  // namespace idemload::testing
