// Helpers shared by the test suites: fixture paths, temporary folders, running the idemload
// binary as a real child process, and the URLs of the test database servers.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"

namespace idemload::testing {

std::filesystem::path fixtures_dir();  // ../shared/fixtures (IDEMLOAD_FIXTURES overrides)
std::filesystem::path source_dir();
std::string idemload_binary();

// A fresh empty folder under /tmp, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct RunResult {
  int exit_code = -1;    // exit status, or -1 when killed by a signal
  int term_signal = 0;   // the signal that killed it, 0 if it exited
  std::string out;       // stdout
  std::string err;       // stderr
};

// This process's environment with `extra` added or replaced, as NAME=VALUE strings for exec.
std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra);

// Runs `argv` (no shell) with extra environment variables, waits for it, captures output.
RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});
// Runs the idemload binary with `args`.
RunResult run_idemload(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});

// Test database URLs from IDEMLOAD_TEST_PG_URL / IDEMLOAD_TEST_MYSQL_URL ("" when unset).
std::string pg_url();
std::string mysql_url();
// Fails the calling test with a message explaining how to start the servers, when unset.
std::string require_url(const std::string& name);

// Runs `fn`, which must throw idemload::Error, and returns the error (a test failure otherwise).
template <class Fn>
Error error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "expected an idemload::Error";
  return Error::Internal("no error thrown");
}

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& text);

}  // namespace idemload::testing
