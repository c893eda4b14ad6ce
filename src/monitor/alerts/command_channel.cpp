#include "monitor/alerts/command_channel.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "targets/target.h"

extern char** environ;

namespace idemload::monitor {

namespace {

constexpr size_t kStderrTailBytes = 1000;  // quoted in the error message
constexpr int kPollSliceMs = 50;           // how often the child's exit is checked while it runs
// Linux refuses to exec with one environment string over 128 KiB (MAX_ARG_STRLEN): longer
// values are cut here; stdin always carries the whole alert.
constexpr size_t kMaxEnvValueBytes = 32 * 1024;

// Closes a file descriptor once; -1 means closed.
void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// The last `limit` bytes of `text`, starting on a UTF-8 boundary, trailing blank lines cut.
std::string tail(const std::string& text, size_t limit) {
  size_t start = text.size() > limit ? text.size() - limit : 0;
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  std::string out = text.substr(start);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' '))
    out.pop_back();
  return (start > 0 ? "…" : "") + out;
}

// `value` cut to kMaxEnvValueBytes on a UTF-8 boundary, with "…" when cut.
std::string env_value(const std::string& value) {
  if (value.size() <= kMaxEnvValueBytes) return value;
  size_t end = kMaxEnvValueBytes;
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
  return value.substr(0, end) + "…";
}

// Writes what the pipe takes now. SIGPIPE is blocked for this thread while writing so that a
// command that does not read its stdin cannot kill the monitor; a pending one is consumed.
// Returns false once the reader is gone.
bool write_some(int fd, const std::string& data, size_t& offset) {
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  bool open = true;
  while (offset < data.size()) {
    ssize_t wrote = ::write(fd, data.data() + offset, data.size() - offset);
    if (wrote > 0) {
      offset += static_cast<size_t>(wrote);
      continue;
    }
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0 && errno == EPIPE) {
      timespec zero{};
      while (sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
      }
      open = false;
    }
    break;  // EAGAIN: the pipe is full; poll again
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  return open;
}

}  // namespace

CommandChannel::CommandChannel(std::string command_line, const ChannelOptions& options)
    : command_line_(std::move(command_line)), options_(options) {
  size_t start = 0;
  while (start < command_line_.size()) {
    size_t end = command_line_.find_first_of(" \t", start);
    if (end == std::string::npos) end = command_line_.size();
    if (end > start) argv_.push_back(command_line_.substr(start, end - start));
    start = end + 1;
  }
  if (argv_.empty()) throw Error::InvalidInput("command alert needs a program to run");
}

std::string CommandChannel::describe() const {
  if (options_.allow_shell) return "command (shell) " + targets::redact_url(command_line_);
  std::string out = "command";
  for (const auto& arg : argv_) out += " " + targets::redact_url(arg);
  return out;
}

void CommandChannel::deliver(const Alert& alert) {
  const std::string input = alert.to_json().dump() + "\n";
  const std::string shown = argv_.front();
  ErrorContext context;
  context.job_id = alert.job_id;

  // Environment: ours minus any IDEMLOAD_ALERT_* we inherited, plus the alert's fields.
  // Values go in as they are (quotes, $(…), newlines): no shell ever reads them here.
  std::vector<std::string> env_strings;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "IDEMLOAD_ALERT_", 15) != 0) env_strings.emplace_back(*entry);
  }
  std::string summary = alert.summary();
  const std::pair<const char*, const std::string*> fields[] = {
      {"KEY", &alert.key},     {"KIND", &alert.kind},   {"JOB_ID", &alert.job_id},
      {"TABLE", &alert.table}, {"BATCH", &alert.batch}, {"STATE", &alert.state},
      {"ERROR", &alert.error}, {"HOST", &alert.host},   {"TEXT", &summary}};
  for (const auto& [name, value] : fields)
    env_strings.push_back(fmt::format("IDEMLOAD_ALERT_{}={}", name, env_value(*value)));
  env_strings.push_back(fmt::format("IDEMLOAD_ALERT_OCCURRED_AT_MS={}", alert.occurred_at_ms));
  std::vector<char*> envp;
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);

  std::vector<std::string> args =
      options_.allow_shell ? std::vector<std::string>{"/bin/sh", "-c", command_line_} : argv_;
  std::vector<char*> argp;
  for (auto& arg : args) argp.push_back(arg.data());
  argp.push_back(nullptr);

  int stdin_pipe[2] = {-1, -1};
  int stderr_pipe[2] = {-1, -1};
  if (::pipe2(stdin_pipe, O_CLOEXEC) != 0 || ::pipe2(stderr_pipe, O_CLOEXEC) != 0) {
    int saved = errno;
    for (int* fd : {&stdin_pipe[0], &stdin_pipe[1], &stderr_pipe[0], &stderr_pipe[1]})
      close_fd(*fd);
    throw Error::Io(
        context, fmt::format("command {}: cannot create pipes: {}", shown, std::strerror(saved)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_pipe[0], 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, stderr_pipe[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group (a timeout kills the whole group), no blocked signals, and default
  // handlers for the signals a daemon may have set to ignore.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t no_signals, default_signals;
  sigemptyset(&no_signals);
  sigemptyset(&default_signals);
  for (int signal_number : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD})
    sigaddset(&default_signals, signal_number);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = args.front().find('/') != std::string::npos
               ? ::posix_spawn(&pid, argp[0], &actions, &attr, argp.data(), envp.data())
               : ::posix_spawnp(&pid, argp[0], &actions, &attr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close_fd(stdin_pipe[0]);
  close_fd(stderr_pipe[1]);
  int stdin_fd = stdin_pipe[1];
  int stderr_fd = stderr_pipe[0];
  if (rc != 0) {
    close_fd(stdin_fd);
    close_fd(stderr_fd);
    throw Error::Io(context,
                    fmt::format("command {}: cannot start it: {}", shown, std::strerror(rc)));
  }
  ::fcntl(stdin_fd, F_SETFL, ::fcntl(stdin_fd, F_GETFL) | O_NONBLOCK);
  ::fcntl(stderr_fd, F_SETFL, ::fcntl(stderr_fd, F_GETFL) | O_NONBLOCK);

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  size_t written = 0;
  std::string errors;
  int status = 0;
  bool exited = false;
  bool timed_out = false;
  char buffer[4096];
  auto drain_stderr = [&]() {
    while (stderr_fd >= 0) {
      ssize_t got = ::read(stderr_fd, buffer, sizeof buffer);
      if (got > 0) {
        errors.append(buffer, static_cast<size_t>(got));
        if (errors.size() > 4 * kStderrTailBytes)
          errors.erase(0, errors.size() - 2 * kStderrTailBytes);
        continue;
      }
      if (got < 0 && errno == EINTR) continue;
      if (got == 0) close_fd(stderr_fd);
      break;  // EOF or EAGAIN
    }
  };
  while (true) {
    if (stdin_fd >= 0) {
      bool reader_open = written < input.size() && write_some(stdin_fd, input, written);
      if (!reader_open || written == input.size()) close_fd(stdin_fd);  // all sent, or not read
    }
    drain_stderr();
    pid_t waited = ::waitpid(pid, &status, WNOHANG);
    if (waited == pid) {
      exited = true;
      break;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    // Sleep until there is output or room in the pipe, at most one slice (to see the exit of
    // a command whose descendants keep stderr open).
    pollfd fds[2];
    nfds_t count = 0;
    if (stdin_fd >= 0) fds[count++] = {stdin_fd, POLLOUT, 0};
    if (stderr_fd >= 0) fds[count++] = {stderr_fd, POLLIN, 0};
    auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    int wait_ms = static_cast<int>(std::min<int64_t>(left_ms + 1, kPollSliceMs));
    if (count > 0) {
      ::poll(fds, count, wait_ms);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    }
  }
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  drain_stderr();
  close_fd(stdin_fd);
  close_fd(stderr_fd);

  std::string stderr_tail = tail(errors, kStderrTailBytes);
  std::string suffix = stderr_tail.empty() ? "" : "; stderr: " + stderr_tail;
  if (timed_out) {
    throw Error::Io(context, fmt::format("command {} timed out after {} ms and was killed{}", shown,
                                         options_.timeout_ms, suffix));
  }
  if (exited && WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  if (WIFSIGNALED(status)) {
    throw Error::Io(context, fmt::format("command {} was killed by signal {} ({}){}", shown,
                                         WTERMSIG(status), strsignal(WTERMSIG(status)), suffix));
  }
  throw Error::Io(context, fmt::format("command {} exited with status {}{}", shown,
                                       WEXITSTATUS(status), suffix));
}

}  // namespace idemload::monitor
