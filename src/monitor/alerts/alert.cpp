#include "monitor/alerts/alert.h"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "monitor/alerts/command_channel.h"
#include "monitor/alerts/email_channel.h"
#include "monitor/alerts/webhook_channel.h"

namespace idemload::monitor {

namespace {

std::string iso8601_utc(int64_t epoch_ms) {
  int64_t seconds = epoch_ms / 1000;
  int64_t millis = epoch_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  std::time_t time = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&time, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

std::string trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  size_t end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

}  // namespace

std::string Alert::summary() const {
  if (!text.empty()) return text;
  std::string line = "idemload:";
  if (!job_id.empty()) line += " job " + job_id;
  if (!table.empty()) line += (job_id.empty() ? " table " : " loading ") + table;
  if (!batch.empty()) line += " batch " + batch;
  if (!state.empty()) {
    line += " is " + state;
  } else if (!kind.empty()) {
    line += " " + kind;
  } else {
    line += " alert";
  }
  if (!error.empty()) line += ": " + error;
  return line;
}

nlohmann::json Alert::to_json() const {
  nlohmann::json json = nlohmann::json::object();
  json["key"] = key;
  json["kind"] = kind;
  json["job_id"] = job_id;
  json["table"] = table;
  json["batch"] = batch;
  json["state"] = state;
  json["error"] = error;
  json["host"] = host;
  json["occurred_at_ms"] = occurred_at_ms;
  json["occurred_at"] = iso8601_utc(occurred_at_ms);
  json["text"] = summary();
  return json;
}

Alert Alert::from_json(const nlohmann::json& json) {
  if (!json.is_object()) throw Error::InvalidInput("an alert must be a JSON object");
  Alert alert;
  auto text_field = [&json](const char* name, std::string& out) {
    auto found = json.find(name);
    if (found == json.end() || found->is_null()) return;
    if (!found->is_string())
      throw Error::InvalidInput(fmt::format("alert field '{}' must be a string", name));
    out = found->get<std::string>();
  };
  text_field("key", alert.key);
  text_field("kind", alert.kind);
  text_field("job_id", alert.job_id);
  text_field("table", alert.table);
  text_field("batch", alert.batch);
  text_field("state", alert.state);
  text_field("error", alert.error);
  text_field("host", alert.host);
  text_field("text", alert.text);
  auto occurred = json.find("occurred_at_ms");
  if (occurred != json.end() && !occurred->is_null()) {
    if (!occurred->is_number_integer()) {
      throw Error::InvalidInput("alert field 'occurred_at_ms' must be an integer");
    }
    alert.occurred_at_ms = occurred->get<int64_t>();
  }
  return alert;
}

std::unique_ptr<AlertChannel> make_channel(const std::string& spec, const ChannelOptions& options) {
  size_t colon = spec.find(':');
  std::string type = colon == std::string::npos ? spec : spec.substr(0, colon);
  std::string rest =
      colon == std::string::npos ? "" : trim(std::string_view(spec).substr(colon + 1));
  if (colon != std::string::npos && !rest.empty()) {
    if (type == "webhook") return std::make_unique<WebhookChannel>(rest, options);
    if (type == "command") return std::make_unique<CommandChannel>(rest, options);
    if (type == "email") {
      if (options.smtp_url.empty()) {
        throw Error::InvalidInput(
            fmt::format("alert '{}' needs an SMTP server: give --smtp smtp://host:port", spec));
      }
      std::vector<std::string> recipients;
      size_t start = 0;
      while (start <= rest.size()) {
        size_t comma = rest.find(',', start);
        if (comma == std::string::npos) comma = rest.size();
        std::string address = trim(std::string_view(rest).substr(start, comma - start));
        if (!address.empty()) recipients.push_back(std::move(address));
        start = comma + 1;
      }
      return std::make_unique<EmailChannel>(std::move(recipients), options);
    }
  }
  if (type == "webhook" || type == "email" || type == "command") {
    static constexpr const char* kWhat[] = {"a URL", "an address", "a program"};
    int idx = type == "webhook" ? 0 : type == "email" ? 1 : 2;
    throw Error::InvalidInput(
        fmt::format("alert spec '{}:' needs {} after the colon", type, kWhat[idx]));
  }
  // The spec may hold a URL with a password: never echo it whole.
  std::string shown = type.size() > 40 ? type.substr(0, 40) + "…" : type;
  throw Error::InvalidInput(
      fmt::format("bad alert spec starting '{}': expected webhook:URL, email:ADDRESS[,ADDRESS] or "
                  "command:PATH [ARGS]",
                  shown));
}

}  // namespace idemload::monitor
