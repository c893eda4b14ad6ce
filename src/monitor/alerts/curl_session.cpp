#include "monitor/alerts/curl_session.h"

#include <fmt/format.h>

#include <chrono>
#include <mutex>
#include <thread>

namespace idemload::monitor {

CurlSession::CurlSession() {
  // curl_global_init is not thread-safe: run it once, before the first handle.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  handle_ = curl_easy_init();
  if (handle_ == nullptr) throw Error::Internal("curl_easy_init failed");
  curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, error_buffer_);
  // No signals: timeouts must not use SIGALRM in a multi-threaded monitor.
  curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
}

CurlSession::~CurlSession() { curl_easy_cleanup(handle_); }

void deliver_with_retries(const std::string& what, const ErrorContext& context, int retries,
                          int backoff_ms, const std::function<AttemptResult()>& attempt) {
  int max_attempts = 1 + std::max(0, retries);
  AttemptResult last;
  int attempts = 0;
  for (int attempt_idx = 0; attempt_idx < max_attempts; ++attempt_idx) {
    if (attempt_idx > 0 && backoff_ms > 0) {
      int64_t wait_ms = static_cast<int64_t>(backoff_ms) << std::min(attempt_idx - 1, 10);
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    }
    ++attempts;
    last = attempt();
    if (last.ok) return;
    if (!last.retryable) break;
  }
  std::string message = fmt::format("{} failed after {} attempt{}: {}", what, attempts,
                                    attempts == 1 ? "" : "s", last.message);
  if (last.retryable) throw Error(ErrorKind::kTargetUnavailable, context, std::move(message));
  throw Error(ErrorKind::kIo, context, std::move(message));
}

std::string scrub(std::string text, std::initializer_list<std::string_view> secrets) {
  for (std::string_view secret : secrets) {
    if (secret.empty()) continue;
    size_t pos = 0;
    while ((pos = text.find(secret, pos)) != std::string::npos) {
      text.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return text;
}

}  // namespace idemload::monitor
