// Issue 4 end to end on SQLite, PostgreSQL and MariaDB: a real `idemload load` child process is
// killed with SIGKILL part-way; `idemload monitor --once` marks it abandoned and announces it
// exactly once to a real HTTP receiver and a real SMTP server (tests/receivers.h), across
// cycles, monitor restarts and a receiver outage; `idemload recover` repairs it and `verify`
// passes. Also: heartbeats of a live job, staleness of jobs on other hosts, tampered tables,
// hostile error text reaching a command alert, --auto-recover, and monitors that overlap.
// Each test gets its own database (PostgreSQL, MariaDB) or file (SQLite): the monitor looks at
// the whole ledger, so other suites' jobs must not be in it.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/uuid.h"
#include "jobs/ledger.h"
#include "receivers.h"
#include "targets/target.h"
#include "test_util.h"

extern char** environ;

namespace idemload::testing {
namespace {

// An idemload child process that runs while the test goes on; stdout and stderr go to files.
// SIGKILLed and reaped when the object dies, if still running.
class Child {
 public:
  Child(const TempDir& dir, const std::string& name, const std::vector<std::string>& args,
        const std::map<std::string, std::string>& env = {})
      : out_(dir.file(name + ".out")), err_(dir.file(name + ".err")) {
    std::vector<std::string> argv_strings{idemload_binary()};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings = merged_environment(env);
    std::vector<char*> envp;
    for (auto& text : env_strings) envp.push_back(text.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv_strings[0]);
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  pid_t pid() const { return pid_; }
  void signal(int number) { ::kill(pid_, number); }
  // Waits for the process to end; its exit code, or -signal when a signal ended it.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
  std::string out() const { return read_file(out_); }
  std::string err() const { return read_file(err_); }

 private:
  std::string out_;
  std::string err_;
  pid_t pid_ = -1;
};

// Polls `done` until it holds. The deadline only guards against a hang: nothing asserts on time.
void wait_until(const std::function<bool()>& done, const std::string& what) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("gave up waiting: " + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

class MonitorE2e : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    table_ = fmt::format("mon_{}_{}", ::getpid(), counter++);
    if (GetParam() == "sqlite") {
      url_ = "sqlite:" + dir_.file("target.sqlite");
    } else {
      // A database of its own on the test server: URL = server URL with another database name.
      std::string server = require_url(GetParam() == "postgres" ? "IDEMLOAD_TEST_PG_URL"
                                                                : "IDEMLOAD_TEST_MYSQL_URL");
      server_url_ = server;
      database_ = table_;
      auto admin = targets::open_target(server);
      admin->execute("CREATE DATABASE " + database_);
      std::string base = server.substr(0, server.find('/', server.find("://") + 3));
      std::string query =
          server.find('?') == std::string::npos ? "" : server.substr(server.find('?'));
      url_ = base + "/" + database_ + query;
    }
  }

  void TearDown() override {
    if (database_.empty()) return;
    try {
      auto admin = targets::open_target(server_url_);
      admin->execute("DROP DATABASE IF EXISTS " + database_ +
                     (GetParam() == "postgres" ? " WITH (FORCE)" : ""));
    } catch (const std::exception& error) {
      ADD_FAILURE() << "cannot drop test database " << database_ << ": " << error.what();
    }
  }

  // A CSV of `rows` distinct keys; `salt` keeps the keys of different files apart.
  std::string write_source(const std::string& name, int salt, int rows = 3000) {
    std::string text = "ip,date,time,size\n";
    for (int row = 0; row < rows; ++row) {
      text += fmt::format("10.{}.{}.{},2017-06-30,{:02}:{:02}:{:02},{}\n", salt, row / 250,
                          row % 250, row % 24, (row / 24) % 60, row % 60, row);
    }
    std::string path = dir_.file(name);
    write_file(path, text);
    return path;
  }

  std::vector<std::string> load_args(const std::string& source, const std::string& batch,
                                     const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"load",         source,  "--target",     url_,      "--table",
                                     table_,         "--key", "ip,date,time", "--batch", batch,
                                     "--chunk-rows", "300",   "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  RunResult load(const std::string& source, const std::string& batch,
                 const std::vector<std::string>& extra = {},
                 const std::map<std::string, std::string>& env = {}) {
    return run_idemload(load_args(source, batch, extra), env);
  }

  // `monitor --once --json` with `extra` flags; the cycle's report.
  nlohmann::json monitor_once(const std::vector<std::string>& extra, int expected_exit) {
    std::vector<std::string> args = {"monitor", "--once", "--target", url_, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    if (std::find(extra.begin(), extra.end(), "--stale-after") == extra.end()) {
      args.insert(args.end(), {"--stale-after", "5m"});
    }
    auto result = run_idemload(args);
    EXPECT_EQ(result.exit_code, expected_exit) << result.err << result.out;
    auto doc = nlohmann::json::parse(result.out, nullptr, false);
    if (doc.is_discarded()) {
      ADD_FAILURE() << "monitor printed no JSON: " << result.out << result.err;
      return nlohmann::json::object();
    }
    return doc;
  }

  nlohmann::json verify(const std::string& source, const std::string& batch) {
    auto result = run_idemload({"verify", source, "--target", url_, "--table", table_, "--key",
                                "ip,date,time", "--batch", batch, "--json"});
    EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
    return nlohmann::json::parse(result.out);
  }

  nlohmann::json show_job(const std::string& job_id) {
    auto result = run_idemload({"jobs", "--target", url_, "show", job_id, "--json"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out);
  }

  // The ledger, read in-process through the real target (a fresh connection each time).
  std::vector<jobs::JobRow> jobs_of(const std::string& batch) {
    auto target = targets::open_target(url_);
    jobs::Ledger ledger(*target);
    std::vector<jobs::JobRow> out;
    if (!ledger.tables_exist()) return out;
    for (auto& job : ledger.list("", table_, 0)) {
      if (job.batch == batch) out.push_back(std::move(job));
    }
    return out;
  }

  int64_t execute(const std::string& sql, const targets::Params& params = {}) {
    return targets::open_target(url_)->execute(sql, params);
  }

  TempDir dir_;
  std::string url_;
  std::string table_;
  std::string server_url_;
  std::string database_;
};

TEST_P(MonitorE2e, KilledLoadIsAbandonedAlertedOnceAndRecovered) {
  auto hook = std::make_unique<HttpReceiver>();
  const int hook_port = hook->port();
  SmtpReceiver smtp;
  const std::vector<std::string> alerts = {"--alert",         "webhook:" + hook->url("/hooks/etl"),
                                           "--alert",         "email:ops@example.org",
                                           "--smtp",          smtp.url(),
                                           "--alert-timeout", "5s"};
  std::string source1 = write_source("batch1.csv", 1);
  std::string source2 = write_source("batch2.csv", 2);

  // A load that commits two chunks (of at most 300 rows), then sleeps at a failpoint (alive,
  // heartbeating).
  // One writer: with more, the others would go on committing while this one sleeps.
  Child loader(dir_, "load1", load_args(source1, "b1", {"--heartbeat-ms", "200", "--writers", "1"}),
               {{"IDEMLOAD_FAILPOINTS", "after_chunk_commit=sleep:600000@2"}});
  jobs::JobRow job;
  wait_until(
      [&] {
        auto rows = jobs_of("b1");
        if (rows.size() == 1 && rows[0].rows_inserted > 0) job = rows[0];
        return !job.job_id.empty();
      },
      "the load to commit a chunk");
  EXPECT_EQ(job.state, "running");
  EXPECT_EQ(job.pid, loader.pid());
  // Heartbeats advance while the job sleeps inside a chunk loop.
  const int64_t beat = job.heartbeat_at;
  wait_until([&] { return jobs_of("b1").at(0).heartbeat_at > beat; }, "the heartbeat to advance");

  // A live job with a fresh heartbeat is not abandoned.
  auto live = monitor_once(alerts, 0);
  EXPECT_TRUE(live["abandoned"].empty()) << live.dump();
  EXPECT_TRUE(live["findings"].empty()) << live.dump();
  EXPECT_EQ(jobs_of("b1").at(0).state, "running");
  // Seen from another host (the pid then means nothing), its fresh heartbeat alone keeps it.
  ASSERT_EQ(execute("UPDATE idemload_jobs SET host = ? WHERE job_id = ?",
                    {"etl-9.elsewhere.example", job.job_id}),
            1);
  auto remote = monitor_once({"--stale-after", "30s"}, 0);
  EXPECT_TRUE(remote["abandoned"].empty()) << remote.dump();
  ASSERT_EQ(execute("UPDATE idemload_jobs SET host = ? WHERE job_id = ?", {job.host, job.job_id}),
            1);
  EXPECT_EQ(jobs_of("b1").at(0).state, "running");
  EXPECT_TRUE(hook->requests().empty());

  // kill -9 part-way: the ledger row still says running.
  loader.signal(SIGKILL);
  ASSERT_EQ(loader.wait(), -SIGKILL);
  EXPECT_EQ(jobs_of("b1").at(0).state, "running");
  // What its two chunks committed, as its ledger row counts them (inside each chunk's commit).
  const int64_t committed = jobs_of("b1").at(0).rows_inserted;
  EXPECT_GT(committed, 0);
  EXPECT_LE(committed, 600);

  auto first = monitor_once(alerts, 1);
  ASSERT_EQ(first["abandoned"], nlohmann::json::array({job.job_id})) << first.dump();
  ASSERT_EQ(first["findings"].size(), 1u) << first.dump();
  EXPECT_EQ(first["findings"][0]["kind"], "abandoned");
  EXPECT_TRUE(first["findings"][0]["new"].get<bool>());
  EXPECT_EQ(first["alerts_delivered"], 2);
  EXPECT_EQ(first["alerts_failed"], 0);
  EXPECT_EQ(jobs_of("b1").at(0).state, "abandoned");
  auto requests = hook->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/hooks/etl");
  auto body = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(body["job_id"], job.job_id);
  EXPECT_EQ(body["kind"], "abandoned");
  EXPECT_EQ(body["table"], table_);
  EXPECT_NE(body["text"].get<std::string>().find(job.job_id), std::string::npos) << body.dump();
  auto mails = smtp.messages();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0]["to"], nlohmann::json::array({"ops@example.org"}));
  EXPECT_NE(mails[0]["raw"].get<std::string>().find(job.job_id), std::string::npos);

  // Nothing new on the next cycle, nor after a restart of a long-running monitor.
  auto second = monitor_once(alerts, 1);
  EXPECT_EQ(second["alerts_delivered"], 0);
  ASSERT_EQ(second["findings"].size(), 1u);
  EXPECT_FALSE(second["findings"][0]["new"].get<bool>());
  for (int restart = 0; restart < 2; ++restart) {
    std::vector<std::string> args = {"monitor", "--every", "100ms",         "--target",
                                     url_,      "--json",  "--stale-after", "5m"};
    args.insert(args.end(), alerts.begin(), alerts.end());
    Child monitor(dir_, fmt::format("monitor{}", restart), args);
    // Wait for two complete cycles (two report lines), then stop it as systemd would.
    wait_until(
        [&] {
          std::string out = monitor.out();
          return std::count(out.begin(), out.end(), '\n') >= 2;
        },
        "two monitor cycles");
    monitor.signal(SIGTERM);
    EXPECT_EQ(monitor.wait(), 0) << monitor.err();
    auto report = nlohmann::json::parse(monitor.out().substr(0, monitor.out().find('\n')));
    EXPECT_EQ(report["alerts_delivered"], 0) << report.dump();
  }
  EXPECT_EQ(hook->requests().size(), 1u);
  EXPECT_EQ(smtp.messages().size(), 1u);

  // The webhook receiver goes down; a new failure happens meanwhile.
  hook.reset();
  auto failed = load(source2, "b2", {}, {{"IDEMLOAD_FAILPOINTS", "after_chunk_commit=error@3"}});
  ASSERT_EQ(failed.exit_code, 1) << failed.err << failed.out;
  const std::string failed_id = nlohmann::json::parse(failed.out)["job_id"];
  for (int cycle = 0; cycle < 2; ++cycle) {
    auto down = monitor_once(alerts, 1);
    EXPECT_EQ(down["findings"].size(), 2u) << down.dump();
    EXPECT_EQ(down["alerts_delivered"], cycle == 0 ? 1 : 0) << down.dump();  // the e-mail, once
    EXPECT_EQ(down["alerts_failed"], 1) << down.dump();  // the webhook, each cycle
  }
  EXPECT_EQ(smtp.messages().size(), 2u);
  // It comes back on the same address: the pending alert goes out on the next cycle, once.
  hook = std::make_unique<HttpReceiver>(std::vector<int>{200}, true, hook_port);
  auto back = monitor_once(alerts, 1);
  EXPECT_EQ(back["alerts_delivered"], 1) << back.dump();
  EXPECT_EQ(back["alerts_failed"], 0) << back.dump();
  requests = hook->requests();
  ASSERT_EQ(requests.size(), 1u);
  body = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(body["job_id"], failed_id);
  EXPECT_EQ(body["kind"], "failed");
  auto after = monitor_once(alerts, 1);
  EXPECT_EQ(after["alerts_delivered"], 0) << after.dump();
  EXPECT_EQ(hook->requests().size(), 1u);
  EXPECT_EQ(smtp.messages().size(), 2u);

  // recover re-runs both as new jobs; verify then passes.
  auto recovered = run_idemload({"recover", "--all", "--target", url_, "--json"});
  ASSERT_EQ(recovered.exit_code, 0) << recovered.err << recovered.out;
  auto results = nlohmann::json::parse(recovered.out);
  ASSERT_EQ(results.size(), 2u) << results.dump();
  for (const auto& [source, batch] : {std::pair{source1, "b1"}, std::pair{source2, "b2"}}) {
    auto check = verify(source, batch);
    EXPECT_TRUE(check["ok"].get<bool>()) << batch << ": " << check.dump();
    EXPECT_EQ(check["target_rows"], 3000) << batch;
  }
  auto old_job = show_job(job.job_id);
  EXPECT_EQ(old_job["state"], "recovered");
  ASSERT_FALSE(old_job["recovered_by"].get<std::string>().empty());
  auto new_job = show_job(old_job["recovered_by"]);
  EXPECT_EQ(new_job["state"], "succeeded");
  EXPECT_EQ(new_job["parent_job_id"], job.job_id);
  EXPECT_EQ(new_job["strategy"], "antijoin");
  EXPECT_EQ(new_job["rows_before"], committed);  // the anti-join kept the two committed chunks
  EXPECT_EQ(new_job["rows_inserted"], 3000 - committed);
  ASSERT_EQ(new_job["ancestors"].size(), 1u);
  EXPECT_EQ(new_job["ancestors"][0]["job_id"], job.job_id);
  EXPECT_EQ(new_job["ancestors"][0]["state"], "recovered");
  EXPECT_EQ(show_job(failed_id)["state"], "recovered");

  // All clear, and still nothing sent twice.
  auto clear = monitor_once(alerts, 0);
  EXPECT_TRUE(clear["findings"].empty()) << clear.dump();
  EXPECT_EQ(hook->requests().size(), 1u);
  EXPECT_EQ(smtp.messages().size(), 2u);
}

TEST_P(MonitorE2e, RowsDeletedAfterSuccessAreACountMismatch) {
  HttpReceiver hook;
  std::string source = write_source("batch.csv", 3, 1000);
  auto loaded = load(source, "b1");
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err << loaded.out;
  const std::string job_id = nlohmann::json::parse(loaded.out)["job_id"];
  const std::vector<std::string> alerts = {"--alert", "webhook:" + hook.url("/hook")};
  EXPECT_TRUE(monitor_once(alerts, 0)["findings"].empty());

  // Someone deletes rows with SQL behind idemload's back.
  EXPECT_EQ(execute(fmt::format("DELETE FROM {} WHERE ip IN ('10.3.0.1', '10.3.0.2', '10.3.1.7')",
                                table_)),
            3);
  auto report = monitor_once(alerts, 1);
  ASSERT_EQ(report["findings"].size(), 1u) << report.dump();
  const auto& finding = report["findings"][0];
  EXPECT_EQ(finding["kind"], "mismatch");
  EXPECT_EQ(finding["job_id"], job_id);
  EXPECT_NE(finding["text"].get<std::string>().find("holds 997 rows"), std::string::npos)
      << finding.dump();
  EXPECT_NE(finding["text"].get<std::string>().find("left 1000"), std::string::npos)
      << finding.dump();
  ASSERT_EQ(hook.requests().size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(hook.requests()[0].body)["kind"], "mismatch");
  EXPECT_FALSE(verify(source, "b1")["ok"].get<bool>());

  // Announced once.
  auto again = monitor_once(alerts, 1);
  EXPECT_EQ(again["alerts_delivered"], 0);
  EXPECT_EQ(hook.requests().size(), 1u);
}

TEST_P(MonitorE2e, CommandAlertGetsHostileErrorTextWithoutRunningIt) {
  // A load fails on a file whose name is hostile; its name ends up in the job's error.
  const std::string marker = fmt::format("PWNED-{}-{}", ::getpid(), table_);
  const std::string hostile_name =
      fmt::format("it's \"q\" $(touch {0}-a) `touch {0}-b` ;touch {0}-c\n|touch {0}-d.csv", marker);
  std::string source = dir_.file(hostile_name);
  write_file(
      source,
      "ip,date,time,size\n1.1.1.1,2017-06-30,00:00:01,5\n1.1.1.2,2017-06-30,00:00:02,oops\n");
  auto failed = load(source, "b1", {"--max-rejects", "0", "--type", "size=int64"});
  ASSERT_EQ(failed.exit_code, 1) << failed.err << failed.out;
  const std::string first_id = nlohmann::json::parse(failed.out)["job_id"];
  // A second failed job whose error is written with SQL: absolute paths, newlines, quotes.
  auto second = load(write_source("ok.csv", 4, 600), "b2", {},
                     {{"IDEMLOAD_FAILPOINTS", "after_chunk_commit=error"}});
  ASSERT_EQ(second.exit_code, 1) << second.err << second.out;
  const std::string second_id = nlohmann::json::parse(second.out)["job_id"];
  const std::string absolute = dir_.file(marker);
  const std::string hostile_error = fmt::format(
      "disk said \"no\"; it's $(touch {0}-e) and `touch {0}-f`\n${{IFS}}touch {0}-g\r\n'; touch "
      "{0}-h; '\\ %s %n",
      absolute);
  ASSERT_EQ(
      execute("UPDATE idemload_jobs SET error = ? WHERE job_id = ?", {hostile_error, second_id}),
      1);

  // The command writes what it got, quoting every expansion.
  std::string script = dir_.file("alert.sh");
  write_file(
      script,
      fmt::format(
          "#!/bin/sh\ncat > '{0}'/stdin-\"$IDEMLOAD_ALERT_JOB_ID\".json\n"
          "printf '%s' \"$IDEMLOAD_ALERT_ERROR\" > '{0}'/env-\"$IDEMLOAD_ALERT_JOB_ID\".txt\n",
          dir_.path().string()));
  ::chmod(script.c_str(), 0755);
  auto report = monitor_once({"--alert", "command:" + script}, 1);
  EXPECT_EQ(report["alerts_delivered"], 2) << report.dump();
  EXPECT_EQ(report["alerts_failed"], 0) << report.dump();

  auto target = targets::open_target(url_);
  jobs::Ledger ledger(*target);
  for (const auto& job_id : {first_id, second_id}) {
    auto job = ledger.find(job_id);
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(job->state, "failed");
    auto stdin_doc = nlohmann::json::parse(read_file(dir_.file("stdin-" + job_id + ".json")));
    EXPECT_EQ(stdin_doc["error"], job->error);
    EXPECT_EQ(read_file(dir_.file("env-" + job_id + ".txt")), job->error);
  }
  EXPECT_NE(ledger.find(first_id)->error.find("$(touch " + marker + "-a)"), std::string::npos)
      << "the file name should be in the error: " << ledger.find(first_id)->error;
  EXPECT_EQ(ledger.find(second_id)->error, hostile_error);
  for (const char* suffix : {"-a", "-b", "-c", "-d", "-e", "-f", "-g", "-h"}) {
    EXPECT_FALSE(std::filesystem::exists(marker + suffix)) << "executed: " << marker + suffix;
    EXPECT_FALSE(std::filesystem::exists(absolute + suffix)) << "executed: " << absolute + suffix;
  }
}

TEST_P(MonitorE2e, StaleHeartbeatsAndDeadProcessesAreAbandoned) {
  auto target = targets::open_target(url_);
  jobs::Ledger ledger(*target);
  ledger.ensure_tables();
  const int64_t now = now_ms();
  auto fake = [&](const std::string& batch, const std::string& host, int64_t pid,
                  int64_t beat_age_ms) {
    jobs::JobRow job;
    job.job_id = new_uuid_v7();
    job.table_name = table_;
    job.batch = batch;
    job.strategy = "antijoin";
    job.source = "[]";
    job.state = jobs::kRunning;
    job.started_at = now - beat_age_ms - 1000;
    job.heartbeat_at = now - beat_age_ms;
    job.host = host;
    job.pid = pid;
    job.request = "{}";
    ledger.insert(job);
    return job.job_id;
  };
  // A process of this host that is gone (reaped), with a fresh heartbeat: abandoned at once.
  pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const std::string dead_here = fake("dead", jobs::this_host(), dead, 0);
  // On another host the pid means nothing (this one is alive here): only the heartbeat counts.
  const std::string elsewhere_old = fake("old", "etl-7.elsewhere.example", ::getpid(), 120000);
  const std::string elsewhere_fresh = fake("fresh", "etl-7.elsewhere.example", 999999, 0);
  // Alive on this host but silent for 2 minutes (hung): its pid keeps it only until the limit.
  const std::string alive_here = fake("alive", jobs::this_host(), ::getpid(), 120000);

  auto lenient = monitor_once({"--stale-after", "10m"}, 1);
  EXPECT_EQ(lenient["abandoned"], nlohmann::json::array({dead_here})) << lenient.dump();
  EXPECT_EQ(ledger.find(alive_here)->state, "running");
  EXPECT_EQ(ledger.find(elsewhere_old)->state, "running");
  auto strict = monitor_once({"--stale-after", "60s"}, 1);
  auto abandoned = strict["abandoned"].get<std::vector<std::string>>();
  std::sort(abandoned.begin(), abandoned.end());
  std::vector<std::string> expected = {elsewhere_old, alive_here};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(abandoned, expected) << strict.dump();
  EXPECT_EQ(ledger.find(dead_here)->state, "abandoned");
  EXPECT_EQ(ledger.find(elsewhere_old)->state, "abandoned");
  EXPECT_NE(ledger.find(elsewhere_old)->error.find("no heartbeat for 120 s"), std::string::npos)
      << ledger.find(elsewhere_old)->error;
  EXPECT_NE(ledger.find(dead_here)->error.find(fmt::format("process {} ", dead)), std::string::npos)
      << ledger.find(dead_here)->error;
  EXPECT_EQ(ledger.find(elsewhere_fresh)->state, "running");
  auto report = monitor_once({"--stale-after", "60s"}, 1);
  EXPECT_TRUE(report["abandoned"].empty());
  EXPECT_EQ(report["findings"].size(), 3u) << report.dump();
}

TEST_P(MonitorE2e, AutoRecoverRecoversWhatItFinds) {
  std::string source = write_source("batch.csv", 5, 1500);
  auto failed = load(source, "b1", {}, {{"IDEMLOAD_FAILPOINTS", "after_chunk_commit=kill@2"}});
  ASSERT_EQ(failed.term_signal, SIGKILL) << failed.err << failed.out;
  auto dead = jobs_of("b1");
  ASSERT_EQ(dead.size(), 1u);
  auto report = monitor_once({"--auto-recover"}, 1);  // problems were found (and then fixed)
  EXPECT_EQ(report["abandoned"], nlohmann::json::array({dead[0].job_id})) << report.dump();
  EXPECT_EQ(report["recovered"], nlohmann::json::array({dead[0].job_id})) << report.dump();
  EXPECT_TRUE(report["errors"].empty()) << report.dump();
  auto check = verify(source, "b1");
  EXPECT_TRUE(check["ok"].get<bool>()) << check.dump();
  EXPECT_EQ(show_job(dead[0].job_id)["state"], "recovered");
  auto clear = monitor_once({"--auto-recover"}, 0);
  EXPECT_TRUE(clear["findings"].empty()) << clear.dump();
  EXPECT_TRUE(clear["recovered"].empty()) << clear.dump();
}

TEST_P(MonitorE2e, MonitorsRunningAtOnceAnnounceEachFailureOnce) {
  HttpReceiver hook;
  for (int batch = 0; batch < 3; ++batch) {
    auto failed =
        load(write_source(fmt::format("b{}.csv", batch), 6 + batch, 600), fmt::format("b{}", batch),
             {}, {{"IDEMLOAD_FAILPOINTS", "after_chunk_commit=error"}});
    ASSERT_EQ(failed.exit_code, 1) << failed.err << failed.out;
  }
  // Cron started a monitor while the last one still runs, several times over.
  std::vector<std::future<RunResult>> monitors;
  for (int idx = 0; idx < 4; ++idx) {
    monitors.push_back(std::async(std::launch::async, [&] {
      return run_idemload({"monitor", "--once", "--target", url_, "--json", "--alert",
                           "webhook:" + hook.url("/h")});
    }));
  }
  int64_t delivered = 0;
  for (auto& monitor : monitors) {
    auto result = monitor.get();
    EXPECT_EQ(result.exit_code, 1) << result.err << result.out;
    auto doc = nlohmann::json::parse(result.out, nullptr, false);
    if (!doc.is_discarded()) delivered += doc.value("alerts_delivered", 0);
  }
  EXPECT_EQ(delivered, 3);
  auto requests = hook.requests();
  std::set<std::string> jobs;
  for (const auto& request : requests)
    jobs.insert(nlohmann::json::parse(request.body)["job_id"].get<std::string>());
  EXPECT_EQ(requests.size(), 3u);
  EXPECT_EQ(jobs.size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(AllTargets, MonitorE2e, ::testing::Values("sqlite", "postgres", "mysql"),
                         case_name);

}  // namespace
}  // namespace idemload::testing
