// The idemload executable: parses flags (CLI11), runs one subcommand, maps errors to exit codes.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/error.h"
#include "core/failpoint.h"

namespace idemload::cli {

std::vector<std::pair<int, CommandSetup>>& registry() {
  static std::vector<std::pair<int, CommandSetup>> commands;
  return commands;
}

Registration::Registration(int order, CommandSetup setup) { registry().emplace_back(order, std::move(setup)); }

bool stderr_is_tty() { return ::isatty(2) == 1; }

static int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput: return kExitUsage;
    case ErrorKind::kTargetUnavailable:
    case ErrorKind::kInDoubt: return kExitTarget;
    case ErrorKind::kTargetConflict: return kExitConflict;
    case ErrorKind::kSchemaDrift: return kExitSchema;
    case ErrorKind::kCorruption:
    case ErrorKind::kIo:
    case ErrorKind::kNotSupported: return kExitSourceData;
    case ErrorKind::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

}  // namespace idemload::cli

int main(int argc, char** argv) {
  using namespace idemload;
  using namespace idemload::cli;
  CLI::App app{"idemload: batch loads that are safe to run again.\n"
               "Loads Parquet/CSV staging files into SQLite, PostgreSQL or MySQL/MariaDB so that a failed job\n"
               "can simply be re-run: every row ends up exactly once. Every job has an ID and a ledger row.",
               "idemload"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "idemload 0.1.0");
  app.set_config("--config", "", "Read options from a TOML/INI file ([load] section for `load`, …)");
  app.footer(
      "Exit codes: 0 success; 1 job failed (or verify/monitor found a problem); 2 usage error or bad input;\n"
      "3 target unavailable; 4 lock held by another job or conflict; 5 schema mismatch; 6 corrupt or\n"
      "unsupported source; 70 internal error.\n"
      "Environment: IDEMLOAD_TARGET (default --target), IDEMLOAD_FAILPOINTS (fault injection, see\n"
      "`idemload failpoints`).");
  Globals globals;
  int exit_code = kExitOk;
  auto& commands = registry();
  std::stable_sort(commands.begin(), commands.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, setup] : commands) setup(app, globals, exit_code);
  try {
    failpoints::configure_from_env();
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int rc = app.exit(error);
    return rc == 0 ? 0 : kExitUsage;
  } catch (const Error& error) {
    if (globals.json) {
      nlohmann::json doc{{"ok", false}, {"error_kind", std::string(error_kind_name(error.kind()))},
                         {"error", error.what()}};
      std::cout << doc.dump() << "\n";
    }
    std::cerr << "idemload: error: " << error.what() << "\n";
    return exit_code_for(error.kind());
  } catch (const std::exception& error) {
    std::cerr << "idemload: internal error: " << error.what() << "\n";
    return kExitInternal;
  }
  return exit_code;
}
