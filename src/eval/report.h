// The report of `idemload evaluate`: the matrix's cells summarised per (strategy, fault) and
// written as report.md, report.json and a self-contained report.html with an inline SVG chart.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/fault_matrix.h"

namespace idemload::eval {

// What the run was.
struct ReportMeta {
  std::string target;  // display URL, or "sqlite (a temporary file per cell)"
  int64_t rows = 0;
  std::vector<uint64_t> seeds;
  std::string command;  // the command line that reproduces the run
  double seconds = 0;
};

// One (strategy, fault) row: the cells of every seed and recovery.
struct Summary {
  std::string strategy, fault;
  int64_t cells = 0, holds = 0, fired = 0, detected = 0;
  int64_t duplicates = 0, lost = 0;
  double rows_written = 0;   // mean over cells, all attempts
  double seconds = 0;        // mean over cells, all attempts
  double rows_vs_clean = 0;  // rows_written / the clean load's (same strategy); 0 = unknown
  double time_vs_clean = 0;
  int64_t peak_rss_kb = 0;
};

// Summaries in the cells' order of strategies and faults.
std::vector<Summary> summarize(const std::vector<CellResult>& cells);

// Whether the cell is a problem the report must name: an idempotent strategy that broke the
// invariant, or a fault that fired and was not detected.
bool is_finding(const CellResult& cell);

nlohmann::json report_json(const std::vector<CellResult>& cells, const ReportMeta& meta);
std::string report_markdown(const std::vector<CellResult>& cells, const ReportMeta& meta);
std::string report_html(const std::vector<CellResult>& cells, const ReportMeta& meta);

// Writes report.md, report.json and report.html into `dir` (created). Throws Error(kIo).
void write_reports(const std::string& dir, const std::vector<CellResult>& cells, const ReportMeta& meta);

}  // namespace idemload::eval
