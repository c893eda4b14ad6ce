// idemload cat: prints the rows of source files (CSV or Parquet) as CSV with a header, or as
// JSON lines with --json; the way to see what a load would read, with its types and rejects.
#include <cmath>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/options.h"
#include "core/error.h"
#include "core/value_text.h"
#include "formats/csv/csv_writer.h"
#include "formats/source.h"

namespace idemload::cli {
namespace {

struct CatFlags {
  std::vector<std::string> sources;
  std::string columns;
  int64_t limit = -1;
  std::vector<std::string> types;
  bool schema_only = false;
};

nlohmann::ordered_json json_value(const Column& column, size_t row) {
  if (column.is_null(row)) return nullptr;
  switch (column.type()) {
    case Type::kBool: return column.int_at(row) != 0;
    case Type::kInt64: return column.int_at(row);
    case Type::kDouble: {
      const double value = column.double_at(row);
      if (std::isfinite(value)) return value;
      return format_double(value);
    }
    default: return value_text(column, row);
  }
}

int run(const CatFlags& flags, const Globals& globals) {
  formats::SourceOptions options;
  options.columns = split_list(flags.columns);
  options.column_types = parse_column_types(flags.types);
  int64_t rejected = 0;
  options.on_reject = [&rejected, &globals](const formats::Reject& reject) {
    ++rejected;
    if (!globals.quiet) std::cerr << fmt::format("idemload: rejected {}:{}: {}\n", reject.file, reject.line, reject.reason);
  };
  formats::MultiFileReader reader(formats::expand_sources(flags.sources), options);
  const Schema& schema = *reader.schema();
  if (flags.schema_only) {
    if (globals.json) {
      nlohmann::json fields = nlohmann::json::array();
      for (const auto& field : schema.fields()) fields.push_back({{"name", field.name}, {"type", type_name(field.type)}});
      std::cout << nlohmann::json{{"columns", fields}}.dump() << "\n";
    } else {
      for (const auto& field : schema.fields()) std::cout << field.name << " " << type_name(field.type) << "\n";
    }
    return kExitOk;
  }

  std::unique_ptr<formats::csv::CsvWriter> writer;
  if (!globals.json) writer = std::make_unique<formats::csv::CsvWriter>("-", schema);
  Batch batch;
  int64_t printed = 0;
  std::vector<uint32_t> first_rows;
  while ((flags.limit < 0 || printed < flags.limit) && reader.next(batch)) {
    const Batch* out = &batch;
    Batch head;
    if (flags.limit >= 0 && printed + static_cast<int64_t>(batch.num_rows()) > flags.limit) {
      first_rows.resize(static_cast<size_t>(flags.limit - printed));
      for (size_t row = 0; row < first_rows.size(); ++row) first_rows[row] = static_cast<uint32_t>(row);
      head = batch.take(first_rows);
      out = &head;
    }
    if (writer) {
      writer->write(*out);
    } else {
      for (size_t row = 0; row < out->num_rows(); ++row) {
        nlohmann::ordered_json object = nlohmann::ordered_json::object();
        for (size_t col = 0; col < out->num_columns(); ++col) {
          object[schema.field(col).name] = json_value(out->column(col), row);
        }
        std::cout << object.dump() << "\n";
      }
    }
    printed += static_cast<int64_t>(out->num_rows());
  }
  if (writer) writer->close();
  std::cout.flush();
  if (!globals.quiet) {
    std::cerr << fmt::format("idemload: {} rows printed, {} rejected\n", printed, rejected);
  }
  return kExitOk;
}

const Registration kRegistration(50, [](CLI::App& app, Globals& globals, int& exit_code) {
  auto flags = std::make_shared<CatFlags>();
  auto* cmd = app.add_subcommand("cat", "Print the rows of source files (CSV or Parquet) as CSV with a header");
  cmd->add_option("sources", flags->sources, "Source files or globs")->required();
  cmd->add_option("--columns,-c", flags->columns, "Only these columns, comma-separated, in this order");
  cmd->add_option("--limit,-n", flags->limit, "Print at most N rows")->check(CLI::NonNegativeNumber);
  cmd->add_option("--type", flags->types, "Column type override, COLUMN=TYPE (e.g. cik=string)");
  cmd->add_flag("--schema", flags->schema_only, "Print the columns and their types instead of the rows");
  cmd->add_flag("--json", globals.json, "Print one JSON object per row");
  cmd->add_flag("--quiet,-q", globals.quiet, "No summary or reject messages on stderr");
  cmd->callback([flags, &globals, &exit_code] { exit_code = run(*flags, globals); });
});

}  // namespace
}  // namespace idemload::cli
