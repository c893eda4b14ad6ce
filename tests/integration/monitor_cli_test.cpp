// `idemload monitor` and `idemload recover` options as a user runs them (real child processes,
// a real SQLite target): --expect finds batches that never arrived, --metrics-file writes
// Prometheus text, --every survives a target that is unusable for a while and stops on SIGTERM
// (also while waiting for another monitor's turn at the alerts), and recover refuses a changed
// source (naming the file) without stopping the other recoveries.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "core/uuid.h"
#include "jobs/ledger.h"
#include "monitor/metrics.h"
#include "targets/target.h"
#include "test_util.h"

extern char** environ;

namespace idemload::testing {
namespace {

class MonitorCli : public ::testing::Test {
 protected:
  std::string write_source(const std::string& name, int salt, int rows = 500) {
    std::string text = "ip,date,time,size\n";
    for (int row = 0; row < rows; ++row) {
      text += fmt::format("10.{}.{}.{},2017-06-30,00:00:{:02},{}\n", salt, row / 250, row % 250,
                          row % 60, row);
    }
    std::string path = dir_.file(name);
    write_file(path, text);
    return path;
  }

  RunResult load(const std::string& source, const std::string& table, const std::string& batch,
                 const std::map<std::string, std::string>& env = {}) {
    return run_idemload({"load", source, "--target", url_, "--table", table, "--key",
                         "ip,date,time", "--batch", batch, "--chunk-rows", "100", "--json"},
                        env);
  }

  nlohmann::json monitor_once(const std::vector<std::string>& extra, int expected_exit) {
    std::vector<std::string> args = {"monitor", "--once", "--target", url_, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto result = run_idemload(args);
    EXPECT_EQ(result.exit_code, expected_exit) << result.err << result.out;
    return nlohmann::json::parse(result.out);
  }

  static std::vector<std::string> kinds(const nlohmann::json& report) {
    std::vector<std::string> out;
    for (const auto& finding : report["findings"]) out.push_back(finding["kind"]);
    return out;
  }

  TempDir dir_;
  std::string url_ = "sqlite:" + dir_.file("target.sqlite");
};

TEST_F(MonitorCli, ExpectReportsBatchesThatNeverArrived) {
  ASSERT_EQ(load(write_source("a.csv", 1), "edgar", "2017-06-30").exit_code, 0);
  // A table whose last success was three days ago, recorded in the ledger.
  {
    auto target = targets::open_target(url_);
    jobs::Ledger ledger(*target);
    jobs::JobRow job;
    job.job_id = new_uuid_v7();
    job.table_name = "stale";
    job.batch = "2017-06-27";
    job.strategy = "antijoin";
    job.source = "[]";
    job.state = jobs::kSucceeded;
    job.started_at = now_ms() - 3 * 86400000LL;
    job.heartbeat_at = job.finished_at = job.started_at + 1000;
    job.rows_before = job.rows_after = 0;  // a success has counted its (empty) scope
    job.keys_only_in_scope = 0;
    job.request = "{}";
    ledger.insert(job);
  }
  auto report = monitor_once({"--expect", "edgar every 1d by 02:00", "--expect",
                              "stale every 1d by 02:00", "--expect", "never every 1h"},
                             1);
  ASSERT_EQ(report["findings"].size(), 2u) << report.dump();
  std::map<std::string, std::string> text_by_table;
  for (const auto& finding : report["findings"]) {
    EXPECT_EQ(finding["kind"], "missing");
    text_by_table[finding["table"]] = finding["text"];
  }
  EXPECT_NE(text_by_table["never"].find("never been loaded"), std::string::npos) << report.dump();
  EXPECT_NE(text_by_table["stale"].find("no successful load since"), std::string::npos)
      << report.dump();
  EXPECT_EQ(text_by_table.count("edgar"), 0u);
  // Once per missing batch: the next cycle still reports them but announces nothing new.
  auto again =
      monitor_once({"--expect", "stale every 1d by 02:00", "--expect", "never every 1h"}, 1);
  for (const auto& finding : again["findings"])
    EXPECT_FALSE(finding["new"].get<bool>()) << again.dump();

  for (const char* bad :
       {"edgar daily", "edgar every soon", "edgar every 1d by 25:00", "edgar every 1d at 02:00"}) {
    auto result = run_idemload({"monitor", "--once", "--target", url_, "--expect", bad});
    EXPECT_EQ(result.exit_code, 2) << bad << ": " << result.err;
    EXPECT_NE(result.err.find("--expect"), std::string::npos) << bad << ": " << result.err;
  }
}

TEST_F(MonitorCli, TableChecksDoNotMistakeLaterLoadsForTampering) {
  // No lineage column (--scope all): both batches share the whole table as their scope.
  for (const auto& [name, batch] : {std::pair{"a.csv", "b1"}, std::pair{"b.csv", "b2"}}) {
    auto result = run_idemload({"load", write_source(name, batch == std::string("b1") ? 1 : 2),
                                "--target", url_, "--table", "whole", "--key", "ip,date,time",
                                "--batch", batch, "--scope", "all", "--quiet"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  EXPECT_TRUE(monitor_once({}, 0)["findings"].empty());
  ASSERT_EQ(targets::open_target(url_)->execute("DELETE FROM whole WHERE ip = '10.1.0.3'"), 1);
  auto tampered = monitor_once({}, 1);
  ASSERT_EQ(kinds(tampered), std::vector<std::string>{"mismatch"}) << tampered.dump();
  EXPECT_NE(tampered["findings"][0]["text"].get<std::string>().find("holds 999 rows"),
            std::string::npos);

  // A forced re-run of a loaded batch fails half-way after adding rows: that failure is the news,
  // not "rows were changed outside idemload".
  ASSERT_EQ(load(write_source("c.csv", 3), "edgar", "c").exit_code, 0);
  auto failed = run_idemload(
      {"load", write_source("c-more.csv", 3, 1000), "--target", url_, "--table", "edgar", "--key",
       "ip,date,time", "--batch", "c", "--chunk-rows", "100", "--force", "--json"},
      {{"IDEMLOAD_FAILPOINTS", "after_chunk_commit=error@2"}});
  ASSERT_EQ(failed.exit_code, 1) << failed.err << failed.out;
  ASSERT_GT(nlohmann::json::parse(failed.out)["rows_inserted"].get<int64_t>(), 0) << failed.out;
  auto report = monitor_once({}, 1);
  auto found = kinds(report);
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, (std::vector<std::string>{"failed", "mismatch"}))
      << report.dump();  // + the table above
  for (const auto& finding : report["findings"]) {
    if (finding["kind"] == "mismatch") {
      EXPECT_EQ(finding["table"], "whole") << report.dump();
    }
  }
}

TEST_F(MonitorCli, MetricsFileHoldsJobsByStateRowsAndAge) {
  ASSERT_EQ(load(write_source("a.csv", 1), "edgar", "b1").exit_code, 0);
  auto failed = load(write_source("b.csv", 2), "edgar", "b2",
                     {{"IDEMLOAD_FAILPOINTS", "after_chunk_commit=error@2"}});
  ASSERT_EQ(failed.exit_code, 1) << failed.err << failed.out;
  std::string path = dir_.file("metrics/idemload.prom");
  std::filesystem::create_directories(dir_.file("metrics"));
  monitor_once({"--metrics-file", path}, 1);
  auto samples = monitor::parse_metrics(read_file(path));
  auto value = [&](const std::string& name,
                   const std::map<std::string, std::string>& labels) -> double {
    for (const auto& sample : samples) {
      if (sample.name == name && sample.labels == labels) return sample.value;
    }
    ADD_FAILURE() << "no sample " << name << " in\n" << read_file(path);
    return -1;
  };
  EXPECT_EQ(value("idemload_jobs", {{"table", "edgar"}, {"state", "succeeded"}}), 1);
  EXPECT_EQ(value("idemload_jobs", {{"table", "edgar"}, {"state", "failed"}}), 1);
  EXPECT_EQ(value("idemload_jobs", {{"table", "edgar"}, {"state", "running"}}), 0);
  EXPECT_EQ(value("idemload_rows_loaded_total", {{"table", "edgar"}}), 500);
  double age = value("idemload_seconds_since_last_success", {{"table", "edgar"}});
  EXPECT_GE(age, 0);
  EXPECT_LT(age, 3600);
  EXPECT_EQ(value("idemload_monitor_cycles_total", {}), 1);
  EXPECT_EQ(value("idemload_alerts_delivered_total", {}), 0);
}

// The monitor as a long-running child; its stdout (one JSON report a line) goes to a file.
class MonitorProcess {
 public:
  MonitorProcess(const std::vector<std::string>& args, const std::string& out,
                 const std::string& err) {
    std::vector<std::string> strings{idemload_binary()};
    strings.insert(strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~MonitorProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool started() const { return pid_ > 0; }
  // Sends `signal` and returns the exit code (-signal when a signal ended it).
  int stop(int signal) {
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
  // stop(), giving up after `limit`: then nullopt (the destructor kills the process).
  std::optional<int> stop_within(int signal, std::chrono::seconds limit) {
    ::kill(pid_, signal);
    auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
};

std::vector<nlohmann::json> report_lines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::string text = read_file(path);
  size_t start = 0;
  while (true) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) break;
    out.push_back(nlohmann::json::parse(text.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

// Polls until `done`; the deadline only guards against a hang.
void wait_until(const std::function<bool()>& done, const std::string& what) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("gave up waiting: " + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

TEST_F(MonitorCli, EveryOutlivesAnUnusableTargetAndStopsOnSigterm) {
  for (int signal : {SIGTERM, SIGINT}) {
    SCOPED_TRACE(signal);
    // The target's folder does not exist yet: each cycle fails, the monitor keeps going.
    std::string folder = dir_.file(fmt::format("later-{}", signal));
    std::string out = dir_.file("every.out");
    std::string metrics = folder + "/metrics.prom";
    MonitorProcess monitor({"monitor", "--every", "100ms", "--target",
                            "sqlite:" + folder + "/t.sqlite", "--json", "--metrics-file", metrics},
                           out, dir_.file("every.err"));
    ASSERT_TRUE(monitor.started());
    wait_until([&] { return report_lines(out).size() >= 2; }, "two failed cycles");
    for (const auto& line : report_lines(out)) {
      EXPECT_FALSE(line["ok"].get<bool>()) << line.dump();
      EXPECT_TRUE(line.contains("error")) << line.dump();
    }
    EXPECT_NE(read_file(dir_.file("every.err")).find("monitor cycle failed"), std::string::npos);
    // The folder appears: the next cycles work, and write metrics.
    std::filesystem::create_directories(folder);
    wait_until(
        [&] {
          auto lines = report_lines(out);
          return !lines.empty() && lines.back()["ok"] == true && std::filesystem::exists(metrics);
        },
        "a good cycle");
    EXPECT_EQ(monitor.stop(signal), 0) << read_file(dir_.file("every.err"));
    EXPECT_NE(read_file(metrics).find("idemload_monitor_cycles_total"), std::string::npos);
  }
  auto result = run_idemload({"monitor", "--every", "0s", "--target", url_});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  result = run_idemload({"monitor", "--target", url_});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("--once or --every"), std::string::npos) << result.err;
}

// A monitor waits up to 5 minutes for another one to finish announcing; asked to stop meanwhile
// (SIGTERM, as systemd does), it stops waiting at once, leaves this cycle's alerts pending
// and says why. The next monitor to get the turn finds them still to announce.
TEST_F(MonitorCli, SigtermEndsTheWaitForAnotherMonitorsTurnAtTheAlerts) {
  auto failed = load(write_source("a.csv", 1), "edgar", "b1",
                     {{"IDEMLOAD_FAILPOINTS", "after_chunk_commit=error@2"}});
  ASSERT_EQ(failed.exit_code, 1) << failed.err << failed.out;
  auto target = targets::open_target(url_);
  auto held = target->lock("idemload:monitor:alerts", std::chrono::milliseconds(1000));
  std::string out = dir_.file("wait.out");
  MonitorProcess monitor(
      {"monitor", "--every", "1h", "--target", url_, "--json", "--alert", "command:/bin/true"}, out,
      dir_.file("wait.err"));
  ASSERT_TRUE(monitor.started());
  // Into its wait (a signal that comes before the wait ends it as well).
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto code = monitor.stop_within(SIGTERM, std::chrono::seconds(60));
  ASSERT_TRUE(code.has_value()) << "still waiting a minute after SIGTERM";
  EXPECT_EQ(*code, 0) << read_file(dir_.file("wait.err"));
  auto lines = report_lines(out);
  ASSERT_EQ(lines.size(), 1u) << read_file(out);
  EXPECT_EQ(kinds(lines[0]), std::vector<std::string>{"failed"}) << lines[0].dump();
  EXPECT_TRUE(lines[0]["findings"][0]["delivered_to"].empty()) << lines[0].dump();
  ASSERT_EQ(lines[0]["errors"].size(), 1u) << lines[0].dump();
  EXPECT_NE(lines[0]["errors"][0].get<std::string>().find(
                "another monitor holds the alert lock (asked to stop"),
            std::string::npos)
      << lines[0].dump();

  held.reset();
  auto next = monitor_once({"--alert", "command:/bin/true"}, 1);
  EXPECT_EQ(kinds(next), std::vector<std::string>{"failed"}) << next.dump();
  EXPECT_TRUE(next["findings"][0]["new"].get<bool>()) << next.dump();
  EXPECT_EQ(next["findings"][0]["delivered_to"].size(), 1u) << next.dump();
  EXPECT_TRUE(next["errors"].empty()) << next.dump();
}

TEST_F(MonitorCli, RecoverRefusesAChangedSourceAndRecoversTheRest) {
  std::string changed = write_source("changed.csv", 1);
  std::string same = write_source("same.csv", 2);
  auto first =
      load(changed, "edgar", "b1", {{"IDEMLOAD_FAILPOINTS", "after_chunk_commit=error@2"}});
  auto second = load(same, "edgar", "b2", {{"IDEMLOAD_FAILPOINTS", "after_chunk_commit=error@2"}});
  ASSERT_EQ(first.exit_code, 1) << first.err;
  ASSERT_EQ(second.exit_code, 1) << second.err;
  const std::string first_id = nlohmann::json::parse(first.out)["job_id"];
  const std::string second_id = nlohmann::json::parse(second.out)["job_id"];
  write_source("changed.csv", 1, 501);  // one more row since the failed job read it

  auto one = run_idemload({"recover", first_id, "--target", url_});
  EXPECT_EQ(one.exit_code, 2) << one.err << one.out;
  EXPECT_NE(one.err.find("changed.csv"), std::string::npos) << one.err;
  EXPECT_NE(one.err.find("--allow-changed-source"), std::string::npos) << one.err;

  auto all = run_idemload({"recover", "--all", "--target", url_, "--json"});
  EXPECT_EQ(all.exit_code, 1) << all.err << all.out;
  auto results = nlohmann::json::parse(all.out);
  ASSERT_EQ(results.size(), 2u) << all.out;
  std::map<std::string, nlohmann::json> by_job;
  for (const auto& result : results) by_job[result["recovers"]] = result;
  EXPECT_FALSE(by_job[first_id]["ok"].get<bool>());
  EXPECT_NE(by_job[first_id]["error"].get<std::string>().find("changed.csv"), std::string::npos);
  EXPECT_TRUE(by_job[second_id]["ok"].get<bool>()) << all.out;
  EXPECT_EQ(by_job[second_id]["parent_job_id"], second_id);

  auto forced =
      run_idemload({"recover", first_id, "--target", url_, "--allow-changed-source", "--json"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err << forced.out;
  auto verify = run_idemload({"verify", changed, "--target", url_, "--table", "edgar", "--key",
                              "ip,date,time", "--batch", "b1"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  auto nothing = run_idemload({"recover", "--all", "--target", url_});
  EXPECT_EQ(nothing.exit_code, 0) << nothing.err;
  EXPECT_NE(nothing.out.find("Nothing to recover"), std::string::npos) << nothing.out;
}

TEST_F(MonitorCli, RecoverNamesAJobThatCannotBeRerun) {
  auto target = targets::open_target(url_);
  jobs::Ledger ledger(*target);
  ledger.ensure_tables();
  jobs::JobRow job;
  job.job_id = new_uuid_v7();
  job.table_name = "edgar";
  job.batch = "b1";
  job.strategy = "antijoin";
  job.source = "not json";
  job.state = jobs::kAbandoned;
  job.started_at = job.heartbeat_at = now_ms();
  job.request = "{}";
  ledger.insert(job);
  auto all = run_idemload({"recover", "--all", "--target", url_, "--json"});
  EXPECT_EQ(all.exit_code, 1) << all.err << all.out;
  auto results = nlohmann::json::parse(all.out);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0]["recovers"], job.job_id);
  EXPECT_NE(results[0]["error"].get<std::string>().find("cannot be re"), std::string::npos)
      << all.out;
  auto report = monitor_once({"--auto-recover"}, 1);
  ASSERT_EQ(report["errors"].size(), 1u) << report.dump();
  EXPECT_NE(report["errors"][0].get<std::string>().find(job.job_id), std::string::npos)
      << report.dump();
}

}  // namespace
}  // namespace idemload::testing
