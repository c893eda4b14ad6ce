// idemload evaluate: strategies × injected faults × seeds, each load a child process, each cell
// recovered and checked exactly (DESIGN.md §2, §5); a progress line per cell, then report.md,
// report.json and report.html.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/options.h"
#include "core/error.h"
#include "eval/fault_matrix.h"
#include "eval/report.h"
#include "targets/target.h"

namespace idemload::cli {
namespace {

struct EvaluateFlags {
  eval::MatrixOptions matrix;
  std::string strategies;
  std::string faults;
  std::string seeds = "1,2";
  std::string report_dir = "evaluate-report";
  std::string work_dir;
};

std::string self_exe() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error::Internal("cannot find the idemload executable (/proc/self/exe): " + ec.message());
  return path.string();
}

std::vector<uint64_t> parse_seeds(const std::string& text) {
  std::vector<uint64_t> seeds;
  for (const auto& item : split_list(text)) {
    try {
      size_t used = 0;
      seeds.push_back(std::stoull(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw Error::InvalidInput(fmt::format("--seeds: '{}' is not a number", item));
    }
  }
  return seeds;
}

int run(const EvaluateFlags& flags_in, const Globals& globals) {
  EvaluateFlags flags = flags_in;
  eval::MatrixOptions& matrix = flags.matrix;
  matrix.binary = self_exe();
  if (!flags.strategies.empty()) matrix.strategies = split_list(flags.strategies);
  if (!flags.faults.empty()) matrix.faults = split_list(flags.faults);
  matrix.seeds = parse_seeds(flags.seeds);
  namespace fs = std::filesystem;
  const bool own_work_dir = flags.work_dir.empty();
  matrix.work_dir = own_work_dir ? (fs::temp_directory_path() / fmt::format("idemload-evaluate-{}", ::getpid())).string()
                                 : flags.work_dir;

  std::string command = "idemload evaluate --rows " + std::to_string(matrix.rows) + " --seeds " + flags.seeds;
  if (!flags.strategies.empty()) command += " --strategies " + flags.strategies;
  if (!flags.faults.empty()) command += " --faults " + flags.faults;
  if (!matrix.target_url.empty()) command += " --target " + targets::redact_url(matrix.target_url);

  const auto started = std::chrono::steady_clock::now();
  std::ostream& progress = globals.json ? std::cerr : std::cout;
  auto cells = eval::run_matrix(matrix, [&](const eval::CellResult& cell, size_t done, size_t total) {
    if (globals.quiet) return;
    progress << fmt::format("[{:>3}/{}] {:<13} {:<26} seed {:<3} {:<7} {:<5} {:>6} dup {:>6} lost  {:>8} rows  "
                            "{:6.2f}s  {}\n",
                            done, total, cell.strategy, cell.fault, cell.seed, cell.recovery,
                            cell.holds ? "holds" : "BROKE", cell.duplicates, cell.lost, cell.rows_written,
                            cell.seconds,
                            cell.fault == "none" || cell.fault == "rerun_3x"
                                ? ""
                                : (!cell.fired ? "did not fire" : cell.detected ? "detected" : "NOT DETECTED"))
             << std::flush;
  });
  if (own_work_dir) {
    std::error_code ignored;
    fs::remove_all(matrix.work_dir, ignored);
  }

  eval::ReportMeta meta;
  meta.target = matrix.target_url.empty() ? "sqlite (a temporary file per cell)" : targets::redact_url(matrix.target_url);
  meta.rows = matrix.rows;
  meta.seeds = matrix.seeds;
  meta.command = command;
  meta.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  eval::write_reports(flags.report_dir, cells, meta);
  auto doc = eval::report_json(cells, meta);
  if (globals.json) {
    doc["report_dir"] = fs::absolute(flags.report_dir).string();
    std::cout << doc.dump() << "\n";
  } else if (!globals.quiet) {
    std::cout << fmt::format("\n{} cells in {:.1f} s; {} finding(s). Reports: {}/report.{{md,json,html}}\n", cells.size(),
                             meta.seconds, doc["findings"].get<int64_t>(), fs::absolute(flags.report_dir).string());
  }
  return doc["ok"].get<bool>() ? kExitOk : kExitFailed;
}

const Registration kRegistration(60, [](CLI::App& app, Globals& globals, int& exit_code) {
  auto flags = std::make_shared<EvaluateFlags>();
  auto* cmd = app.add_subcommand(
      "evaluate",
      "Run strategies × injected faults × seeds (each load a child process), recover, check exactly, and report");
  cmd->add_option("--rows", flags->matrix.rows, "Staging rows generated per seed (default 20000)");
  cmd->add_option("--strategies", flags->strategies,
                  "Comma-separated subset of append,antijoin,overwrite,transactional,upsert (default all)");
  std::string fault_list;
  for (const auto& name : eval::fault_names()) fault_list += (fault_list.empty() ? "" : ",") + name;
  cmd->add_option("--faults", flags->faults, "Comma-separated subset of " + fault_list + " (default all that apply)");
  cmd->add_option("--seeds", flags->seeds, "Comma-separated seeds; where each fault fires is drawn from them (default 1,2)");
  cmd->add_option("--target,-t", flags->matrix.target_url,
                  "A database URL (postgresql://…, mysql://…) whose tables ev_* are created and dropped; default: "
                  "a temporary SQLite file per cell");
  cmd->add_option("--report", flags->report_dir, "Folder for report.md, report.json, report.html (default ./evaluate-report)");
  cmd->add_option("--chunk-rows", flags->matrix.chunk_rows, "Rows per committed chunk (default rows/8)");
  cmd->add_option("--work-dir", flags->work_dir, "Folder for staging files and SQLite databases (default a temp folder)");
  cmd->add_flag("--json", globals.json, "Print the report as JSON on stdout (progress goes to stderr)");
  cmd->add_flag("--quiet,-q", globals.quiet, "No progress lines");
  cmd->callback([flags, &globals, &exit_code] { exit_code = run(*flags, globals); });
});

}  // namespace
}  // namespace idemload::cli
