#include "receivers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

extern char** environ;

namespace idemload::testing {

namespace {

ReceivedRequest parse_head(const std::string& head) {
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

}  // namespace

HttpReceiver::HttpReceiver(std::vector<int> statuses, bool answer, int port)
    : statuses_(std::move(statuses)), answer_(answer) {
  if (statuses_.empty()) statuses_.push_back(200);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int reuse = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 8) != 0 || ::pipe(wake_) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("test HTTP receiver cannot listen on port " + std::to_string(port));
  }
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

HttpReceiver::~HttpReceiver() {
  char byte = 1;
  if (::write(wake_[1], &byte, 1) != 1) std::abort();
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::string HttpReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<ReceivedRequest> HttpReceiver::requests() {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

// Waits for `fd` to be readable; false when the receiver is stopping.
bool HttpReceiver::wait_readable(int fd) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
  while (::poll(fds, 2, -1) < 0) {
  }
  return fds[1].revents == 0;
}

void HttpReceiver::serve() {
  while (wait_readable(listen_fd_)) {
    int connection = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    handle(connection);
    ::close(connection);
  }
}

void HttpReceiver::handle(int connection) {
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

SmtpReceiver::SmtpReceiver(std::vector<std::string> flags) {
  std::string script = (source_dir() / "tests/node/smtp_receiver.js").string();
  std::vector<std::string> args = {"node", script, "0", out_file()};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, err_file().c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  int rc = ::posix_spawnp(&pid_, "node", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    pid_ = -1;
    throw std::runtime_error("cannot start node (is nodejs installed?)");
  }
  // Wait for "ready PORT" (a guard against a hang, not a timing assertion).
  std::string output;
  char buffer[256];
  while (output.find('\n') == std::string::npos) {
    pollfd fd{out_pipe[0], POLLIN, 0};
    if (::poll(&fd, 1, 30000) <= 0) break;
    ssize_t got = ::read(out_pipe[0], buffer, sizeof buffer);
    if (got <= 0) break;
    output.append(buffer, static_cast<size_t>(got));
  }
  ::close(out_pipe[0]);
  if (output.rfind("ready ", 0) != 0) {
    stop();
    throw std::runtime_error("smtp_receiver.js did not start (run scripts/test-node-deps.sh?): " +
                             output + read_file(err_file()));
  }
  port_ = std::stoi(output.substr(6));
}

SmtpReceiver::~SmtpReceiver() { stop(); }

std::vector<nlohmann::json> SmtpReceiver::messages() const {
  std::vector<nlohmann::json> out;
  std::string text = read_file(out_file());
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(nlohmann::json::parse(text.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

void SmtpReceiver::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace idemload::testing
