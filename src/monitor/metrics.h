// The monitor's metrics in the Prometheus text exposition format (0.0.4): rendering a snapshot,
// parsing such text back, writing it atomically for node_exporter's textfile collector, and a
// one-thread HTTP server answering GET /metrics on 127.0.0.1.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace idemload::monitor {

// What the monitor knows about one target table after a cycle.
struct TableMetrics {
  std::string table;
  std::map<std::string, int64_t> jobs_by_state;  // ledger state -> number of jobs
  int64_t rows_loaded = 0;                       // rows inserted by succeeded jobs, ever
  int64_t last_success_ms = 0;                   // when the last succeeded job finished; 0 = never
};

struct MonitorMetrics {
  std::vector<TableMetrics> tables;
  int64_t cycles = 0;            // monitor cycles completed since start
  int64_t alerts_delivered = 0;  // since start
  int64_t alerts_failed = 0;     // delivery attempts that failed (retried next cycle), since start
  int64_t last_cycle_ms = 0;     // when the last cycle ended; 0 = none yet
};

// The exposition text, tables sorted by name:
//   idemload_jobs{table,state}                        gauge; the five ledger states always
//                                                     present (0 when none), other states too
//   idemload_rows_loaded_total{table}                 counter
//   idemload_last_success_timestamp_seconds{table}    gauge, tables with a success only
//   idemload_seconds_since_last_success{table}        gauge, now_ms - last_success_ms, idem
//   idemload_monitor_cycles_total, idemload_alerts_delivered_total,
//   idemload_alerts_failed_total                      counters
//   idemload_monitor_last_cycle_timestamp_seconds     gauge, once a cycle has ended
// Label values are escaped (\\, \", \n).
std::string render_metrics(const MonitorMetrics& metrics, int64_t now_ms);

// One sample line of exposition text.
struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped
  double value = 0;
};

// Parses exposition text (comments and blank lines skipped; values may be NaN, +Inf, -Inf; an
// optional timestamp is ignored). Throws kInvalidInput naming the line for a malformed one.
std::vector<MetricSample> parse_metrics(std::string_view text);

// Replaces `path` with `text` atomically: a temporary file beside it, fsync, rename. A reader
// sees the old file or the new one, never a part. Throws kIo naming the file.
void write_metrics_file(const std::string& path, std::string_view text);

// A tiny HTTP/1.1 server on 127.0.0.1 for Prometheus to scrape. One thread, one connection at
// a time (each limited to a few seconds), "Connection: close". GET or HEAD /metrics answers
// render_metrics(latest snapshot, now); other paths 404, other methods 405.
// update() may be called from any thread; stop() and the destructor from the owning one.
class MetricsServer {
 public:
  // Listens on 127.0.0.1:port (0 = a free port, see port()). Throws kIo when it cannot.
  explicit MetricsServer(int port, MonitorMetrics initial = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return port_; }
  // The snapshot later requests are answered from.
  void update(MonitorMetrics metrics);
  // Stops accepting, ends a request in progress, joins the thread. Idempotent.
  void stop();
  // Requests answered so far (any status); counted before the answer is sent.
  int64_t requests_served() const { return requests_served_.load(); }

 private:
  void serve();
  void handle(int connection_fd);

  int listen_fd_ = -1;
  int wake_read_fd_ = -1;
  int wake_write_fd_ = -1;
  int port_ = 0;
  std::mutex mutex_;
  MonitorMetrics metrics_;  // guarded by mutex_
  std::atomic<int64_t> requests_served_{0};
  std::thread thread_;
};

}  // namespace idemload::monitor
