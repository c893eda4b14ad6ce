// Real receivers for alert tests: an HTTP server on 127.0.0.1 (one thread, scripted answers)
// and the node SMTP server tests/node/smtp_receiver.js run as a child process.
#pragma once

#include <sys/types.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace idemload::testing {

struct ReceivedRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Listens on 127.0.0.1:`port` (0 = a free port; a given port is bound with SO_REUSEADDR, so a
// receiver can come back on the port of one that was stopped). Answers request n with
// statuses[n] (the last one repeats); with `answer` false it reads requests and never answers
// (a hung receiver). Stops listening when destroyed. Throws std::runtime_error when it cannot
// listen.
class HttpReceiver {
 public:
  explicit HttpReceiver(std::vector<int> statuses = {200}, bool answer = true, int port = 0);
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const;
  // Every request received so far (also those it did not answer).
  std::vector<ReceivedRequest> requests();

 private:
  bool wait_readable(int fd);
  void serve();
  void handle(int connection);

  std::vector<int> statuses_;
  bool answer_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  int port_ = 0;
  std::mutex mutex_;
  std::vector<ReceivedRequest> requests_;
  std::thread thread_;
};

// A port on 127.0.0.1 on which nothing listens (bound, then closed).
int closed_port();

// tests/node/smtp_receiver.js as a child process (needs node and scripts/test-node-deps.sh);
// `flags` are the script's options (--starttls, --auth USER:PASS, …). Stopped with SIGTERM
// when destroyed. Throws std::runtime_error when it does not start.
class SmtpReceiver {
 public:
  explicit SmtpReceiver(std::vector<std::string> flags = {});
  ~SmtpReceiver();
  SmtpReceiver(const SmtpReceiver&) = delete;
  SmtpReceiver& operator=(const SmtpReceiver&) = delete;

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  // Every message received so far, one JSON object each: {from, to, secure, user, raw}.
  std::vector<nlohmann::json> messages() const;

 private:
  std::string out_file() const { return dir_.file("messages.jsonl"); }
  std::string err_file() const { return dir_.file("stderr.txt"); }
  void stop();

  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace idemload::testing
