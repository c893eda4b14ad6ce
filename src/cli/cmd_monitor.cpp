// idemload monitor: checks the ledger for failed, abandoned and mismatched jobs and missing
// batches, alerts once per failure, optionally recovers; once (cron) or every DURATION.
#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/options.h"
#include "core/error.h"
#include "core/uuid.h"
#include "monitor/metrics.h"
#include "monitor/monitor.h"

namespace idemload::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

struct MonitorFlags {
  monitor::MonitorOptions options;
  bool once = false;
  std::string every;
  std::string stale_after = "60s";
  std::vector<std::string> expect;
  std::string metrics_file;
  int metrics_port = -1;
  std::string alert_timeout = "10s";
};

int run(MonitorFlags flags, const Globals& globals) {
  flags.options.stale_after_ms = parse_duration_ms(flags.stale_after);
  flags.options.channel_options.timeout_ms =
      static_cast<int>(parse_duration_ms(flags.alert_timeout));
  for (const auto& text : flags.expect)
    flags.options.expectations.push_back(monitor::Expectation::parse(text));
  if (flags.once == !flags.every.empty())
    throw Error::InvalidInput("give --once or --every DURATION");
  int64_t every_ms = flags.every.empty() ? 0 : parse_duration_ms(flags.every);
  if (!flags.every.empty() && every_ms <= 0)
    throw Error::InvalidInput("--every must be longer than 0 (e.g. 1m)");
  flags.options.stop_requested = [] { return g_stop.load(); };
  monitor::Monitor monitor(flags.options);
  std::unique_ptr<monitor::MetricsServer> server;
  if (flags.metrics_port >= 0) {
    server = std::make_unique<monitor::MetricsServer>(flags.metrics_port);
    if (!globals.quiet && !globals.json)
      std::cerr << "metrics on http://127.0.0.1:" << server->port() << "/metrics\n";
  }
  ::signal(SIGTERM, on_signal);
  ::signal(SIGINT, on_signal);
  int exit_code = kExitOk;
  while (true) {
    try {
      auto report = monitor.run_cycle();
      exit_code = report.findings.empty() && report.errors.empty() ? kExitOk : kExitFailed;
      if (globals.json) {
        std::cout << report.to_json().dump() << std::endl;
      } else if (!globals.quiet) {
        std::cout << report.summary() << std::endl;
      }
      if (server || !flags.metrics_file.empty()) {
        auto metrics = monitor.collect_metrics();
        if (server) server->update(metrics);
        if (!flags.metrics_file.empty()) {
          monitor::write_metrics_file(flags.metrics_file,
                                      monitor::render_metrics(metrics, now_ms()));
        }
      }
    } catch (const std::exception& error) {
      if (flags.once) throw;
      // A long-running monitor outlives a target (or metrics file) that is unusable for a while:
      // it says so and tries again next cycle. Alerts not yet delivered stay pending.
      std::cerr << "idemload: warning: monitor cycle failed: " << error.what() << std::endl;
      if (globals.json)
        std::cout << nlohmann::json{{"ok", false}, {"error", error.what()}}.dump() << std::endl;
    }
    if (flags.once) break;
    auto wake = std::chrono::steady_clock::now() + std::chrono::milliseconds(every_ms);
    while (!g_stop.load() && std::chrono::steady_clock::now() < wake) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (g_stop.load()) break;
  }
  if (server) server->stop();
  return flags.once ? exit_code : kExitOk;
}

const Registration kRegistration(35, [](CLI::App& app, Globals& globals, int& exit_code) {
  auto flags = std::make_shared<MonitorFlags>();
  auto* cmd = app.add_subcommand(
      "monitor",
      "Find failed, abandoned and mismatched jobs and missing batches; alert once per failure");
  add_target_option(*cmd, flags->options.target_url);
  cmd->add_flag("--once", flags->once,
                "One check, then exit (for cron or a systemd timer); exit 1 if problems");
  cmd->add_option("--every", flags->every, "Check every DURATION (e.g. 1m) until SIGTERM/SIGINT");
  cmd->add_option("--stale-after", flags->stale_after,
                  "A running job with no heartbeat for this long is abandoned (default 60s)");
  cmd->add_option("--alert", flags->options.alert_specs,
                  "webhook:URL | email:ADDRESS[,ADDRESS] | command:PATH [ARGS] (repeatable)");
  cmd->add_option(
         "--smtp", flags->options.channel_options.smtp_url,
         "SMTP server for e-mail alerts: smtp://[user:pass@]host:port[?starttls=1], smtps://…")
      ->envname("IDEMLOAD_SMTP_URL");
  cmd->add_option("--mail-from", flags->options.channel_options.mail_from,
                  "Sender address of e-mail alerts");
  cmd->add_option("--alert-timeout", flags->alert_timeout,
                  "Timeout of one delivery attempt (default 10s)");
  cmd->add_flag("--alert-shell", flags->options.channel_options.allow_shell,
                "Run command alerts through /bin/sh -c (default: no shell)");
  cmd->add_option("--expect", flags->expect,
                  "\"TABLE every DURATION [by HH:MM]\": alert when a batch is missing");
  cmd->add_flag("--auto-recover", flags->options.auto_recover,
                "Recover failed and abandoned jobs (anti-join)");
  cmd->add_option("--metrics-file", flags->metrics_file,
                  "Write Prometheus metrics to this file after each cycle");
  cmd->add_option("--metrics-port", flags->metrics_port,
                  "Serve Prometheus metrics on 127.0.0.1:PORT (0: any free port)");
  cmd->add_flag("--json", globals.json, "Print each cycle's report as JSON");
  cmd->add_flag("--quiet,-q", globals.quiet, "Print nothing (exit code only)");
  cmd->callback([flags, &globals, &exit_code] { exit_code = run(*flags, globals); });
});

}  // namespace
}  // namespace idemload::cli
