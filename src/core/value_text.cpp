#include "core/value_text.h"

#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace idemload {

std::optional<int64_t> parse_int64(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// "200.0", "-7.00": an integer part of digits and a fraction of zeros only, the SEC's form of
// every number. Parsed without allocating; nullopt sends anything else to the general path.
static std::optional<int64_t> parse_integral_decimal(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  for (size_t pos = dot + 1; pos < text.size(); ++pos) {
    if (text[pos] != '0') return std::nullopt;
  }
  std::string_view integer = text.substr(0, dot);
  if (integer.empty() || integer == "-" || integer == "+") return std::nullopt;
  return parse_int64(integer);
}

std::optional<int64_t> parse_integral(std::string_view text) {
  if (auto value = parse_int64(text)) return value;
  if (auto value = parse_integral_decimal(text)) return value;
  // "200.0", "200.", "1.6e3": integral decimals. Parse the digits exactly rather than through a
  // double, so that 9007199254740993.0 stays exact.
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && (body.front() == '-' || body.front() == '+')) {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  size_t e_pos = body.find_first_of("eE");
  std::string_view mantissa = body.substr(0, e_pos);
  int64_t exponent = 0;
  if (e_pos != std::string_view::npos) {
    auto exp = parse_int64(body.substr(e_pos + 1));
    if (!exp || *exp > 40 || *exp < -40) return std::nullopt;
    exponent = *exp;
  }
  size_t dot = mantissa.find('.');
  std::string digits(mantissa.substr(0, dot));
  std::string fraction = dot == std::string_view::npos ? "" : std::string(mantissa.substr(dot + 1));
  if (digits.empty() && fraction.empty()) return std::nullopt;
  for (char c : digits) if (c < '0' || c > '9') return std::nullopt;
  for (char c : fraction) if (c < '0' || c > '9') return std::nullopt;
  std::string all = digits + fraction;
  int64_t point = static_cast<int64_t>(digits.size()) + exponent;  // digits before the point
  if (point < 0) point = 0, all = std::string();  // |value| < 1: integral only if all zeros
  std::string integer_part = all.substr(0, std::min<size_t>(all.size(), static_cast<size_t>(point)));
  std::string rest = static_cast<size_t>(point) < all.size() ? all.substr(static_cast<size_t>(point)) : "";
  if (static_cast<size_t>(point) > all.size()) integer_part.append(static_cast<size_t>(point) - all.size(), '0');
  for (char c : rest) if (c != '0') return std::nullopt;
  if (e_pos != std::string_view::npos && point == 0) {
    for (char c : digits + fraction) if (c != '0') return std::nullopt;
  }
  if (integer_part.empty()) integer_part = "0";
  std::string signed_text = (negative ? "-" : "") + integer_part;
  return parse_int64(signed_text);
}

std::optional<double> parse_double(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  {
    // The common case without allocating; from_chars also takes nan and inf in any case.
    double value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && ptr == text.data() + text.size()) return value;
  }
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "nan") return std::nan("");
  if (lower == "inf" || lower == "infinity") return HUGE_VAL;
  if (lower == "-inf" || lower == "-infinity") return -HUGE_VAL;
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "TRUE" || text == "True" || text == "t" || text == "1") return true;
  if (text == "false" || text == "FALSE" || text == "False" || text == "f" || text == "0") return false;
  return std::nullopt;
}

// Civil-date conversion (the proleptic Gregorian calendar), after the well-known
// days-from-civil arithmetic on 400-year eras.
int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t days, int64_t& year, unsigned& month, unsigned& day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int64_t>(yoe) + era * 400 + (month <= 2);
}

static bool read_digits(std::string_view text, size_t pos, size_t count, unsigned& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (size_t idx = pos; idx < pos + count; ++idx) {
    char c = text[idx];
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

static bool days_in_month_ok(int64_t year, unsigned month, unsigned day) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  unsigned limit = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= limit;
}

// The date at the start of `text`: YYYY-MM-DD, or with `wide` any form format_date writes (a
// year of four digits or more, or a negative one of three or more: "-005-03-01"). Its length
// goes to `length`. Years stay under 10^9, so that the days stay far inside int64.
static std::optional<int64_t> parse_date_prefix(std::string_view text, bool wide, size_t& length) {
  const bool negative = !text.empty() && text[0] == '-';
  size_t pos = negative ? 1 : 0;
  int64_t year = 0;
  size_t digits = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    if (++digits > 9) return std::nullopt;
    year = year * 10 + (text[pos++] - '0');
  }
  if (wide ? digits < (negative ? 3u : 4u) : negative || digits != 4) return std::nullopt;
  unsigned month = 0, day = 0;
  if (pos + 6 > text.size() || text[pos] != '-' || text[pos + 3] != '-' ||
      !read_digits(text, pos + 1, 2, month) || !read_digits(text, pos + 4, 2, day)) {
    return std::nullopt;
  }
  if (negative) year = -year;
  if (!days_in_month_ok(year, month, day)) return std::nullopt;
  length = pos + 6;
  return days_from_civil(year, month, day);
}

static std::optional<int64_t> parse_whole_date(std::string_view text, bool wide) {
  size_t length = 0;
  auto days = parse_date_prefix(text, wide, length);
  if (!days || length != text.size()) return std::nullopt;
  return days;
}

std::optional<int64_t> parse_date(std::string_view text) { return parse_whole_date(text, false); }
std::optional<int64_t> parse_wide_date(std::string_view text) { return parse_whole_date(text, true); }

std::optional<int64_t> parse_time(std::string_view text) {
  unsigned hour = 0, minute = 0, second = 0;
  if (text.size() < 8 || text[2] != ':' || text[5] != ':') return std::nullopt;
  if (!read_digits(text, 0, 2, hour) || !read_digits(text, 3, 2, minute) || !read_digits(text, 6, 2, second))
    return std::nullopt;
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  int64_t micros = 0;
  if (text.size() > 8) {
    if (text[8] != '.' || text.size() == 9 || text.size() > 15) return std::nullopt;
    unsigned fraction = 0;
    size_t digits = text.size() - 9;
    if (!read_digits(text, 9, digits, fraction)) return std::nullopt;
    micros = fraction;
    for (size_t pad = digits; pad < 6; ++pad) micros *= 10;
  }
  return ((static_cast<int64_t>(hour) * 60 + minute) * 60 + second) * 1000000 + micros;
}

// parse_timestamp, and with `wide` parse_wide_timestamp.
static std::optional<int64_t> parse_timestamp_as(std::string_view text, bool wide) {
  size_t date_length = 0;
  const std::optional<int64_t> days = parse_date_prefix(text, wide, date_length);
  if (!days) return std::nullopt;
  // Days and time of day together may still leave int64 (a wide year far from ours). Before
  // 1970 a day less is multiplied and its microseconds added to the time instead, so that the
  // first microseconds int64 holds (their day's start is out of its range) still convert.
  auto micros_of = [&](int64_t time_micros) -> std::optional<int64_t> {
    constexpr int64_t kDayMicros = 86400000000LL;
    const bool before = *days < 0;
    int64_t day_start = 0, time = 0, total = 0;
    if (__builtin_mul_overflow(before ? *days + 1 : *days, kDayMicros, &day_start) ||
        __builtin_sub_overflow(time_micros, before ? kDayMicros : 0, &time) ||
        __builtin_add_overflow(day_start, time, &total)) {
      return std::nullopt;
    }
    return total;
  };
  if (text.size() == date_length) return micros_of(0);
  if (text[date_length] != ' ' && text[date_length] != 'T') return std::nullopt;
  std::string_view rest = text.substr(date_length + 1);
  int64_t offset_micros = 0;
  if (!rest.empty() && (rest.back() == 'Z' || rest.back() == 'z')) {
    rest.remove_suffix(1);
  } else if (rest.size() > 8) {
    size_t sign = rest.find_last_of("+-");
    if (sign != std::string_view::npos && sign >= 8) {
      std::string_view zone = rest.substr(sign + 1);
      unsigned zh = 0, zm = 0;
      if (zone.size() == 5 && zone[2] == ':' && read_digits(zone, 0, 2, zh) && read_digits(zone, 3, 2, zm)) {
      } else if (zone.size() == 2 && read_digits(zone, 0, 2, zh)) {
      } else {
        return std::nullopt;
      }
      offset_micros = (static_cast<int64_t>(zh) * 60 + zm) * 60000000LL * (rest[sign] == '-' ? -1 : 1);
      rest = rest.substr(0, sign);
    }
  }
  auto time = parse_time(rest);
  if (!time) return std::nullopt;
  return micros_of(*time - offset_micros);
}

std::optional<int64_t> parse_timestamp(std::string_view text) {
  return parse_timestamp_as(text, false);
}
std::optional<int64_t> parse_wide_timestamp(std::string_view text) {
  return parse_timestamp_as(text, true);
}

std::optional<std::string> parse_decimal(std::string_view text) {
  std::string out;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    if (text.front() == '-') out += '-';
    text.remove_prefix(1);
  }
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return std::nullopt;
  for (char c : whole) if (c < '0' || c > '9') return std::nullopt;
  for (char c : fraction) if (c < '0' || c > '9') return std::nullopt;
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  out += whole.empty() ? std::string_view("0") : whole;
  if (!fraction.empty()) {
    out += '.';
    out += fraction;
  }
  if (out.front() == '-') {
    bool zero = true;
    for (char c : out) if (c >= '1' && c <= '9') zero = false;
    if (zero) out.erase(0, 1);
  }
  return out;
}

// Appends `value` (>= 0) as at least `width` decimal digits, zero-padded.
static void append_padded(std::string& out, uint64_t value, int width) {
  char buf[24];
  int len = 0;
  do {
    buf[len++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (len < width) buf[len++] = '0';
  while (len > 0) out += buf[--len];
}

// The formatters below write straight into `out` (no temporary strings): they run once per
// value when a writer sends dates and times to a database as text.
static void append_date(int64_t days, std::string& out) {
  int64_t year = 0;
  unsigned month = 0, day = 0;
  civil_from_days(days, year, month, day);
  if (year < 0) {
    out += '-';
    append_padded(out, static_cast<uint64_t>(-year), 3);  // fmt's {:04} counts the sign
  } else {
    append_padded(out, static_cast<uint64_t>(year), 4);
  }
  out += '-';
  append_padded(out, month, 2);
  out += '-';
  append_padded(out, day, 2);
}

static void append_time(int64_t micros, std::string& out) {
  int64_t seconds = micros / 1000000;
  int64_t fraction = micros % 1000000;
  if (micros < 0) {  // not a time of day; keep the old text form
    out += fmt::format("{:02}:{:02}:{:02}", seconds / 3600, (seconds / 60) % 60, seconds % 60);
  } else {
    append_padded(out, static_cast<uint64_t>(seconds / 3600), 2);
    out += ':';
    append_padded(out, static_cast<uint64_t>((seconds / 60) % 60), 2);
    out += ':';
    append_padded(out, static_cast<uint64_t>(seconds % 60), 2);
  }
  if (fraction != 0) {
    std::string digits = fmt::format("{:06}", fraction);
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
}

static void append_timestamp(int64_t micros, std::string& out) {
  int64_t days = micros / 86400000000LL;
  int64_t rest = micros % 86400000000LL;
  if (rest < 0) {
    rest += 86400000000LL;
    days -= 1;
  }
  append_date(days, out);
  out += ' ';
  append_time(rest, out);
}

std::string format_date(int64_t days) {
  std::string out;
  append_date(days, out);
  return out;
}

std::string format_time(int64_t micros) {
  std::string out;
  append_time(micros, out);
  return out;
}

std::string format_timestamp(int64_t micros) {
  std::string out;
  append_timestamp(micros, out);
  return out;
}

std::string format_double(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;
  return std::string(buf, ptr);
}

std::optional<int64_t> parse_duration_ms(std::string_view text) {
  double factor = 1000;
  auto ends = [&text](std::string_view suffix) {
    return text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
  };
  if (ends("ms")) {
    factor = 1, text.remove_suffix(2);
  } else if (ends("s")) {
    factor = 1000, text.remove_suffix(1);
  } else if (ends("m")) {
    factor = 60000, text.remove_suffix(1);
  } else if (ends("h")) {
    factor = 3600000, text.remove_suffix(1);
  } else if (ends("d")) {
    factor = 86400000, text.remove_suffix(1);
  }
  auto value = parse_double(text);
  if (!value || !(*value >= 0) || std::isinf(*value)) return std::nullopt;
  return static_cast<int64_t>(*value * factor);
}

void append_value_text(const Column& column, size_t row, std::string& out) {
  if (column.is_null(row)) return;
  switch (column.type()) {
    case Type::kBool: out += column.int_at(row) ? "true" : "false"; break;
    case Type::kInt64: {
      char buf[24];
      auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, column.int_at(row));
      (void)ec;
      out.append(buf, ptr);
      break;
    }
    case Type::kDouble: out += format_double(column.double_at(row)); break;
    case Type::kDate: append_date(column.int_at(row), out); break;
    case Type::kTimestamp: append_timestamp(column.int_at(row), out); break;
    case Type::kTime: append_time(column.int_at(row), out); break;
    case Type::kString:
    case Type::kBinary:
    case Type::kDecimal: out += column.bytes_at(row); break;
  }
}

std::string value_text(const Column& column, size_t row) {
  std::string out;
  append_value_text(column, row, out);
  return out;
}

bool append_parsed(Column& column, std::string_view text) {
  if (text.empty()) {
    column.append_null();
    return true;
  }
  switch (column.type()) {
    case Type::kBool:
      if (auto v = parse_bool(text)) return column.append_int(*v ? 1 : 0), true;
      return false;
    case Type::kInt64:
      if (auto v = parse_integral(text)) return column.append_int(*v), true;
      return false;
    case Type::kDouble:
      if (auto v = parse_double(text)) return column.append_double(*v), true;
      return false;
    case Type::kDate:
      if (auto v = parse_wide_date(text)) return column.append_int(*v), true;
      return false;
    case Type::kTimestamp:
      if (auto v = parse_wide_timestamp(text)) return column.append_int(*v), true;
      return false;
    case Type::kTime:
      if (auto v = parse_time(text)) return column.append_int(*v), true;
      return false;
    case Type::kDecimal:
      if (auto v = parse_decimal(text)) return column.append_bytes(*v), true;
      return false;
    case Type::kString:
    case Type::kBinary: column.append_bytes(text); return true;
  }
  return false;
}

}  // namespace idemload
