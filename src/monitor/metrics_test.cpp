// Metrics: rendered text parsed back, the atomic file, and the HTTP server queried for real.
#include "monitor/metrics.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <set>
#include <thread>

#include "core/error.h"
#include "test_util.h"

namespace idemload::monitor {
namespace {

using idemload::testing::read_file;
using idemload::testing::TempDir;

constexpr int64_t kNow = 1700000100000;

MonitorMetrics sample_metrics() {
  MonitorMetrics metrics;
  TableMetrics edgar;
  edgar.table = "edgar";
  edgar.jobs_by_state = {{"succeeded", 7}, {"failed", 2}, {"recovered", 1}};
  edgar.rows_loaded = 123456789;
  edgar.last_success_ms = kNow - 94500;
  TableMetrics odd;
  odd.table = "we\"ird\\name\nx";  // every character the label syntax escapes
  odd.jobs_by_state = {{"running", 1}, {"paused \"x\"", 3}};
  metrics.tables = {edgar, odd};
  metrics.cycles = 12;
  metrics.alerts_delivered = 3;
  metrics.alerts_failed = 1;
  metrics.last_cycle_ms = kNow - 5000;
  return metrics;
}

// The value of the one sample with `name` and `labels`; NaN when absent, fails when repeated.
double value_of(const std::vector<MetricSample>& samples, const std::string& name,
                const std::map<std::string, std::string>& labels = {}) {
  double found = std::nan("");
  int hits = 0;
  for (const auto& sample : samples) {
    if (sample.name == name && sample.labels == labels) {
      found = sample.value;
      ++hits;
    }
  }
  EXPECT_LE(hits, 1) << name;
  return found;
}

TEST(Metrics, RenderedTextParsesBackToTheSnapshot) {
  std::string text = render_metrics(sample_metrics(), kNow);
  auto samples = parse_metrics(text);
  std::string odd = "we\"ird\\name\nx";
  EXPECT_EQ(value_of(samples, "idemload_jobs", {{"table", "edgar"}, {"state", "succeeded"}}), 7);
  EXPECT_EQ(value_of(samples, "idemload_jobs", {{"table", "edgar"}, {"state", "failed"}}), 2);
  EXPECT_EQ(value_of(samples, "idemload_jobs", {{"table", "edgar"}, {"state", "recovered"}}), 1);
  EXPECT_EQ(value_of(samples, "idemload_jobs", {{"table", "edgar"}, {"state", "abandoned"}}), 0);
  EXPECT_EQ(value_of(samples, "idemload_jobs", {{"table", "edgar"}, {"state", "running"}}), 0);
  EXPECT_EQ(value_of(samples, "idemload_jobs", {{"table", odd}, {"state", "running"}}), 1);
  EXPECT_EQ(value_of(samples, "idemload_jobs", {{"table", odd}, {"state", "paused \"x\""}}), 3);
  EXPECT_EQ(value_of(samples, "idemload_jobs", {{"table", odd}, {"state", "succeeded"}}), 0);
  EXPECT_EQ(value_of(samples, "idemload_rows_loaded_total", {{"table", "edgar"}}), 123456789);
  EXPECT_EQ(value_of(samples, "idemload_rows_loaded_total", {{"table", odd}}), 0);
  EXPECT_DOUBLE_EQ(value_of(samples, "idemload_seconds_since_last_success", {{"table", "edgar"}}),
                   94.5);
  EXPECT_DOUBLE_EQ(
      value_of(samples, "idemload_last_success_timestamp_seconds", {{"table", "edgar"}}),
      (kNow - 94500) / 1000.0);
  // A table that never succeeded has no "since last success" (not 0, which would look fresh).
  EXPECT_TRUE(
      std::isnan(value_of(samples, "idemload_seconds_since_last_success", {{"table", odd}})));
  EXPECT_EQ(value_of(samples, "idemload_monitor_cycles_total"), 12);
  EXPECT_EQ(value_of(samples, "idemload_alerts_delivered_total"), 3);
  EXPECT_EQ(value_of(samples, "idemload_alerts_failed_total"), 1);
  EXPECT_DOUBLE_EQ(value_of(samples, "idemload_monitor_last_cycle_timestamp_seconds"),
                   (kNow - 5000) / 1000.0);
  EXPECT_EQ(samples.size(),
            5u + 6u + 2u + 1u + 1u + 3u + 1u);  // jobs, rows, last, since, counters, cycle
}

TEST(Metrics, EachFamilyHasHelpAndTypeBeforeItsSamples) {
  std::string text = render_metrics(sample_metrics(), kNow);
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.rfind("# HELP ", 0) == 0) {
      EXPECT_TRUE(helped.insert(line.substr(7, line.find(' ', 7) - 7)).second) << line;
    } else if (line.rfind("# TYPE ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(types.emplace(name, line.substr(8 + name.size())).second) << line;
    } else {
      std::string name = line.substr(0, line.find_first_of("{ "));
      EXPECT_TRUE(helped.count(name)) << "sample before its HELP: " << line;
      ASSERT_TRUE(types.count(name)) << "sample before its TYPE: " << line;
      bool counter_name = name.size() > 6 && name.substr(name.size() - 6) == "_total";
      EXPECT_EQ(types[name], counter_name ? "counter" : "gauge") << name;
    }
  }
  EXPECT_EQ(types.size(), 8u);
  EXPECT_EQ(text.back(), '\n');
}

TEST(Metrics, EmptySnapshotStillRenders) {
  auto samples = parse_metrics(render_metrics(MonitorMetrics{}, kNow));
  EXPECT_EQ(value_of(samples, "idemload_monitor_cycles_total"), 0);
  EXPECT_TRUE(std::isnan(value_of(samples, "idemload_monitor_last_cycle_timestamp_seconds")));
}

TEST(Metrics, ParserReadsSpecialValuesAndRejectsGarbage) {
  auto samples = parse_metrics("# comment\n\nup 1\nx{a=\"1\",} +Inf 1700000000\ny NaN\nz{} -Inf\n");
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_EQ(samples[1].labels.at("a"), "1");
  EXPECT_TRUE(std::isinf(samples[1].value) && samples[1].value > 0);
  EXPECT_TRUE(std::isnan(samples[2].value));
  EXPECT_TRUE(std::isinf(samples[3].value) && samples[3].value < 0);
  for (const char* bad :
       {"up", "up one", "x{a=1} 1", "x{a=\"1} 1", "x{a=\"\\q\"} 1", "{a=\"1\"} 1", "x{a=\"1\" 1"}) {
    try {
      parse_metrics(std::string("ok 1\n") + bad + "\n");
      FAIL() << bad;
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput) << bad;
      EXPECT_EQ(error.context().row, 2) << bad;
    }
  }
}

TEST(MetricsFile, WritesAtomicallyAndLeavesNoTemporaries) {
  TempDir dir;
  std::string path = dir.file("idemload.prom");
  write_metrics_file(path, "first 1\n");
  EXPECT_EQ(read_file(path), "first 1\n");
  // Readers racing the writer only ever see a whole old or a whole new file.
  std::string big_a = render_metrics(sample_metrics(), kNow);
  while (big_a.size() < (1 << 20)) big_a += big_a;
  std::string big_b(big_a.size() / 2, 'b');
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      std::string seen = read_file(path);
      if (seen != big_a && seen != big_b && seen != "first 1\n") ++torn;
      ++reads;
    }
  });
  for (int round = 0; round < 30; ++round) write_metrics_file(path, round % 2 == 0 ? big_a : big_b);
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0) << "of " << reads.load() << " reads";
  EXPECT_EQ(read_file(path), big_b);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "idemload.prom");
  }
  EXPECT_EQ(files, 1);
}

TEST(MetricsFile, UnwritableDirectoryIsIoErrorNamingTheFile) {
  TempDir dir;
  std::string path = dir.file("missing-dir/idemload.prom");
  try {
    write_metrics_file(path, "x 1\n");
    FAIL() << "should throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    EXPECT_EQ(error.context().file, path);
  }
}

struct HttpReply {
  long status = 0;
  std::string content_type;
  std::string body;
  CURLcode code = CURLE_OK;
};

size_t append_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

HttpReply http(const std::string& method, int port, const std::string& path) {
  HttpReply reply;
  CURL* curl = curl_easy_init();
  std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  if (method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (method == "POST") curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "x=1");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  reply.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  char* type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
  if (type != nullptr) reply.content_type = type;
  curl_easy_cleanup(curl);
  return reply;
}

TEST(MetricsServer, ServesMetricsOverHttp) {
  MetricsServer server(0, sample_metrics());
  ASSERT_GT(server.port(), 0);
  HttpReply reply = http("GET", server.port(), "/metrics");
  ASSERT_EQ(reply.code, CURLE_OK);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
  auto samples = parse_metrics(reply.body);
  EXPECT_EQ(value_of(samples, "idemload_rows_loaded_total", {{"table", "edgar"}}), 123456789);
  EXPECT_EQ(value_of(samples, "idemload_monitor_cycles_total"), 12);
  // Rendered at request time: "seconds since" counts from the real clock, not from kNow.
  EXPECT_GT(value_of(samples, "idemload_seconds_since_last_success", {{"table", "edgar"}}), 94.5);

  MonitorMetrics next = sample_metrics();
  next.cycles = 13;
  next.tables[0].jobs_by_state["abandoned"] = 4;
  server.update(next);
  samples = parse_metrics(http("GET", server.port(), "/metrics?x=1").body);
  EXPECT_EQ(value_of(samples, "idemload_monitor_cycles_total"), 13);
  EXPECT_EQ(value_of(samples, "idemload_jobs", {{"table", "edgar"}, {"state", "abandoned"}}), 4);

  HttpReply head = http("HEAD", server.port(), "/metrics");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(http("GET", server.port(), "/").status, 404);
  EXPECT_EQ(http("POST", server.port(), "/metrics").status, 405);
  EXPECT_EQ(server.requests_served(), 5);
}

TEST(MetricsServer, StopsCleanlyWithAnIdleClientConnected) {
  MetricsServer server(0);
  int port = server.port();
  // A client that connects and never sends: the one thread is inside its request.
  int idle = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(idle, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  server.stop();  // returns: the stop wakes the thread out of the idle request
  server.stop();  // idempotent
  ::close(idle);
  EXPECT_NE(http("GET", port, "/metrics").code, CURLE_OK);  // nothing listens any more
}

TEST(MetricsServer, PortInUseIsIoError) {
  MetricsServer first(0);
  try {
    MetricsServer second(first.port());
    FAIL() << "second server on the same port should fail";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(error.what()).find(std::to_string(first.port())), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace idemload::monitor
