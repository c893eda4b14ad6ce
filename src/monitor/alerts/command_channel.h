// An alert channel that runs a program (posix_spawn, no shell unless allowed) with the alert's
// JSON on stdin and its fields in IDEMLOAD_ALERT_* environment variables.
#pragma once

#include <string>
#include <vector>

#include "monitor/alerts/alert.h"

namespace idemload::monitor {

class CommandChannel : public AlertChannel {
 public:
  // `command_line` is "PATH [ARGS…]", split on spaces; a PATH without '/' is looked up in
  // $PATH. With options.allow_shell the whole line is run as `/bin/sh -c LINE` instead.
  // Alert data never becomes part of the command line in either mode. Throws kInvalidInput
  // for an empty line.
  CommandChannel(std::string command_line, const ChannelOptions& options);

  // "command /usr/local/bin/page-oncall --team etl" (URL passwords in args redacted).
  std::string describe() const override;
  // Runs the command once: stdin = alert JSON, environment = this process's plus
  // IDEMLOAD_ALERT_{KEY,KIND,JOB_ID,TABLE,BATCH,STATE,ERROR,HOST,OCCURRED_AT_MS,TEXT} (each cut
  // to 32 KiB, an exec limit; stdin is never cut).
  // Throws kIo when it cannot start, exits non-zero, dies by a signal, or outlives
  // options.timeout_ms (it and its process group are then killed); the message carries the
  // tail of its stderr.
  void deliver(const Alert& alert) override;

 private:
  std::string command_line_;
  std::vector<std::string> argv_;
  ChannelOptions options_;
};

}  // namespace idemload::monitor
