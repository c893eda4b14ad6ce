// EmailChannel against a real SMTP server (tests/node/smtp_receiver.js, the npm smtp-server
// package) started as a child process: plain SMTP, STARTTLS with AUTH, implicit TLS, refusals.
#include "monitor/alerts/email_channel.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "core/error.h"
#include "receivers.h"
#include "test_util.h"

extern char** environ;

namespace idemload::monitor {
namespace {

using idemload::testing::read_file;
using idemload::testing::TempDir;

using idemload::testing::SmtpReceiver;

struct ParsedMessage {
  std::map<std::string, std::string> headers;  // unfolded
  std::string body;                            // quoted-printable decoded
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_quoted_printable(const std::string& text) {
  std::string out;
  for (size_t idx = 0; idx < text.size(); ++idx) {
    if (text[idx] == '=') {
      if (text.compare(idx + 1, 2, "\r\n") == 0) {  // soft line break
        idx += 2;
        continue;
      }
      int hi = hex_value(text[idx + 1]), lo = hex_value(text[idx + 2]);
      if (hi < 0 || lo < 0)
        throw std::runtime_error("bad quoted-printable at " + std::to_string(idx));
      out += static_cast<char>(hi * 16 + lo);
      idx += 2;
    } else if (text.compare(idx, 2, "\r\n") == 0) {
      out += '\n';
      ++idx;
    } else {
      out += text[idx];
    }
  }
  return out;
}

std::string decode_base64(const std::string& text) {
  static const std::string kDigits =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    size_t value = kDigits.find(c);
    if (value == std::string::npos) continue;  // '=' padding
    bits = bits << 6 | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>(bits >> count & 0xFF);
    }
  }
  return out;
}

// Joins RFC 2047 "=?UTF-8?B?…?=" words (separated by folding) back into text.
std::string decode_encoded_words(const std::string& value) {
  static const std::regex kWord(R"(=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=)");
  std::string out;
  auto begin = std::sregex_iterator(value.begin(), value.end(), kWord);
  if (begin == std::sregex_iterator()) return value;
  for (auto it = begin; it != std::sregex_iterator(); ++it) out += decode_base64((*it)[1].str());
  return out;
}

ParsedMessage parse_message(const std::string& raw) {
  ParsedMessage message;
  size_t split = raw.find("\r\n\r\n");
  if (split == std::string::npos) throw std::runtime_error("no header/body separator");
  std::string head = raw.substr(0, split);
  // Every header line ends in CRLF: a bare LF or CR would be a header-injection hole.
  EXPECT_EQ(head.find_first_of('\n'), head.find("\r\n") + 1);
  std::string last;
  size_t pos = 0;
  while (pos <= head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(pos, end - pos);
    EXPECT_LE(line.size(), 998u);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      message.headers[last] += line;
    } else {
      size_t colon = line.find(':');
      last = line.substr(0, colon);
      message.headers[last] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    pos = end + 2;
  }
  std::string body = raw.substr(split + 4);
  size_t line_start = 0;
  while (line_start < body.size()) {
    size_t end = body.find("\r\n", line_start);
    if (end == std::string::npos) end = body.size();
    EXPECT_LE(end - line_start, 76u) << "body line too long for quoted-printable";
    line_start = end + 2;
  }
  message.body = decode_quoted_printable(body);
  return message;
}

Alert sample_alert() {
  Alert alert;
  alert.key = "0190aaaa:abandoned";
  alert.kind = "abandoned";
  alert.job_id = "0190aaaa";
  alert.table = "edgar";
  alert.batch = "2017-06-30";
  alert.state = "abandoned";
  alert.error = "no heartbeat for 94 s";
  alert.host = "etl-1";
  alert.occurred_at_ms = 1498780800123;
  alert.text =
      "idemload: job 0190aaaa loading edgar batch 2017-06-30 was abandoned (no heartbeat for 94 s)";
  return alert;
}

ChannelOptions smtp_options(const std::string& url) {
  ChannelOptions options;
  options.smtp_url = url;
  options.mail_from = "monitor@etl.example";
  options.timeout_ms = 10000;
  options.retries = 1;
  options.retry_backoff_ms = 10;
  return options;
}

std::string local_url(const char* scheme, int port, const std::string& userinfo = "",
                      const std::string& query = "") {
  return std::string(scheme) + "://" + userinfo + "127.0.0.1:" + std::to_string(port) + query;
}

TEST(EmailChannel, DeliversOneWellFormedMessage) {
  SmtpReceiver receiver;
  auto channel = make_channel("email:oncall@etl.example, dba@etl.example",
                              smtp_options(local_url("smtp", receiver.port())));
  EXPECT_EQ(channel->describe(), "email oncall@etl.example,dba@etl.example via smtp://127.0.0.1:" +
                                     std::to_string(receiver.port()));
  Alert alert = sample_alert();
  channel->deliver(alert);

  auto messages = receiver.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["from"], "monitor@etl.example");
  EXPECT_EQ(messages[0]["to"], nlohmann::json::array({"oncall@etl.example", "dba@etl.example"}));
  EXPECT_EQ(messages[0]["secure"], false);
  ParsedMessage message = parse_message(messages[0]["raw"]);
  EXPECT_EQ(message.headers["From"], "monitor@etl.example");
  EXPECT_EQ(message.headers["To"], "oncall@etl.example, dba@etl.example");
  EXPECT_EQ(message.headers["Subject"], "[idemload] " + alert.text);  // unfolded
  EXPECT_TRUE(std::regex_match(
      message.headers["Date"],
      std::regex(
          R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000)")))
      << message.headers["Date"];
  EXPECT_TRUE(
      std::regex_match(message.headers["Message-ID"], std::regex(R"(<[^<>@ ]+@etl\.example>)")))
      << message.headers["Message-ID"];
  EXPECT_EQ(message.headers["MIME-Version"], "1.0");
  EXPECT_EQ(message.headers["Content-Type"], "text/plain; charset=utf-8");
  EXPECT_EQ(message.headers["Content-Transfer-Encoding"], "quoted-printable");
  EXPECT_EQ(message.headers["X-Idemload-Alert-Key"], alert.key);
  // Body: the alert line, a blank line, then the alert's JSON.
  std::string first_line = alert.text + "\n\n";
  ASSERT_EQ(message.body.substr(0, first_line.size()), first_line);
  EXPECT_EQ(nlohmann::json::parse(message.body.substr(first_line.size())), alert.to_json());
}

TEST(EmailChannel, MessageIdsDiffer) {
  EmailChannel channel({"a@b.example"}, smtp_options("smtp://127.0.0.1:25"));
  ParsedMessage first = parse_message(channel.compose_message(sample_alert(), 1000));
  ParsedMessage second = parse_message(channel.compose_message(sample_alert(), 1000));
  EXPECT_NE(first.headers["Message-ID"], second.headers["Message-ID"]);
}

TEST(EmailChannel, HostileTextCannotInjectHeadersOrRecipients) {
  SmtpReceiver receiver;
  auto channel =
      make_channel("email:oncall@etl.example", smtp_options(local_url("smtp", receiver.port())));
  Alert alert = sample_alert();
  alert.text =
      "job failed\r\nBcc: victim@evil.example\r\n\r\nfake body\n.\nMAIL FROM:<x@evil.example>";
  alert.error = ".\r\n.\nQUIT\r\n";
  alert.key = "k\r\nX-Evil: 1";
  channel->deliver(alert);

  auto messages = receiver.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["to"], nlohmann::json::array({"oncall@etl.example"}));
  ParsedMessage message = parse_message(messages[0]["raw"]);
  EXPECT_EQ(message.headers.count("Bcc"), 0u);
  EXPECT_EQ(message.headers.count("X-Evil"), 0u);
  EXPECT_EQ(
      message.headers["Subject"],
      "[idemload] job failed Bcc: victim@evil.example fake body . MAIL FROM:<x@evil.example>");
  // The body arrives whole, dots and all: no line of it ended the DATA phase early.
  size_t json_start = message.body.find("\n\n{");
  ASSERT_NE(json_start, std::string::npos);
  auto json = nlohmann::json::parse(message.body.substr(json_start + 2));
  EXPECT_EQ(json["error"], alert.error);
  EXPECT_EQ(json["text"], alert.text);
}

TEST(EmailChannel, NonAsciiSubjectIsEncoded) {
  SmtpReceiver receiver;
  auto channel =
      make_channel("email:oncall@etl.example", smtp_options(local_url("smtp", receiver.port())));
  Alert alert = sample_alert();
  alert.text =
      "idemload: Tabelle „Umsätze“ – Batch 2017-06-30 ist fehlgeschlagen ✗ " + std::string(60, 'x');
  channel->deliver(alert);
  auto messages = receiver.messages();
  ASSERT_EQ(messages.size(), 1u);
  std::string raw = messages[0]["raw"];
  std::string head = raw.substr(0, raw.find("\r\n\r\n"));
  for (char c : head)
    EXPECT_LT(static_cast<unsigned char>(c), 0x80u) << "raw 8-bit byte in headers";
  for (size_t start = 0, end = 0; start < head.size(); start = end + 2) {
    end = std::min(head.find("\r\n", start), head.size());
    EXPECT_LE(end - start, 78u) << head.substr(start, end - start);
  }
  ParsedMessage message = parse_message(raw);
  EXPECT_EQ(decode_encoded_words(message.headers["Subject"]), alert.text);
  EXPECT_EQ(message.headers["Subject"].substr(0, 11), "[idemload] ");
}

TEST(EmailChannel, StartTlsWithAuth) {
  SmtpReceiver receiver({"--starttls", "--auth", "alerts:p@ss w0rd"});
  // The password is percent-encoded in the URL ('@' and ' '), as URLs require.
  std::string url =
      local_url("smtp", receiver.port(), "alerts:p%40ss%20w0rd@", "?starttls=1&insecure=1");
  auto channel = make_channel("email:oncall@etl.example", smtp_options(url));
  EXPECT_EQ(channel->describe().find("p%40ss"), std::string::npos) << channel->describe();
  channel->deliver(sample_alert());
  auto messages = receiver.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["secure"], true);
  EXPECT_EQ(messages[0]["user"], "alerts");
}

TEST(EmailChannel, ImplicitTls) {
  SmtpReceiver receiver({"--secure"});
  auto channel = make_channel("email:oncall@etl.example",
                              smtp_options(local_url("smtps", receiver.port(), "", "?insecure=1")));
  channel->deliver(sample_alert());
  auto messages = receiver.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["secure"], true);
}

TEST(EmailChannel, UnverifiedCertificateIsRefusedByDefault) {
  SmtpReceiver receiver({"--secure"});
  auto channel =
      make_channel("email:oncall@etl.example", smtp_options(local_url("smtps", receiver.port())));
  try {
    channel->deliver(sample_alert());
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo) << error.what();  // permanent: not retried
  }
  EXPECT_TRUE(receiver.messages().empty());
}

TEST(EmailChannel, WrongPasswordFailsWithoutLeakingIt) {
  SmtpReceiver receiver({"--auth", "alerts:right"});
  auto channel =
      make_channel("email:oncall@etl.example",
                   smtp_options(local_url("smtp", receiver.port(), "alerts:wr0ngpass@")));
  EXPECT_EQ(channel->describe(), "email oncall@etl.example via smtp://alerts:***@127.0.0.1:" +
                                     std::to_string(receiver.port()));
  try {
    channel->deliver(sample_alert());
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_EQ(error.kind(), ErrorKind::kIo) << message;
    EXPECT_NE(message.find("1 attempt"), std::string::npos)
        << message;  // a refused login is not retried
    EXPECT_EQ(message.find("wr0ngpass"), std::string::npos) << message;
  }
  EXPECT_TRUE(receiver.messages().empty());
}

TEST(EmailChannel, RequiredStartTlsNotOfferedFails) {
  SmtpReceiver receiver;  // STARTTLS disabled
  auto channel = make_channel(
      "email:oncall@etl.example",
      smtp_options(local_url("smtp", receiver.port(), "alerts:secret@", "?starttls=1")));
  EXPECT_THROW(channel->deliver(sample_alert()), Error);
  EXPECT_TRUE(receiver.messages().empty());
}

TEST(EmailChannel, RejectedRecipientIsPermanent) {
  SmtpReceiver receiver({"--reject-rcpt", "nobody@etl.example"});
  auto channel =
      make_channel("email:nobody@etl.example", smtp_options(local_url("smtp", receiver.port())));
  try {
    channel->deliver(sample_alert());
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo) << error.what();
    EXPECT_NE(std::string(error.what()).find("550"), std::string::npos) << error.what();
  }
}

TEST(EmailChannel, ServerDownThrowsTargetUnavailable) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  auto channel =
      make_channel("email:oncall@etl.example",
                   smtp_options(local_url("smtp", ntohs(address.sin_port), "u:hunter2@")));
  try {
    channel->deliver(sample_alert());
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kTargetUnavailable) << error.what();
    EXPECT_EQ(std::string(error.what()).find("hunter2"), std::string::npos) << error.what();
  }
}

TEST(EmailChannel, BadConfigurationIsInvalidInput) {
  ChannelOptions no_server;
  for (const auto& [spec, options] : std::vector<std::pair<std::string, ChannelOptions>>{
           {"email:oncall@etl.example", no_server},
           {"email:not-an-address", smtp_options("smtp://127.0.0.1:25")},
           {"email:a@b.example\r\nRCPT TO:<x@y>", smtp_options("smtp://127.0.0.1:25")},
           {"email:<a@b.example>", smtp_options("smtp://127.0.0.1:25")},
           {"email:a@b.example", smtp_options("http://127.0.0.1:25")},
           {"email:a@b.example", smtp_options("smtp://127.0.0.1:25?tls=maybe")},
           {"email:", smtp_options("smtp://127.0.0.1:25")},
       }) {
    try {
      make_channel(spec, options);
      FAIL() << spec << " should be rejected";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput) << spec;
    }
  }
  ChannelOptions bad_from = smtp_options("smtp://127.0.0.1:25");
  bad_from.mail_from = "idemload@host\r\nBcc: x@y";
  EXPECT_THROW(make_channel("email:a@b.example", bad_from), Error);
}

TEST(EmailFormat, Rfc5322Date) {
  EXPECT_EQ(rfc5322_date(1498780800123), "Fri, 30 Jun 2017 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(EmailFormat, QuotedPrintableRoundTrips) {
  std::string text = std::string(200, 'a') + " \n" + ".leading dot\n=equals and tab\t\nÜmlaut ✓\n" +
                     std::string(75, 'b') + ".\n" + std::string(74, 'c') +
                     "==" + "\ntrailing space ";
  std::string encoded = quoted_printable(text);
  size_t start = 0;
  while (start < encoded.size()) {
    size_t end = encoded.find("\r\n", start);
    if (end == std::string::npos) end = encoded.size();
    std::string line = encoded.substr(start, end - start);
    EXPECT_LE(line.size(), 76u) << line;
    EXPECT_NE(line.front(), '.') << "a line starting with '.' could end SMTP DATA";
    EXPECT_TRUE(line.back() != ' ' && line.back() != '\t') << line;
    for (char c : line) EXPECT_LT(static_cast<unsigned char>(c), 0x80u);
    start = end + 2;
  }
  EXPECT_EQ(decode_quoted_printable(encoded), text);
}

TEST(EmailFormat, HeaderValueFolding) {
  std::string long_ascii;
  for (int idx = 0; idx < 40; ++idx) long_ascii += "word" + std::to_string(idx) + " ";
  std::string folded = encode_header_value(long_ascii, 9);
  size_t start = 0;
  bool first = true;
  while (start < folded.size()) {
    size_t end = folded.find("\r\n", start);
    if (end == std::string::npos) end = folded.size();
    EXPECT_LE(end - start + (first ? 9 : 0), 78u);
    if (!first) {
      EXPECT_EQ(folded[start], ' ');
    }
    first = false;
    start = end + 2;
  }
  std::string unfolded;
  for (size_t idx = 0; idx < folded.size(); ++idx) {
    if (folded.compare(idx, 2, "\r\n") == 0) {
      ++idx;
      continue;
    }
    unfolded += folded[idx];
  }
  EXPECT_EQ(unfolded, long_ascii);
}

}  // namespace
}  // namespace idemload::monitor
