#include "cli/options.h"

#include <cstdio>

#include <fmt/format.h>

#include "core/error.h"
#include "core/value_text.h"

namespace idemload::cli {

CLI::Option* add_target_option(CLI::App& app, std::string& url) {
  return app
      .add_option("--target,-t", url,
                  "Target database: sqlite:PATH (or a bare path), postgresql://user@host:port/db, "
                  "mysql://user@host:port/db. Passwords may come from PGPASSWORD / the URL; they are never printed.")
      ->envname("IDEMLOAD_TARGET")
      ->required();
}

std::map<std::string, Type> parse_column_types(const std::vector<std::string>& specs) {
  std::map<std::string, Type> out;
  for (const auto& spec : specs) {
    for (const auto& part : split_list(spec)) {
      size_t eq = part.find('=');
      if (eq == std::string::npos) {
        throw Error::InvalidInput(fmt::format("--type '{}': expected COLUMN=TYPE (e.g. cik=string)", part));
      }
      auto type = parse_type(part.substr(eq + 1));
      if (!type) {
        throw Error::InvalidInput(fmt::format(
            "--type '{}': unknown type (bool, int64, double, string, binary, date, timestamp, time, decimal)", part));
      }
      out[part.substr(0, eq)] = *type;
    }
  }
  return out;
}

int64_t parse_duration_ms(const std::string& text) {
  auto ms = idemload::parse_duration_ms(text);
  if (!ms) throw Error::InvalidInput(fmt::format("bad duration '{}' (e.g. 30s, 5m, 1h)", text));
  return *ms;
}

void ProgressLine::update(const std::string& text) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  shown_ = true;
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
}

void ProgressLine::done() {
  if (enabled_ && shown_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
  shown_ = false;
}

}  // namespace idemload::cli
