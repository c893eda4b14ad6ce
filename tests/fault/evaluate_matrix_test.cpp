// The small evaluation matrix (SQLite, a few thousand rows, every strategy × every fault that
// applies × 2 seeds, each load a real child process): the four idempotent strategies keep the
// invariant in every cell, append shows duplicates after a re-run (the check can fail), and
// every injected fault that fired was detected. Also checks the three report files.
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace idemload::testing {
namespace {

// ctest runs each TEST in its own process: the matrix runs once, in one TEST, and each
// property is a function over its result.
struct Matrix {
  const TempDir& dir;
  const RunResult& result;
  const nlohmann::json& doc;
  const nlohmann::json& cells() const { return doc["cells"]; }
};

void expect_runs_every_strategy_and_every_applicable_fault(const Matrix& m) {
  std::set<std::string> strategies, faults;
  for (const auto& cell : m.cells()) {
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
  EXPECT_EQ(m.result.exit_code, 0) << "findings: " << m.doc["findings"] << "\n" << m.result.err;
}

void expect_idempotent_strategies_have_no_duplicates_and_no_lost_rows(const Matrix& m) {
  for (const auto& cell : m.cells()) {
    if (cell["strategy"] == "append") continue;
    SCOPED_TRACE(cell.dump());
    EXPECT_TRUE(cell["holds"].get<bool>());
    EXPECT_EQ(cell["duplicates"].get<int64_t>(), 0);
    EXPECT_EQ(cell["lost"].get<int64_t>(), 0);
    EXPECT_EQ(cell["target_rows"].get<int64_t>(), cell["source_distinct"].get<int64_t>());
    EXPECT_TRUE(cell["outside_unchanged"].get<bool>());
  }
}

void expect_append_shows_duplicates_after_a_re_run(const Matrix& m) {
  int append_cells = 0;
  for (const auto& cell : m.cells()) {
    if (cell["strategy"] != "append" || cell["recovery"] != "rerun") continue;
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

void expect_every_injected_fault_is_detected(const Matrix& m) {
  int fired = 0;
  for (const auto& cell : m.cells()) {
    const std::string fault = cell["fault"];
    if (fault == "none" || fault == "rerun_3x") continue;
    SCOPED_TRACE(cell.dump());
    if (!cell["fired"].get<bool>()) continue;
    ++fired;
    EXPECT_TRUE(cell["detected"].get<bool>());
    EXPECT_FALSE(cell["detected_by"].get<std::string>().empty());
  }
  // The injection points are drawn within what each strategy reaches: nearly every cell fires.
  EXPECT_GT(fired, 140);
}

void expect_loading_one_two_and_three_times_gives_one_digest(const Matrix& m) {
  int checked = 0;
  for (const auto& cell : m.cells()) {
    if (cell["fault"] != "rerun_3x") continue;
    SCOPED_TRACE(cell.dump());
    const bool equal = cell["note"].get<std::string>().find("(equal)") != std::string::npos;
    EXPECT_EQ(equal, cell["strategy"] != "append");
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

void expect_writes_the_three_reports(const Matrix& m) {
  const std::string md = read_file(m.dir.file("report") + "/report.md");
  const std::string html = read_file(m.dir.file("report") + "/report.html");
  auto json = nlohmann::json::parse(read_file(m.dir.file("report") + "/report.json"));
  EXPECT_NE(md.find("| fault | append | antijoin | overwrite | transactional | upsert |"), std::string::npos) << md;
  EXPECT_NE(md.find("| kill_after_chunk_commit |"), std::string::npos);
  EXPECT_EQ(json["cells"].size(), m.cells().size());
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<rect"), std::string::npos);
  // Self-contained: no scripts, no external fonts or stylesheets.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("http://www.w3.org/2000/svg"), html.find("http"));
}

TEST(EvaluateMatrix, SqliteAllStrategiesAllFaultsTwoSeeds) {
  TempDir dir;
  RunResult result = run_idemload({"evaluate", "--rows", "3000", "--seeds", "1,2", "--report", dir.file("report"),
                                   "--work-dir", dir.file("work"), "--json"});
  nlohmann::json doc = nlohmann::json::parse(result.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << result.err << result.out;
  Matrix matrix{dir, result, doc};
  {
    SCOPED_TRACE("RunsEveryStrategyAndEveryApplicableFault");
    expect_runs_every_strategy_and_every_applicable_fault(matrix);
  }
  {
    SCOPED_TRACE("IdempotentStrategiesHaveNoDuplicatesAndNoLostRows");
    expect_idempotent_strategies_have_no_duplicates_and_no_lost_rows(matrix);
  }
  {
    SCOPED_TRACE("AppendShowsDuplicatesAfterAReRun");
    expect_append_shows_duplicates_after_a_re_run(matrix);
  }
  {
    SCOPED_TRACE("EveryInjectedFaultIsDetected");
    expect_every_injected_fault_is_detected(matrix);
  }
  {
    SCOPED_TRACE("LoadingOneTwoAndThreeTimesGivesOneDigest");
    expect_loading_one_two_and_three_times_gives_one_digest(matrix);
  }
  {
    SCOPED_TRACE("WritesTheThreeReports");
    expect_writes_the_three_reports(matrix);
  }
}

}  // namespace
}  // namespace idemload::testing
