// An alert channel that sends an RFC 5322 e-mail (plain text: the alert line and its JSON)
// over SMTP through libcurl: smtp:// with optional STARTTLS, smtps://, AUTH from the URL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/alerts/alert.h"

namespace idemload::monitor {

class EmailChannel : public AlertChannel {
 public:
  // `recipients` are bare addresses (local@domain). options.smtp_url:
  //   smtp://[user:pass@]host[:port][?starttls=1][&insecure=1][&cacert=PATH]
  //   smtps://[user:pass@]host[:port][?insecure=1][&cacert=PATH]
  // starttls=1 requires STARTTLS (the send fails if the server does not offer it); insecure=1
  // skips certificate verification (test servers only). Throws kInvalidInput for a bad URL,
  // an unknown parameter, or a malformed address.
  EmailChannel(std::vector<std::string> recipients, const ChannelOptions& options);

  // "email a@x.org,b@y.org via smtp://user:***@host:587".
  std::string describe() const override;
  // Sends one message to all recipients. Connection failures, timeouts and 4xx replies are
  // retried (kTargetUnavailable when attempts run out); refused login, TLS failures and 5xx
  // replies fail at once (kIo).
  void deliver(const Alert& alert) override;

  // The message deliver() sends (CRLF line ends, quoted-printable body); exposed for tests.
  std::string compose_message(const Alert& alert, int64_t now_ms) const;

 private:
  std::vector<std::string> recipients_;
  ChannelOptions options_;
  std::string curl_url_;  // scheme://host:port/, no credentials
  std::string user_;
  std::string password_;
  bool starttls_ = false;
  bool insecure_ = false;
  std::string cacert_;
  std::string redacted_url_;
};

// Helpers of the message format, exposed for tests.
// RFC 5322 date-time in UTC: "Tue, 02 Jan 2024 03:04:05 +0000".
std::string rfc5322_date(int64_t epoch_ms);
// Quoted-printable (RFC 2045) of UTF-8 text: CRLF line ends, lines of at most 76 characters,
// a leading '.' encoded so that no line can end the SMTP DATA phase.
std::string quoted_printable(std::string_view text);
// A header value safe on one logical line: control characters become spaces, non-ASCII text
// is written as RFC 2047 encoded words, folded so that no line exceeds 78 characters.
std::string encode_header_value(std::string_view text, size_t first_line_used);

}  // namespace idemload::monitor
