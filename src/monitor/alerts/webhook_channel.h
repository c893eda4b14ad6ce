// An alert channel that POSTs the alert's JSON (with a "text" field for chat tools) to an
// http(s) URL through libcurl, retrying temporary failures with a short backoff.
#pragma once

#include <string>

#include "monitor/alerts/alert.h"

namespace idemload::monitor {

class WebhookChannel : public AlertChannel {
 public:
  // Throws kInvalidInput when `url` is not an http:// or https:// URL with a host.
  WebhookChannel(std::string url, const ChannelOptions& options);

  // "webhook https://hooks.example/***": scheme, host and port only (paths of chat webhooks
  // hold their secret token).
  std::string describe() const override;
  // One POST per attempt; 2xx = delivered. Connection failures, timeouts, 408, 429 and 5xx are
  // retried (kTargetUnavailable once attempts run out); other statuses fail at once (kIo).
  void deliver(const Alert& alert) override;

 private:
  std::string url_;
  std::string redacted_;
  ChannelOptions options_;
};

}  // namespace idemload::monitor
