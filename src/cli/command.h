// How subcommands join the `idemload` executable: each src/cli/cmd_NAME.cpp defines a function
// that adds its CLI11 subcommand and registers it with a static Registration, so main.cpp
// never changes when a command is added. The library does the work; a command only wires flags
// to it and prints (a human summary, or JSON with --json).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace idemload::cli {

// Flags every subcommand shares.
struct Globals {
  bool json = false;   // --json: machine-readable output on stdout
  bool quiet = false;  // --quiet: no progress, no summary (errors still go to stderr)
  std::string config;  // --config FILE (key = value lines; flags and environment override)
};

// Exit codes, documented in `idemload --help`.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;        // the job failed, or verify/monitor found problems
inline constexpr int kExitUsage = 2;         // bad flags or input (missing file, unknown column…)
inline constexpr int kExitTarget = 3;        // target unavailable
inline constexpr int kExitConflict = 4;      // another job holds the lock; constraint conflict
inline constexpr int kExitSchema = 5;        // source and table schemas disagree
inline constexpr int kExitSourceData = 6;    // corrupt or unreadable source, or not supported
inline constexpr int kExitInternal = 70;

// An added subcommand's action returns the process exit code.
using CommandSetup = std::function<void(CLI::App& app, Globals& globals, int& exit_code)>;

struct Registration {
  Registration(int order, CommandSetup setup);
};

std::vector<std::pair<int, CommandSetup>>& registry();

// Whether stderr is a terminal (progress lines are shown only then, and never with --json).
bool stderr_is_tty();

}  // namespace idemload::cli
