#include "eval/report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "core/error.h"

namespace idemload::eval {
namespace {

bool idempotent(const std::string& strategy) { return strategy != "append"; }

// Faults whose cells inject something (the baseline and the f(f(x)) property do not).
bool injects(const std::string& fault) { return fault != "none" && fault != "rerun_3x"; }

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string md_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::vector<std::string> ordered(const std::vector<CellResult>& cells, bool by_strategy) {
  std::vector<std::string> names;
  for (const auto& cell : cells) {
    const std::string& name = by_strategy ? cell.strategy : cell.fault;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

const Summary* find_summary(const std::vector<Summary>& summaries, const std::string& strategy, const std::string& fault) {
  for (const auto& summary : summaries) {
    if (summary.strategy == strategy && summary.fault == fault) return &summary;
  }
  return nullptr;
}

// "4/4" when the invariant held in every cell; "✗ 0/4 (+1234 dup)" otherwise.
std::string holds_text(const Summary& summary) {
  std::string text = fmt::format("{}/{}", summary.holds, summary.cells);
  if (summary.holds == summary.cells) return "✓ " + text;
  std::string why;
  if (summary.duplicates > 0) why += fmt::format("{} dup", summary.duplicates);
  if (summary.lost > 0) why += fmt::format("{}{} lost", why.empty() ? "" : ", ", summary.lost);
  return "✗ " + text + (why.empty() ? "" : " (" + why + ")");
}

std::string ratio_text(double ratio) { return ratio > 0 ? fmt::format("{:.2f}×", ratio) : "–"; }

std::string fired_text(const Summary& summary) {
  if (!injects(summary.fault)) return "–";
  return fmt::format("{}/{} fired, {}/{} detected", summary.fired, summary.cells, summary.detected, summary.fired);
}

std::vector<const CellResult*> findings(const std::vector<CellResult>& cells) {
  std::vector<const CellResult*> out;
  for (const auto& cell : cells) {
    if (is_finding(cell)) out.push_back(&cell);
  }
  return out;
}

std::string header_line(const ReportMeta& meta, size_t cell_count) {
  std::string seeds;
  for (auto seed : meta.seeds) seeds += (seeds.empty() ? "" : ",") + std::to_string(seed);
  return fmt::format("target {}, {} staging rows per seed, seeds {}, {} cells, {:.1f} s", meta.target, meta.rows, seeds,
                     cell_count, meta.seconds);
}

// A grouped bar chart: one group per fault, one bar per strategy, height = rows written by all
// attempts relative to a clean load of the same strategy.
std::string svg_chart(const std::vector<CellResult>& cells, const std::vector<Summary>& summaries) {
  std::vector<std::string> strategies = ordered(cells, true);
  std::vector<std::string> faults;
  for (const auto& fault : ordered(cells, false)) {
    if (injects(fault)) faults.push_back(fault);
  }
  static const char* kColors[] = {"#c0392b", "#2471a3", "#7d3c98", "#229954", "#d68910"};
  double max_ratio = 1.0;
  for (const auto& summary : summaries) {
    if (injects(summary.fault)) max_ratio = std::max(max_ratio, summary.rows_vs_clean);
  }
  max_ratio = std::ceil(max_ratio * 2) / 2;  // a round top
  const int bar = 12, gap = 18, left = 60, top = 30, height = 260, bottom = 130;
  const int group = static_cast<int>(strategies.size()) * bar + gap;
  const int width = left + static_cast<int>(faults.size()) * group + 20;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n",
      width, top + height + bottom + 20 * static_cast<int>(strategies.size()), width,
      top + height + bottom + 20 * static_cast<int>(strategies.size()));
  svg += fmt::format("<text x=\"{}\" y=\"16\" font-size=\"13\">Rows written by all attempts (fault + recovery), "
                     "relative to a clean load of the same strategy</text>\n", left);
  auto y_of = [&](double value) { return top + height - static_cast<int>(value / max_ratio * height); };
  for (double tick = 0; tick <= max_ratio + 1e-9; tick += max_ratio > 4 ? 1.0 : 0.5) {
    svg += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n", left, width - 10, y_of(tick),
                       y_of(tick), tick == 1.0 ? "#555" : "#ddd");
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.1f}×</text>\n", left - 4, y_of(tick) + 4, tick);
  }
  for (size_t fault_idx = 0; fault_idx < faults.size(); ++fault_idx) {
    const int x0 = left + static_cast<int>(fault_idx) * group + gap / 2;
    for (size_t strategy_idx = 0; strategy_idx < strategies.size(); ++strategy_idx) {
      const Summary* summary = find_summary(summaries, strategies[strategy_idx], faults[fault_idx]);
      if (summary == nullptr || summary->rows_vs_clean <= 0) continue;
      const int x = x0 + static_cast<int>(strategy_idx) * bar;
      const int y = y_of(summary->rows_vs_clean);
      svg += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} / {}: {:.2f}× rows, {:.2f}× time, "
          "holds {}/{}</title></rect>\n",
          x, y, bar - 2, top + height - y, kColors[strategy_idx % 5], html_escape(summary->strategy),
          html_escape(summary->fault), summary->rows_vs_clean, summary->time_vs_clean, summary->holds, summary->cells);
      if (summary->holds < summary->cells && idempotent(summary->strategy)) {
        svg += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#c0392b\">!</text>\n", x + 2, y - 2);
      }
    }
    const int label_x = x0 + group / 2 - gap / 2;
    svg += fmt::format("<text transform=\"translate({},{}) rotate(-45)\" text-anchor=\"end\">{}</text>\n", label_x,
                       top + height + 12, html_escape(faults[fault_idx]));
  }
  for (size_t strategy_idx = 0; strategy_idx < strategies.size(); ++strategy_idx) {
    const int y = top + height + bottom + 20 * static_cast<int>(strategy_idx);
    svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>", left, y - 10,
                       kColors[strategy_idx % 5]);
    svg += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", left + 18, y, html_escape(strategies[strategy_idx]));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace

bool is_finding(const CellResult& cell) {
  if (idempotent(cell.strategy) && !cell.holds) return true;
  return injects(cell.fault) && cell.fired && !cell.detected;
}

std::vector<Summary> summarize(const std::vector<CellResult>& cells) {
  std::vector<Summary> out;
  for (const auto& strategy : ordered(cells, true)) {
    for (const auto& fault : ordered(cells, false)) {
      Summary summary;
      summary.strategy = strategy;
      summary.fault = fault;
      for (const auto& cell : cells) {
        if (cell.strategy != strategy || cell.fault != fault) continue;
        ++summary.cells;
        summary.holds += cell.holds ? 1 : 0;
        summary.fired += cell.fired ? 1 : 0;
        summary.detected += cell.fired && cell.detected ? 1 : 0;
        summary.duplicates += cell.duplicates;
        summary.lost += cell.lost;
        summary.rows_written += static_cast<double>(cell.rows_written);
        summary.seconds += cell.seconds;
        summary.peak_rss_kb = std::max(summary.peak_rss_kb, cell.peak_rss_kb);
      }
      if (summary.cells == 0) continue;
      summary.rows_written /= static_cast<double>(summary.cells);
      summary.seconds /= static_cast<double>(summary.cells);
      out.push_back(summary);
    }
  }
  for (auto& summary : out) {
    const Summary* clean = find_summary(out, summary.strategy, "none");
    if (clean != nullptr && clean->rows_written > 0) summary.rows_vs_clean = summary.rows_written / clean->rows_written;
    if (clean != nullptr && clean->seconds > 0) summary.time_vs_clean = summary.seconds / clean->seconds;
  }
  return out;
}

nlohmann::json report_json(const std::vector<CellResult>& cells, const ReportMeta& meta) {
  nlohmann::json out;
  out["target"] = meta.target;
  out["rows"] = meta.rows;
  out["seeds"] = meta.seeds;
  out["command"] = meta.command;
  out["seconds"] = meta.seconds;
  out["cells"] = nlohmann::json::array();
  for (const auto& cell : cells) out["cells"].push_back(cell.to_json());
  out["summary"] = nlohmann::json::array();
  for (const auto& summary : summarize(cells)) {
    out["summary"].push_back({{"strategy", summary.strategy},
                              {"fault", summary.fault},
                              {"cells", summary.cells},
                              {"holds", summary.holds},
                              {"fired", summary.fired},
                              {"detected", summary.detected},
                              {"duplicates", summary.duplicates},
                              {"lost", summary.lost},
                              {"rows_written", summary.rows_written},
                              {"rows_vs_clean", summary.rows_vs_clean},
                              {"seconds", summary.seconds},
                              {"time_vs_clean", summary.time_vs_clean},
                              {"peak_rss_kb", summary.peak_rss_kb}});
  }
  int64_t finding_count = static_cast<int64_t>(findings(cells).size());
  out["findings"] = finding_count;
  out["ok"] = finding_count == 0;
  return out;
}

std::string report_markdown(const std::vector<CellResult>& cells, const ReportMeta& meta) {
  const auto summaries = summarize(cells);
  const auto strategies = ordered(cells, true);
  const auto faults = ordered(cells, false);
  std::string md = "# idemload evaluate\n\n" + header_line(meta, cells.size()) + "\n\n";
  if (!meta.command.empty()) md += "Reproduce: `" + meta.command + "`\n\n";
  md += "## Does the invariant hold? (cells where scope == distinct source rows exactly, other batch untouched)\n\n";
  md += "| fault |";
  for (const auto& strategy : strategies) md += " " + strategy + " |";
  md += "\n|---|";
  for (size_t idx = 0; idx < strategies.size(); ++idx) md += "---|";
  md += "\n";
  for (const auto& fault : faults) {
    md += "| " + fault + " |";
    for (const auto& strategy : strategies) {
      const Summary* summary = find_summary(summaries, strategy, fault);
      md += " " + (summary ? holds_text(*summary) : std::string("–")) + " |";
    }
    md += "\n";
  }
  md += "\n## Cost of recovery: rows written by all attempts, relative to a clean load of the same strategy\n\n";
  md += "| fault |";
  for (const auto& strategy : strategies) md += " " + strategy + " |";
  md += "\n|---|";
  for (size_t idx = 0; idx < strategies.size(); ++idx) md += "---|";
  md += "\n";
  for (const auto& fault : faults) {
    md += "| " + fault + " |";
    for (const auto& strategy : strategies) {
      const Summary* summary = find_summary(summaries, strategy, fault);
      md += " " + (summary ? ratio_text(summary->rows_vs_clean) : std::string("–")) + " |";
    }
    md += "\n";
  }
  md += "\n## Cost and detection per strategy and fault\n\n";
  md += "Rows written and wall time are over every attempt (the faulty one and the recovery), as a mean over seeds "
        "and recoveries; × clean is relative to a clean load of the same strategy.\n\n";
  md += "| strategy | fault | holds | duplicates | lost | rows written | × clean | wall s | × clean | peak MiB | fault |\n";
  md += "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& summary : summaries) {
    md += fmt::format("| {} | {} | {} | {} | {} | {:.0f} | {} | {:.2f} | {} | {:.1f} | {} |\n", summary.strategy,
                      summary.fault, holds_text(summary), summary.duplicates, summary.lost, summary.rows_written,
                      ratio_text(summary.rows_vs_clean), summary.seconds, ratio_text(summary.time_vs_clean),
                      static_cast<double>(summary.peak_rss_kb) / 1024.0, fired_text(summary));
  }
  auto found = findings(cells);
  md += "\n## Findings\n\n";
  if (found.empty()) {
    md += "None: every idempotent strategy kept the invariant in every cell, and every fault that fired was detected.\n";
  }
  for (const auto* cell : found) {
    md += fmt::format("- **{} / {} / seed {} / {}**: {}; injection: {}; {} rows in scope for {} distinct source rows, "
                      "{} duplicates, {} lost, {} different, other batch {}; {}\n",
                      cell->strategy, cell->fault, cell->seed, cell->recovery,
                      !cell->holds ? "invariant broken" : "fault not detected", md_escape(cell->injection),
                      cell->target_rows, cell->source_distinct, cell->duplicates, cell->lost, cell->different,
                      cell->outside_unchanged ? "unchanged" : "CHANGED", md_escape(cell->note));
  }
  md += "\n## Cells\n\n| strategy | fault | seed | recovery | injection | fired | detected by | holds | dup | lost | "
        "rows written | s | note |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& cell : cells) {
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2f} | {} |\n", cell.strategy, cell.fault,
                      cell.seed, cell.recovery, md_escape(cell.injection), cell.fired ? "yes" : "no",
                      md_escape(cell.detected_by), cell.holds ? "yes" : "**no**", cell.duplicates, cell.lost,
                      cell.rows_written, cell.seconds, md_escape(cell.note));
  }
  return md;
}

std::string report_html(const std::vector<CellResult>& cells, const ReportMeta& meta) {
  const auto summaries = summarize(cells);
  const auto strategies = ordered(cells, true);
  const auto faults = ordered(cells, false);
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>idemload evaluate</title>\n"
      "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
      "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
      ".ok{background:#e8f6ec}.bad{background:#fbe3e1}.ctl{background:#f4f4f4}code{background:#f4f4f4}</style>\n"
      "</head><body>\n<h1>idemload evaluate</h1>\n";
  html += "<p>" + html_escape(header_line(meta, cells.size())) + "</p>\n";
  if (!meta.command.empty()) html += "<p>Reproduce: <code>" + html_escape(meta.command) + "</code></p>\n";
  html += "<h2>Does the invariant hold?</h2>\n<table><tr><th>fault</th>";
  for (const auto& strategy : strategies) html += "<th>" + html_escape(strategy) + "</th>";
  html += "</tr>\n";
  for (const auto& fault : faults) {
    html += "<tr><td>" + html_escape(fault) + "</td>";
    for (const auto& strategy : strategies) {
      const Summary* summary = find_summary(summaries, strategy, fault);
      if (summary == nullptr) {
        html += "<td>–</td>";
        continue;
      }
      const char* css = summary->holds == summary->cells ? "ok" : idempotent(strategy) ? "bad" : "ctl";
      html += fmt::format("<td class=\"{}\">{}</td>", css, html_escape(holds_text(*summary)));
    }
    html += "</tr>\n";
  }
  html += "</table>\n<h2>Cost of recovery</h2>\n" + svg_chart(cells, summaries);
  html += "<table><tr><th>strategy</th><th>fault</th><th>holds</th><th>duplicates</th><th>lost</th><th>rows written</th>"
          "<th>× clean</th><th>wall s</th><th>× clean</th><th>peak MiB</th><th>fault</th></tr>\n";
  for (const auto& summary : summaries) {
    html += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0f}</td><td>{}</td><td>{:.2f}</td><td>{}</td>"
        "<td>{:.1f}</td><td>{}</td></tr>\n",
        html_escape(summary.strategy), html_escape(summary.fault), html_escape(holds_text(summary)), summary.duplicates,
        summary.lost, summary.rows_written, ratio_text(summary.rows_vs_clean), summary.seconds,
        ratio_text(summary.time_vs_clean), static_cast<double>(summary.peak_rss_kb) / 1024.0,
        html_escape(fired_text(summary)));
  }
  html += "</table>\n<h2>Findings</h2>\n<ul>\n";
  auto found = findings(cells);
  if (found.empty()) html += "<li>None.</li>\n";
  for (const auto* cell : found) {
    html += fmt::format("<li><b>{} / {} / seed {} / {}</b>: {} duplicates, {} lost; {}</li>\n", html_escape(cell->strategy),
                        html_escape(cell->fault), cell->seed, html_escape(cell->recovery), cell->duplicates, cell->lost,
                        html_escape(cell->note));
  }
  html += "</ul>\n<h2>Cells</h2>\n<table><tr><th>strategy</th><th>fault</th><th>seed</th><th>recovery</th><th>injection</th>"
          "<th>detected by</th><th>holds</th><th>dup</th><th>lost</th><th>rows written</th><th>s</th><th>note</th></tr>\n";
  for (const auto& cell : cells) {
    html += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{:.2f}</td><td>{}</td></tr>\n",
        html_escape(cell.strategy), html_escape(cell.fault), cell.seed, html_escape(cell.recovery),
        html_escape(cell.injection), html_escape(cell.fired ? cell.detected_by : "(did not fire)"),
        cell.holds ? "ok" : idempotent(cell.strategy) ? "bad" : "ctl", cell.holds ? "yes" : "no", cell.duplicates,
        cell.lost, cell.rows_written, cell.seconds, html_escape(cell.note));
  }
  html += "</table>\n</body></html>\n";
  return html;
}

void write_reports(const std::string& dir, const std::vector<CellResult>& cells, const ReportMeta& meta) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error::Io({.file = dir}, "cannot create the report folder: " + ec.message());
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = (fs::path(dir) / name).string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw Error::Io({.file = path}, "cannot write the report");
  };
  write("report.md", report_markdown(cells, meta));
  write("report.json", report_json(cells, meta).dump(2) + "\n");
  write("report.html", report_html(cells, meta));
}

}  // namespace idemload::eval
