#include "monitor/metrics.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace idemload::monitor {

namespace {

constexpr const char* kLedgerStates[] = {"running", "succeeded", "failed", "abandoned",
                                         "recovered"};
constexpr int kConnectionLimitMs = 3000;  // a slow client cannot hold the one thread longer
constexpr size_t kMaxRequestBytes = 8192;

std::string escape_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

std::string seconds(int64_t ms) { return fmt::format("{:.3f}", static_cast<double>(ms) / 1000.0); }

int64_t now_epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

// Sends all of `data` on a non-blocking socket before `deadline`; false when the client went
// away or was too slow. MSG_NOSIGNAL: a vanished client must not raise SIGPIPE.
bool send_all(int fd, std::string_view data, std::chrono::steady_clock::time_point deadline,
              int wake_fd) {
  size_t offset = 0;
  while (offset < data.size()) {
    ssize_t sent = ::send(fd, data.data() + offset, data.size() - offset, MSG_NOSIGNAL);
    if (sent > 0) {
      offset += static_cast<size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{fd, POLLOUT, 0}, {wake_fd, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) return false;
    if (fds[1].revents != 0) return false;
  }
  return true;
}

}  // namespace

std::string render_metrics(const MonitorMetrics& metrics, int64_t now_ms) {
  std::vector<const TableMetrics*> tables;
  for (const auto& table : metrics.tables) tables.push_back(&table);
  std::sort(tables.begin(), tables.end(),
            [](const TableMetrics* a, const TableMetrics* b) { return a->table < b->table; });

  std::string out;
  family(out, "idemload_jobs", "gauge", "Jobs recorded in the ledger, by table and state.");
  for (const TableMetrics* table : tables) {
    std::map<std::string, int64_t> states;
    for (const char* state : kLedgerStates) states[state] = 0;
    for (const auto& [state, count] : table->jobs_by_state) states[state] = count;
    for (const auto& [state, count] : states) {
      out += fmt::format("idemload_jobs{{table=\"{}\",state=\"{}\"}} {}\n",
                         escape_label(table->table), escape_label(state), count);
    }
  }
  family(out, "idemload_rows_loaded_total", "counter",
         "Rows inserted into the table by succeeded jobs.");
  for (const TableMetrics* table : tables) {
    out += fmt::format("idemload_rows_loaded_total{{table=\"{}\"}} {}\n",
                       escape_label(table->table), table->rows_loaded);
  }
  family(out, "idemload_last_success_timestamp_seconds", "gauge",
         "Unix time when the table's last succeeded job finished.");
  for (const TableMetrics* table : tables) {
    if (table->last_success_ms <= 0) continue;
    out += fmt::format("idemload_last_success_timestamp_seconds{{table=\"{}\"}} {}\n",
                       escape_label(table->table), seconds(table->last_success_ms));
  }
  family(out, "idemload_seconds_since_last_success", "gauge",
         "Seconds since the table's last succeeded job finished.");
  for (const TableMetrics* table : tables) {
    if (table->last_success_ms <= 0) continue;
    out += fmt::format("idemload_seconds_since_last_success{{table=\"{}\"}} {}\n",
                       escape_label(table->table),
                       seconds(std::max<int64_t>(0, now_ms - table->last_success_ms)));
  }
  family(out, "idemload_monitor_cycles_total", "counter",
         "Monitor cycles completed since the monitor started.");
  out += fmt::format("idemload_monitor_cycles_total {}\n", metrics.cycles);
  family(out, "idemload_alerts_delivered_total", "counter",
         "Alerts delivered since the monitor started.");
  out += fmt::format("idemload_alerts_delivered_total {}\n", metrics.alerts_delivered);
  family(out, "idemload_alerts_failed_total", "counter",
         "Alert deliveries that failed (each is retried next cycle) since the monitor started.");
  out += fmt::format("idemload_alerts_failed_total {}\n", metrics.alerts_failed);
  if (metrics.last_cycle_ms > 0) {
    family(out, "idemload_monitor_last_cycle_timestamp_seconds", "gauge",
           "Unix time when the last monitor cycle ended.");
    out += fmt::format("idemload_monitor_last_cycle_timestamp_seconds {}\n",
                       seconds(metrics.last_cycle_ms));
  }
  return out;
}

std::vector<MetricSample> parse_metrics(std::string_view text) {
  std::vector<MetricSample> samples;
  size_t line_start = 0;
  int64_t line_number = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    ++line_number;
    auto fail = [&](const char* why) {
      ErrorContext context;
      context.row = line_number;
      return Error::InvalidInput(fmt::format("bad metrics line '{}': {}", line, why), context);
    };
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    line.remove_prefix(first);
    MetricSample sample;
    size_t pos = 0;
    while (pos < line.size() && is_name_char(line[pos], pos == 0)) ++pos;
    if (pos == 0) throw fail("no metric name");
    sample.name = std::string(line.substr(0, pos));
    if (pos < line.size() && line[pos] == '{') {
      ++pos;
      while (true) {
        while (pos < line.size() && line[pos] == ' ') ++pos;
        if (pos < line.size() && line[pos] == '}') {
          ++pos;
          break;
        }
        size_t name_start = pos;
        while (pos < line.size() && is_name_char(line[pos], pos == name_start)) ++pos;
        if (pos == name_start) throw fail("bad label name");
        std::string label(line.substr(name_start, pos - name_start));
        if (pos + 1 >= line.size() || line[pos] != '=' || line[pos + 1] != '"')
          throw fail("expected =\" after label");
        pos += 2;
        std::string value;
        bool closed = false;
        while (pos < line.size()) {
          char c = line[pos++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\') {
            if (pos >= line.size()) throw fail("dangling escape");
            char escaped = line[pos++];
            if (escaped == 'n') {
              value += '\n';
            } else if (escaped == '\\' || escaped == '"') {
              value += escaped;
            } else {
              throw fail("unknown escape");
            }
          } else {
            value += c;
          }
        }
        if (!closed) throw fail("unterminated label value");
        sample.labels[label] = std::move(value);
        while (pos < line.size() && line[pos] == ' ') ++pos;
        if (pos < line.size() && line[pos] == ',')
          ++pos;
        else if (pos >= line.size() || line[pos] != '}')
          throw fail("expected , or } after label");
      }
    }
    if (pos >= line.size() || (line[pos] != ' ' && line[pos] != '\t')) throw fail("no value");
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    size_t value_end = line.find_first_of(" \t", pos);
    if (value_end == std::string_view::npos) value_end = line.size();
    std::string value(line.substr(pos, value_end - pos));
    if (value == "+Inf" || value == "Inf") {
      sample.value = HUGE_VAL;
    } else if (value == "-Inf") {
      sample.value = -HUGE_VAL;
    } else if (value == "NaN") {
      sample.value = std::nan("");
    } else {
      char* end = nullptr;
      errno = 0;
      sample.value = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size() || errno == ERANGE)
        throw fail("bad value");
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

void write_metrics_file(const std::string& path, std::string_view text) {
  static std::atomic<uint64_t> counter{0};
  ErrorContext context;
  context.file = path;
  std::string temp = fmt::format("{}.tmp.{}.{}", path, ::getpid(), counter.fetch_add(1));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    throw Error::Io(context, fmt::format("cannot create {}: {}", temp, std::strerror(errno)));
  auto fail = [&](const char* step) {
    int saved = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    return Error::Io(context,
                     fmt::format("cannot {} metrics file: {}", step, std::strerror(saved)));
  };
  size_t offset = 0;
  while (offset < text.size()) {
    ssize_t wrote = ::write(fd, text.data() + offset, text.size() - offset);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) throw fail("write");
    offset += static_cast<size_t>(wrote);
  }
  // fsync before rename: after a crash the name points at the whole new text or the old one.
  if (::fsync(fd) != 0) throw fail("sync");
  if (::close(fd) != 0) {
    fd = -1;
    throw fail("close");
  }
  fd = -1;
  if (::rename(temp.c_str(), path.c_str()) != 0) throw fail("rename");
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);  // best effort: the rename itself is already atomic
    ::close(dir_fd);
  }
}

MetricsServer::MetricsServer(int port, MonitorMetrics initial) : metrics_(std::move(initial)) {
  ErrorContext context;
  context.target = fmt::format("127.0.0.1:{}", port);
  if (port < 0 || port > 65535)
    throw Error::InvalidInput(fmt::format("metrics port {} is out of range", port));
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0)
    throw Error::Io(context, fmt::format("cannot create socket: {}", std::strerror(errno)));
  int yes = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int pipe_fds[2];
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 16) != 0 || ::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    int saved = errno;
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw Error::Io(context, fmt::format("cannot listen for metrics: {}", std::strerror(saved)));
  }
  wake_read_fd_ = pipe_fds[0];
  wake_write_fd_ = pipe_fds[1];
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::update(MonitorMetrics metrics) {
  std::lock_guard<std::mutex> lock(mutex_);
  metrics_ = std::move(metrics);
}

void MetricsServer::stop() {
  if (thread_.joinable()) {
    char byte = 1;
    while (::write(wake_write_fd_, &byte, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
  }
  for (int* fd : {&listen_fd_, &wake_read_fd_, &wake_write_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void MetricsServer::serve() {
  // Process signals (SIGTERM to stop the monitor, …) go to other threads, never this one.
  sigset_t signals;
  sigfillset(&signals);
  for (int synchronous : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) sigdelset(&signals, synchronous);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    int connection = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (connection < 0) continue;  // the client gave up, or out of descriptors for a moment
    handle(connection);
    ::close(connection);
  }
}

void MetricsServer::handle(int connection_fd) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kConnectionLimitMs);
  std::string request;
  char buffer[2048];
  while (request.find("\r\n\r\n") == std::string::npos &&
         request.find("\n\n") == std::string::npos) {
    if (request.size() > kMaxRequestBytes) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd fds[2] = {{connection_fd, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;  // stop(): the serve loop sees the byte and ends
    if (fds[0].revents == 0) continue;
    ssize_t got = ::recv(connection_fd, buffer, sizeof buffer, 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (got <= 0) return;
    request.append(buffer, static_cast<size_t>(got));
  }

  int status = 200;
  std::string body;
  std::string extra_headers;
  size_t line_end = request.find_first_of("\r\n");
  std::string_view request_line = std::string_view(request).substr(0, line_end);
  size_t first_space = request_line.find(' ');
  size_t second_space = first_space == std::string_view::npos
                            ? std::string_view::npos
                            : request_line.find(' ', first_space + 1);
  std::string_view method = request_line.substr(0, first_space);
  std::string_view target;
  if (request.size() > kMaxRequestBytes) {
    status = 431;
  } else if (second_space == std::string_view::npos ||
             request_line.substr(second_space + 1).substr(0, 5) != "HTTP/") {
    status = 400;
  } else {
    target = request_line.substr(first_space + 1, second_space - first_space - 1);
    target = target.substr(0, target.find('?'));
    if (method != "GET" && method != "HEAD") {
      status = 405;
      extra_headers = "Allow: GET, HEAD\r\n";
    } else if (target != "/metrics") {
      status = 404;
    }
  }
  const char* reason = status == 200   ? "OK"
                       : status == 400 ? "Bad Request"
                       : status == 404 ? "Not Found"
                       : status == 405 ? "Method Not Allowed"
                                       : "Request Header Fields Too Large";
  std::string content_type = "text/plain; charset=utf-8";
  if (status == 200) {
    MonitorMetrics snapshot;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      snapshot = metrics_;
    }
    body = render_metrics(snapshot, now_epoch_ms());
    content_type = "text/plain; version=0.0.4; charset=utf-8";
  } else {
    body = fmt::format("{} {}\n", status, reason);
  }
  std::string response = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n",
      status, reason, content_type, body.size(), extra_headers);
  if (method != "HEAD") response += body;
  requests_served_.fetch_add(1);  // before sending: a client that has its answer sees it counted
  send_all(connection_fd, response, deadline, wake_read_fd_);
}

}  // namespace idemload::monitor
