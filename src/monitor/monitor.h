// The monitoring job (DESIGN.md §4–5, the lesson's "how do I detect failure?"): finds failed,
// abandoned and mismatched jobs and batches that never arrived, announces each once per
// channel (recorded in idemload_alerts, so restarts neither repeat nor drop an alert), and can
// recover what it finds.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "monitor/alerts/alert.h"
#include "monitor/metrics.h"
#include "targets/target.h"

namespace idemload::monitor {

// "TABLE every DURATION [by HH:MM]": TABLE must have a succeeded job at least every DURATION;
// with `by`, the job for each period must have succeeded by that UTC time of day.
struct Expectation {
  std::string table;
  int64_t every_ms = 0;
  int64_t by_ms_of_day = -1;
  // Throws Error(kInvalidInput) naming the text.
  static Expectation parse(const std::string& text);
};

struct MonitorOptions {
  std::string target_url;
  int64_t stale_after_ms = 60000;
  std::vector<std::string> alert_specs;
  ChannelOptions channel_options;
  bool auto_recover = false;
  std::vector<Expectation> expectations;
  bool check_tables = true;  // compare each batch's current count with its last success
  // Asked while waiting for another monitor's turn at the alerts (up to 5 minutes): true ends
  // the wait, and this cycle's alerts stay pending. None: wait the whole time.
  std::function<bool()> stop_requested;
};

struct Finding {
  Alert alert;
  bool is_new = false;            // first cycle that saw it
  std::vector<std::string> delivered_to;
  std::vector<std::string> failed_to;  // channel: error (retried next cycle)
};

struct CycleReport {
  std::vector<std::string> abandoned;  // jobs marked abandoned in this cycle
  std::vector<Finding> findings;       // everything wrong that is not yet recovered
  int64_t alerts_delivered = 0;
  int64_t alerts_failed = 0;
  std::vector<std::string> recovered;  // jobs recovered by --auto-recover
  std::vector<std::string> errors;     // recover failures etc.
  nlohmann::json to_json() const;
  std::string summary() const;
};

class Monitor {
 public:
  explicit Monitor(MonitorOptions options);
  // One pass: detect, alert, (recover). Throws only when the target cannot be used at all.
  CycleReport run_cycle();
  // Metrics of the current ledger and of this monitor's cycles, and their Prometheus text.
  MonitorMetrics collect_metrics();
  std::string metrics_text();

 private:
  MonitorOptions options_;
  std::vector<std::unique_ptr<AlertChannel>> channels_;
  std::vector<std::string> channel_names_;
  int64_t cycles_ = 0;
  int64_t alerts_delivered_ = 0;
  int64_t alerts_failed_ = 0;
  int64_t last_cycle_ms_ = 0;
};

// Whether `pid` is alive on this host.
bool process_alive(int64_t pid);

}  // namespace idemload::monitor
