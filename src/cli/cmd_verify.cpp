// idemload verify: compares a source and a target table exactly (missing, extra, duplicate keys).
#include <iostream>

#include "cli/options.h"
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "jobs/verify.h"

namespace idemload::cli {
namespace {

struct VerifyFlags {
  std::vector<std::string> sources;
  std::string target;
  std::string table;
  std::string key;
  std::string batch;
  std::string scope_where;
  bool keys_only = false;
  std::vector<std::string> types;
};

int run(const VerifyFlags& flags, const Globals& globals) {
  auto paths = formats::expand_sources(flags.sources);
  formats::SourceOptions options;
  options.column_types = parse_column_types(flags.types);
  auto target = targets::open_target(flags.target);
  auto schema = target->table_schema(flags.table);
  if (!schema) throw Error::InvalidInput(fmt::format("table {} does not exist in {}", flags.table, target->display_url()));
  targets::Scope scope = !flags.scope_where.empty() ? targets::Scope::where(flags.scope_where)
                         : (!flags.batch.empty() && schema->index_of(targets::kLineageColumn))
                             ? targets::Scope::lineage(flags.batch)
                             : targets::Scope::all();
  auto result = jobs::verify(paths, options, *target, flags.table, split_list(flags.key), scope, !flags.keys_only);
  if (globals.json) {
    auto doc = result.to_json();
    doc["scope"] = scope.describe();
    std::cout << doc.dump() << "\n";
  } else {
    std::cout << result.summary() << "\n";
  }
  return result.ok() ? kExitOk : kExitFailed;
}

const Registration kRegistration(30, [](CLI::App& app, Globals& globals, int& exit_code) {
  auto flags = std::make_shared<VerifyFlags>();
  auto* cmd = app.add_subcommand("verify", "Compare source files and a table exactly; exit 0 only when they agree");
  cmd->add_option("sources", flags->sources, "Source files or globs")->required();
  add_target_option(*cmd, flags->target);
  cmd->add_option("--table", flags->table, "Target table")->required();
  cmd->add_option("--key,-k", flags->key, "Key columns, comma-separated")->required();
  cmd->add_option("--batch,-b", flags->batch, "Compare only this batch's rows (_batch column)");
  cmd->add_option("--scope-where", flags->scope_where, "Compare only rows matching this SQL predicate");
  cmd->add_flag("--keys-only", flags->keys_only, "Compare keys only, not the other values");
  cmd->add_option("--type", flags->types, "Column type override, COLUMN=TYPE (as given to load)");
  cmd->add_flag("--json", globals.json, "Print JSON");
  cmd->callback([flags, &globals, &exit_code] { exit_code = run(*flags, globals); });
});

}  // namespace
}  // namespace idemload::cli
