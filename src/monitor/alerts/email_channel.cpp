#include "monitor/alerts/email_channel.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>

#include "core/error.h"
#include "monitor/alerts/curl_session.h"
#include "targets/target.h"
#include "targets/url.h"

namespace idemload::monitor {

namespace {

constexpr size_t kMaxSubjectBytes = 160;  // of the alert line, before encoding

bool is_flag_on(const std::string& value) {
  return value.empty() || value == "1" || value == "true" || value == "yes";
}

// A bare address local@domain: no spaces, brackets, quotes or control characters, so it is
// safe in the envelope (MAIL FROM:<…>) and in the To/From headers.
void check_address(const std::string& address, const char* role) {
  bool ok = !address.empty() && address.size() <= 254;
  size_t at = address.rfind('@');
  ok = ok && at != std::string::npos && at > 0 && at + 1 < address.size();
  for (char c : address) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || std::strchr("<>()[]\\,;:\"", c) != nullptr) ok = false;
  }
  if (!ok) throw Error::InvalidInput(fmt::format("bad {} e-mail address '{}'", role, address));
}

struct UploadState {
  const std::string* data;
  size_t offset = 0;
};

size_t read_message(char* buffer, size_t size, size_t count, void* user) {
  auto* state = static_cast<UploadState*>(user);
  size_t room = size * count;
  size_t left = state->data->size() - state->offset;
  size_t bytes = std::min(room, left);
  std::memcpy(buffer, state->data->data() + state->offset, bytes);
  state->offset += bytes;
  return bytes;
}

std::string base64(std::string_view bytes) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t idx = 0;
  for (; idx + 2 < bytes.size(); idx += 3) {
    uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(bytes[idx])) << 16 |
                     static_cast<uint32_t>(static_cast<unsigned char>(bytes[idx + 1])) << 8 |
                     static_cast<unsigned char>(bytes[idx + 2]);
    out += kDigits[group >> 18 & 63];
    out += kDigits[group >> 12 & 63];
    out += kDigits[group >> 6 & 63];
    out += kDigits[group & 63];
  }
  if (idx < bytes.size()) {
    uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(bytes[idx])) << 16;
    if (idx + 1 < bytes.size())
      group |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[idx + 1])) << 8;
    out += kDigits[group >> 18 & 63];
    out += kDigits[group >> 12 & 63];
    out += idx + 1 < bytes.size() ? kDigits[group >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

// Cuts `text` to at most `limit` bytes without splitting a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string message_id_domain(const std::string& mail_from) {
  size_t at = mail_from.rfind('@');
  return at == std::string::npos ? "localhost" : mail_from.substr(at + 1);
}

}  // namespace

std::string rfc5322_date(int64_t epoch_ms) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t time = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&time, &tm);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string quoted_printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t line_start = 0;
  while (line_start <= text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t column = 0;
    for (size_t idx = 0; idx < line.size(); ++idx) {
      auto byte = static_cast<unsigned char>(line[idx]);
      bool last = idx + 1 == line.size();
      bool literal =
          (byte >= 33 && byte <= 126 && byte != '=') || ((byte == ' ' || byte == '\t') && !last);
      if (byte == '.' && column == 0) literal = false;  // never a lone "." line in SMTP DATA
      std::string piece = literal ? std::string(1, static_cast<char>(byte))
                                  : std::string{'=', kHex[byte >> 4], kHex[byte & 15]};
      // Soft line break: keep every line (with its trailing '=') at 76 characters or fewer.
      if (column + piece.size() > (last ? 76 : 75)) {
        out += "=\r\n";
        column = 0;
        if (piece == ".") piece = "=2E";
      }
      out += piece;
      column += piece.size();
    }
    if (line_end == text.size()) break;
    out += "\r\n";
    line_start = line_end + 1;
  }
  return out;
}

std::string encode_header_value(std::string_view text, size_t first_line_used) {
  std::string clean;
  bool ascii = true;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      if (clean.empty() || clean.back() != ' ') clean += ' ';
      continue;
    }
    if (byte >= 0x80) ascii = false;
    clean += c;
  }
  std::string out;
  if (ascii) {
    // Fold at spaces so that no line exceeds 78 characters.
    size_t column = first_line_used;
    size_t start = 0;
    while (start < clean.size()) {
      size_t space = clean.find(' ', start + 1);
      if (space == std::string::npos) space = clean.size();
      std::string_view word = std::string_view(clean).substr(start, space - start);
      if (column + word.size() > 78 && column > 1 && word.front() == ' ') {
        out += "\r\n";
        column = 0;
      }
      out += word;
      column += word.size();
      start = space;
    }
    return out;
  }
  // RFC 2047 encoded words ("=?UTF-8?B?" base64 "?=", at most 75 characters), one a line,
  // each sized to keep its line within 78 characters.
  std::string_view rest = clean;
  bool first = true;
  while (!rest.empty()) {
    size_t room = first ? 78 - std::min<size_t>(first_line_used, 54) : 77;
    size_t max_bytes = std::min<size_t>(45, (room - 12) / 4 * 3);
    std::string_view chunk = utf8_prefix(rest, max_bytes);
    if (chunk.empty()) chunk = rest.substr(0, 1);
    if (!first) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(chunk) + "?=";
    rest.remove_prefix(chunk.size());
    first = false;
  }
  return out;
}

EmailChannel::EmailChannel(std::vector<std::string> recipients, const ChannelOptions& options)
    : recipients_(std::move(recipients)), options_(options) {
  if (recipients_.empty()) throw Error::InvalidInput("e-mail alert needs at least one address");
  for (const auto& address : recipients_) check_address(address, "recipient");
  check_address(options_.mail_from, "sender");
  redacted_url_ = targets::redact_url(options_.smtp_url);
  targets::ParsedUrl parsed;
  try {
    parsed = targets::parse_url(options_.smtp_url);
  } catch (const Error&) {
    throw Error::InvalidInput(fmt::format("SMTP URL '{}' does not parse", redacted_url_));
  }
  if ((parsed.scheme != "smtp" && parsed.scheme != "smtps") || parsed.host.empty()) {
    throw Error::InvalidInput(fmt::format(
        "SMTP URL must be smtp://host[:port] or smtps://host[:port], not '{}'", redacted_url_));
  }
  for (const auto& [name, value] : parsed.params) {
    if (name == "starttls" && parsed.scheme == "smtp") {
      starttls_ = is_flag_on(value);
    } else if (name == "insecure") {
      insecure_ = is_flag_on(value);
    } else if (name == "cacert") {
      cacert_ = value;
    } else {
      throw Error::InvalidInput(
          fmt::format("unknown parameter '{}' in SMTP URL '{}' (known: starttls (smtp:// only), "
                      "insecure, cacert)",
                      name, redacted_url_));
    }
  }
  user_ = parsed.user;
  password_ = parsed.password;
  std::string host =
      parsed.host.find(':') != std::string::npos ? "[" + parsed.host + "]" : parsed.host;
  int port = parsed.port != 0 ? parsed.port : parsed.scheme == "smtps" ? 465 : 25;
  curl_url_ = fmt::format("{}://{}:{}/", parsed.scheme, host, port);
}

std::string EmailChannel::describe() const {
  std::string to;
  for (const auto& address : recipients_) to += (to.empty() ? "" : ",") + address;
  return fmt::format("email {} via {}", to, redacted_url_);
}

std::string EmailChannel::compose_message(const Alert& alert, int64_t now_ms) const {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t process_salt = std::random_device{}();
  std::string to;
  for (const auto& address : recipients_) to += (to.empty() ? "" : ", ") + address;
  std::string summary = alert.summary();
  const std::string subject_prefix = "Subject: [idemload] ";
  std::string subject =
      encode_header_value(utf8_prefix(summary, kMaxSubjectBytes), subject_prefix.size());
  std::string body = summary + "\n\n" + alert.to_json().dump(2) + "\n";

  std::string message;
  message += "Date: " + rfc5322_date(now_ms) + "\r\n";
  message += "From: " + options_.mail_from + "\r\n";
  message += "To: " + to + "\r\n";
  message += subject_prefix + subject + "\r\n";
  uint64_t sequence = counter.fetch_add(1);
  message += fmt::format("Message-ID: <{}.{}.{:x}.{}@{}>\r\n", now_ms, ::getpid(), process_salt,
                         sequence, message_id_domain(options_.mail_from));
  if (!alert.key.empty())
    message += "X-Idemload-Alert-Key: " + encode_header_value(alert.key, 22) + "\r\n";
  message += "MIME-Version: 1.0\r\n";
  message += "Content-Type: text/plain; charset=utf-8\r\n";
  message += "Content-Transfer-Encoding: quoted-printable\r\n";
  message += "\r\n";
  message += quoted_printable(body);
  message += "\r\n";
  return message;
}

void EmailChannel::deliver(const Alert& alert) {
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string message = compose_message(alert, now_ms);
  const std::string envelope_from = "<" + options_.mail_from + ">";
  ErrorContext context;
  context.target = redacted_url_;
  context.job_id = alert.job_id;

  auto attempt = [&]() -> AttemptResult {
    CurlSession session;
    CURL* curl = session.get();
    curl_slist* rcpt = nullptr;
    for (const auto& address : recipients_)
      rcpt = curl_slist_append(rcpt, ("<" + address + ">").c_str());
    UploadState upload{&message};
    curl_easy_setopt(curl, CURLOPT_URL, curl_url_.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, envelope_from.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    if (!user_.empty()) {
      curl_easy_setopt(curl, CURLOPT_USERNAME, user_.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, password_.c_str());
    }
    if (starttls_) curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (insecure_) {
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!cacert_.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, cacert_.c_str());
    CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(rcpt);
    AttemptResult result;
    if (code == CURLE_OK) {
      result.ok = true;
      return result;
    }
    long reply = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
    const char* detail =
        session.error_buffer()[0] != '\0' ? session.error_buffer() : curl_easy_strerror(code);
    result.message =
        scrub(reply > 0 ? fmt::format("{} (SMTP reply {})", detail, reply) : std::string(detail),
              {password_});
    switch (code) {
      case CURLE_LOGIN_DENIED:
      case CURLE_USE_SSL_FAILED:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_URL_MALFORMAT:
        result.retryable = false;
        break;
      default:
        // A 5xx reply is permanent (bad recipient, message refused); 4xx and no reply are not.
        result.retryable = !(reply >= 500 && reply < 600);
    }
    return result;
  };
  std::string what =
      "e-mail to " + recipients_.front() +
      (recipients_.size() > 1 ? fmt::format(" (+{} more)", recipients_.size() - 1) : "");
  deliver_with_retries(what, context, options_.retries, options_.retry_backoff_ms, attempt);
}

}  // namespace idemload::monitor
