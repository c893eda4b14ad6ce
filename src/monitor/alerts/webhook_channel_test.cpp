// WebhookChannel against a real HTTP receiver on 127.0.0.1 (a small server in this file, one
// thread, answering each request with a scripted status).
#include "monitor/alerts/webhook_channel.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"

namespace idemload::monitor {
namespace {

struct ReceivedRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Answers request n with statuses[n] (the last one repeats); with `answer` false it reads
// requests and never answers (a hung receiver).
class HttpReceiver {
 public:
  explicit HttpReceiver(std::vector<int> statuses, bool answer = true)
      : statuses_(std::move(statuses)), answer_(answer) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 8) != 0 || ::pipe(wake_) != 0) {
      throw std::runtime_error("test receiver cannot listen");
    }
    socklen_t length = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~HttpReceiver() {
    char byte = 1;
    if (::write(wake_[1], &byte, 1) != 1) std::abort();
    thread_.join();
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<ReceivedRequest> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  // Waits for `fd` to be readable; false when the receiver is stopping.
  bool wait_readable(int fd) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    while (::poll(fds, 2, -1) < 0) {
    }
    return fds[1].revents == 0;
  }
  void serve() {
    while (wait_readable(listen_fd_)) {
      int connection = ::accept(listen_fd_, nullptr, nullptr);
      if (connection < 0) continue;
      handle(connection);
      ::close(connection);
    }
  }
  void handle(int connection) {
    std::string data;
    char buffer[4096];
    size_t header_end = std::string::npos;
    size_t content_length = 0;
    while (true) {
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          ReceivedRequest request = parse_head(data.substr(0, header_end));
          auto found = request.headers.find("content-length");
          content_length = found == request.headers.end() ? 0 : std::stoul(found->second);
        }
      }
      if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
      if (!wait_readable(connection)) return;
      ssize_t got = ::recv(connection, buffer, sizeof buffer, 0);
      if (got <= 0) return;
      data.append(buffer, static_cast<size_t>(got));
    }
    ReceivedRequest request = parse_head(data.substr(0, header_end));
    request.body = data.substr(header_end + 4, content_length);
    int status = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      status = statuses_[std::min(requests_.size(), statuses_.size() - 1)];
      requests_.push_back(request);
    }
    if (!answer_) {
      wait_readable(connection);  // until the client gives up or the test ends
      return;
    }
    std::string body = status == 200 ? "ok" : "scripted failure";
    std::string response = "HTTP/1.1 " + std::to_string(status) +
                           " X\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\nConnection: close\r\n\r\n" + body;
    ::send(connection, response.data(), response.size(), MSG_NOSIGNAL);
  }
  static ReceivedRequest parse_head(const std::string& head) {
    ReceivedRequest request;
    size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    size_t space = request_line.find(' ');
    request.method = request_line.substr(0, space);
    request.path = request_line.substr(space + 1, request_line.rfind(' ') - space - 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        size_t value = line.find_first_not_of(' ', colon + 1);
        request.headers[name] = value == std::string::npos ? "" : line.substr(value);
      }
      pos = end + 2;
    }
    return request;
  }

  std::vector<int> statuses_;
  bool answer_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  int port_ = 0;
  std::mutex mutex_;
  std::vector<ReceivedRequest> requests_;
  std::thread thread_;
};

// A port on which nothing listens (bound, then closed).
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

Alert sample_alert() {
  Alert alert;
  alert.key = "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000:abandoned";
  alert.kind = "abandoned";
  alert.job_id = "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000";
  alert.table = "edgar";
  alert.batch = "2017-06-30";
  alert.state = "abandoned";
  alert.error = "no heartbeat for 94 s; last error: \"disk full\"\nsecond line";
  alert.host = "etl-1";
  alert.occurred_at_ms = 1498780800123;
  alert.text =
      "idemload: job 0190aaaa loading edgar batch 2017-06-30 was abandoned (no heartbeat for 94 s)";
  return alert;
}

ChannelOptions fast_options() {
  ChannelOptions options;
  options.timeout_ms = 5000;
  options.retries = 2;
  options.retry_backoff_ms = 10;
  return options;
}

TEST(WebhookChannel, PostsAlertJsonWithTextField) {
  HttpReceiver receiver({200});
  WebhookChannel channel(receiver.url("/hooks/T000/B000/secret-token?x=1"), fast_options());
  channel.deliver(sample_alert());

  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/hooks/T000/B000/secret-token?x=1");
  EXPECT_EQ(requests[0].headers["content-type"], "application/json");
  auto body = nlohmann::json::parse(requests[0].body);
  Alert expected = sample_alert();
  EXPECT_EQ(body["text"], expected.text);
  EXPECT_EQ(body["key"], expected.key);
  EXPECT_EQ(body["kind"], "abandoned");
  EXPECT_EQ(body["job_id"], expected.job_id);
  EXPECT_EQ(body["table"], "edgar");
  EXPECT_EQ(body["batch"], "2017-06-30");
  EXPECT_EQ(body["error"], expected.error);  // quotes and newline survive the JSON round trip
  EXPECT_EQ(body["occurred_at_ms"], 1498780800123);
  EXPECT_EQ(body["occurred_at"], "2017-06-30T00:00:00.123Z");
  EXPECT_EQ(Alert::from_json(body).to_json(), body);
}

TEST(WebhookChannel, RetriesAfterServerErrorAndDeliversOnce) {
  HttpReceiver receiver({500, 200});
  WebhookChannel channel(receiver.url("/hook"), fast_options());
  channel.deliver(sample_alert());
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);  // the failed attempt, then the one that delivered
  EXPECT_EQ(requests[0].body, requests[1].body);
}

TEST(WebhookChannel, GivesUpAfterRetriesOnPersistentServerError) {
  HttpReceiver receiver({503});
  ChannelOptions options = fast_options();
  options.retries = 1;
  WebhookChannel channel(receiver.url("/hook"), options);
  try {
    channel.deliver(sample_alert());
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kTargetUnavailable);
    EXPECT_NE(std::string(error.what()).find("2 attempts"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("HTTP 503"), std::string::npos) << error.what();
  }
  EXPECT_EQ(receiver.requests().size(), 2u);
}

TEST(WebhookChannel, ClientErrorIsNotRetried) {
  HttpReceiver receiver({404, 200});
  WebhookChannel channel(receiver.url("/hook"), fast_options());
  try {
    channel.deliver(sample_alert());
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(error.what()).find("HTTP 404: scripted failure"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(receiver.requests().size(), 1u);
}

TEST(WebhookChannel, ReceiverDownThrowsWithoutLeakingSecrets) {
  int port = closed_port();
  std::string url =
      "http://hookuser:s3cr3t-pass@127.0.0.1:" + std::to_string(port) + "/services/T1/B2/tok3n";
  WebhookChannel channel(url, fast_options());
  EXPECT_EQ(channel.describe(), "webhook http://127.0.0.1:" + std::to_string(port) + "/***");
  try {
    channel.deliver(sample_alert());
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_EQ(error.kind(), ErrorKind::kTargetUnavailable);
    EXPECT_NE(message.find("3 attempts"), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cr3t-pass"), std::string::npos) << message;
    EXPECT_EQ(message.find("tok3n"), std::string::npos) << message;
  }
}

TEST(WebhookChannel, HungReceiverTimesOut) {
  HttpReceiver receiver({200}, /*answer=*/false);
  ChannelOptions options = fast_options();
  options.timeout_ms = 300;
  options.retries = 0;
  WebhookChannel channel(receiver.url("/hook"), options);
  try {
    channel.deliver(sample_alert());
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kTargetUnavailable);
    EXPECT_NE(std::string(error.what()).find("timed out"), std::string::npos) << error.what();
  }
}

TEST(WebhookChannel, RejectsNonHttpUrls) {
  for (const char* url :
       {"ftp://example.org/x", "file:///etc/passwd", "example.org/hook", "http:///nohost"}) {
    try {
      WebhookChannel channel(url, fast_options());
      FAIL() << url << " should be rejected";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput) << url;
    }
  }
}

}  // namespace
}  // namespace idemload::monitor
