// Alerts that the monitor sends about jobs, and the channels that deliver them: a webhook, an
// e-mail, a command. A channel delivers one alert or throws; announcing each failure once and
// retrying a failed delivery in the next cycle belong to the monitor (table idemload_alerts).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace idemload::monitor {

// One thing worth telling a person about one job (or one expected batch).
struct Alert {
  std::string key;   // dedupe key, e.g. "JOBID:abandoned": one alert per failure and state
  std::string kind;  // failed | abandoned | mismatch | missing | heartbeat
  std::string job_id;
  std::string table;
  std::string batch;
  std::string state;
  std::string error;
  std::string host;
  int64_t occurred_at_ms = 0;  // Unix epoch milliseconds
  std::string text;            // one human line, e.g. "idemload: job 0190… loading edgar batch
                               // 2017-06-30 was abandoned (no heartbeat for 94 s)"

  // `text` when set, otherwise a line made from the other fields. Never empty.
  std::string summary() const;
  // Every field, plus "occurred_at" (ISO 8601 UTC) and "text" (= summary(), the field chat
  // tools such as Slack or Mattermost show).
  nlohmann::json to_json() const;
  // The inverse of to_json(); missing fields stay empty. Throws kInvalidInput when `json` is
  // not an object or a field has the wrong type.
  static Alert from_json(const nlohmann::json& json);
};

// Where alerts go. deliver() may block up to about timeout_ms × (retries + 1) plus backoff.
// Instances are not thread-safe; use one per thread.
class AlertChannel {
 public:
  virtual ~AlertChannel() = default;
  // e.g. "webhook https://hooks.example/***": secrets (passwords, URL paths) redacted.
  virtual std::string describe() const = 0;
  // Delivers `alert` or throws idemload::Error: kTargetUnavailable when the receiver cannot
  // be reached, times out or answers with a temporary failure; kIo when it refuses the alert
  // or the command fails. The message never contains a password.
  virtual void deliver(const Alert& alert) = 0;
};

struct ChannelOptions {
  std::string smtp_url;  // smtp://[user:pass@]host[:port][?starttls=1&insecure=1&cacert=PATH],
                         // smtps://… (TLS from the start); required by email channels
  std::string mail_from = "idemload@localhost";
  int timeout_ms = 10000;      // per attempt (webhook, e-mail) or for the whole run (command)
  int retries = 2;             // extra attempts after a temporary failure (webhook, e-mail)
  int retry_backoff_ms = 200;  // wait before retry n: retry_backoff_ms × 2^(n-1)
  bool allow_shell = false;    // command: run through /bin/sh -c only when true
};

// SPEC: "webhook:URL" (http or https) | "email:ADDRESS[,ADDRESS…]" |
// "command:PATH [ARGS…]" (args split on spaces, no shell unless options.allow_shell).
// Throws kInvalidInput for anything else, a malformed URL or address, or e-mail without
// options.smtp_url.
std::unique_ptr<AlertChannel> make_channel(const std::string& spec, const ChannelOptions& options);

}  // namespace idemload::monitor
