// Flag groups that several subcommands share (target, source typing), and progress output.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/schema.h"

namespace idemload::cli {

// --target URL (env IDEMLOAD_TARGET), required.
CLI::Option* add_target_option(CLI::App& app, std::string& url);

// Parses "--type col=type" values into a map; throws Error(kInvalidInput).
std::map<std::string, Type> parse_column_types(const std::vector<std::string>& specs);

// "2s", "500ms", "1m", "1h", "1d" or plain seconds -> milliseconds; throws Error(kInvalidInput).
int64_t parse_duration_ms(const std::string& text);

// A throttled one-line progress display on stderr (only on a terminal).
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  ~ProgressLine() { done(); }
  void update(const std::string& text);
  void done();

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace idemload::cli
