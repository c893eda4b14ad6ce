#include "monitor/alerts/webhook_channel.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "monitor/alerts/curl_session.h"
#include "targets/target.h"
#include "targets/url.h"

namespace idemload::monitor {

namespace {

constexpr size_t kMaxResponseKept = 512;  // of the receiver's answer, quoted in errors

size_t keep_response(char* data, size_t size, size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  size_t bytes = size * count;
  if (out->size() < kMaxResponseKept)
    out->append(data, std::min(bytes, kMaxResponseKept - out->size()));
  return bytes;
}

// One line of printable text, for quoting a receiver's answer in an error message.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  size_t end = out.find_last_not_of(' ');
  out.resize(end == std::string::npos ? 0 : end + 1);
  return out;
}

}  // namespace

WebhookChannel::WebhookChannel(std::string url, const ChannelOptions& options)
    : url_(std::move(url)), options_(options) {
  targets::ParsedUrl parsed;
  try {
    parsed = targets::parse_url(url_);
  } catch (const Error&) {
    throw Error::InvalidInput(
        fmt::format("webhook URL '{}' does not parse", targets::redact_url(url_)));
  }
  if ((parsed.scheme != "http" && parsed.scheme != "https") || parsed.host.empty()) {
    throw Error::InvalidInput(
        fmt::format("webhook URL must be http:// or https:// with a host, not '{}'",
                    targets::redact_url(url_)));
  }
  std::string host =
      parsed.host.find(':') != std::string::npos ? "[" + parsed.host + "]" : parsed.host;
  redacted_ = parsed.scheme + "://" + host;
  if (parsed.port != 0) redacted_ += fmt::format(":{}", parsed.port);
  redacted_ += "/***";
}

std::string WebhookChannel::describe() const { return "webhook " + redacted_; }

void WebhookChannel::deliver(const Alert& alert) {
  const std::string body = alert.to_json().dump();
  ErrorContext context;
  context.target = redacted_;
  context.job_id = alert.job_id;
  // The path and query may carry a token (chat webhooks): keep them out of messages.
  size_t scheme_end = url_.find("://");
  size_t path_start = url_.find_first_of("/?", scheme_end + 3);
  std::string_view path = path_start == std::string::npos
                              ? std::string_view()
                              : std::string_view(url_).substr(path_start);
  if (path == "/") path = {};
  targets::ParsedUrl parsed = targets::parse_url(url_);

  auto attempt = [&]() -> AttemptResult {
    CurlSession session;
    CURL* curl = session.get();
    std::string response;
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "User-Agent: idemload-monitor");
    headers = curl_slist_append(headers, "Expect:");  // send the body at once, no 100-continue
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_response);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    AttemptResult result;
    if (code != CURLE_OK) {
      const char* detail =
          session.error_buffer()[0] != '\0' ? session.error_buffer() : curl_easy_strerror(code);
      result.message = scrub(detail, {path, parsed.password});
      // Everything that is not a local misconfiguration may pass: retry it.
      result.retryable = code != CURLE_UNSUPPORTED_PROTOCOL && code != CURLE_URL_MALFORMAT &&
                         code != CURLE_SSL_CACERT_BADFILE && code != CURLE_PEER_FAILED_VERIFICATION;
      return result;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
      result.ok = true;
      return result;
    }
    result.retryable = status == 408 || status == 429 || status >= 500;
    result.message =
        scrub(fmt::format("HTTP {}{}{}", status, response.empty() ? "" : ": ", printable(response)),
              {path, parsed.password});
    return result;
  };
  deliver_with_retries("webhook", context, options_.retries, options_.retry_backoff_ms, attempt);
}

}  // namespace idemload::monitor
