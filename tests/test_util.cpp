#include "test_util.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace idemload::testing {

std::filesystem::path fixtures_dir() {
  if (const char* dir = std::getenv("IDEMLOAD_FIXTURES")) return dir;
  return std::filesystem::path(IDEMLOAD_FIXTURES_DIR);
}

std::filesystem::path source_dir() { return std::filesystem::path(IDEMLOAD_SOURCE_DIR); }

std::string idemload_binary() { return IDEMLOAD_BINARY; }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "idemload-test.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text(*entry);
    size_t eq = text.find('=');
    if (eq != std::string::npos) merged[text.substr(0, eq)] = text.substr(eq + 1);
  }
  for (const auto& [key, value] : extra) merged[key] = value;
  std::vector<std::string> out;
  for (const auto& [key, value] : merged) out.push_back(key + "=" + value);
  return out;
}

RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  int out_pipe[2], err_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);

  std::vector<std::string> env_strings = merged_environment(env);
  std::vector<char*> envp;
  for (auto& text : env_strings) envp.push_back(text.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& arg : args) argp.push_back(arg.data());
  argp.push_back(nullptr);

  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  RunResult result;
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::runtime_error("cannot start " + argv[0]);
  }
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) break;
    for (int idx = 0; idx < 2; ++idx) {
      if (fds[idx].fd < 0 || fds[idx].revents == 0) continue;
      ssize_t got = ::read(fds[idx].fd, buffer, sizeof buffer);
      if (got <= 0) {
        ::close(fds[idx].fd);
        fds[idx].fd = -1;
        --open_fds;
      } else {
        (idx == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(got));
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  return result;
}

RunResult run_idemload(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{idemload_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, env);
}

std::string pg_url() {
  const char* url = std::getenv("IDEMLOAD_TEST_PG_URL");
  return url ? url : "";
}

std::string mysql_url() {
  const char* url = std::getenv("IDEMLOAD_TEST_MYSQL_URL");
  return url ? url : "";
}

std::string require_url(const std::string& name) {
  const char* url = std::getenv(name.c_str());
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(name +
                             " is not set: run the tests through `make test` (scripts/with-test-servers.sh "
                             "starts PostgreSQL and MariaDB) or set it to your own server");
  }
  return url;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

}  // namespace idemload::testing
