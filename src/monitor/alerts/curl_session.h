// A libcurl easy handle owned by RAII, with libcurl's global initialisation done once, and
// the retry loop that webhook and e-mail delivery share. Internal to monitor/alerts.
#pragma once

#include <curl/curl.h>

#include <functional>
#include <string>

#include "core/error.h"

namespace idemload::monitor {

class CurlSession {
 public:
  // Throws kInternal when libcurl cannot create a handle.
  CurlSession();
  ~CurlSession();
  CurlSession(const CurlSession&) = delete;
  CurlSession& operator=(const CurlSession&) = delete;

  CURL* get() const { return handle_; }
  // Where libcurl writes a readable message for the last failure (CURLOPT_ERRORBUFFER).
  const char* error_buffer() const { return error_buffer_; }

 private:
  CURL* handle_ = nullptr;
  char error_buffer_[CURL_ERROR_SIZE] = {};
};

// What one delivery attempt ended with.
struct AttemptResult {
  bool ok = false;
  bool retryable = false;
  std::string message;  // why it failed, without secrets
};

// Runs `attempt` up to 1 + retries times, sleeping backoff_ms × 2^(n-1) before retry n, until
// it succeeds or fails permanently. Throws Error(kTargetUnavailable) when the last failure was
// temporary, Error(kIo) when it was permanent; the message is `what` + attempts + reason.
void deliver_with_retries(const std::string& what, const ErrorContext& context, int retries,
                          int backoff_ms, const std::function<AttemptResult()>& attempt);

// `text` with every occurrence of each non-empty `secret` replaced by "***".
std::string scrub(std::string text, std::initializer_list<std::string_view> secrets);

}  // namespace idemload::monitor
