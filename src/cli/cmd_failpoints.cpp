// idemload failpoints: the named fault-injection points and how to switch them on.
#include <iostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "core/failpoint.h"
#include <nlohmann/json.hpp>

namespace idemload::cli {
namespace {

const Registration kRegistration(90, [](CLI::App& app, Globals& globals, int& exit_code) {
  auto* cmd = app.add_subcommand("failpoints", "List the fault-injection points (IDEMLOAD_FAILPOINTS)");
  cmd->add_flag("--json", globals.json, "Print JSON");
  cmd->callback([&globals, &exit_code] {
    auto points = failpoints::list();
    if (globals.json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& point : points) out.push_back({{"name", point.name}, {"fires_when", point.doc}});
      std::cout << out.dump() << "\n";
    } else {
      std::cout << "IDEMLOAD_FAILPOINTS=\"NAME=ACTION[@N][;…]\"  ACTION: kill | error | sleep:MS | exit:CODE;\n"
                   "@N fires on the Nth hit (default 1), @N+ on the Nth and later.\n\n";
      for (const auto& point : points) std::cout << fmt::format("  {:<22} {}\n", point.name, point.doc);
    }
    exit_code = kExitOk;
  });
});

}  // namespace
}  // namespace idemload::cli
