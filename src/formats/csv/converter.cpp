#include "formats/csv/converter.h"

#include <charconv>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "core/value_text.h"

namespace idemload::formats::csv {
namespace {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::optional<double> parse_double_fast(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && ptr == text.data() + text.size() && !text.empty()) return value;
  return parse_double(text);  // the rarer spellings the core accepts ("Infinity", ...)
}

// Appends the canonical decimal text of `text` (as core parse_decimal) to `out`; false when it
// is not a decimal.
bool append_decimal(std::string_view text, std::string& out) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  const size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return false;
  bool zero = true;
  for (char c : whole) {
    if (!is_digit(c)) return false;
    if (c != '0') zero = false;
  }
  for (char c : fraction) {
    if (!is_digit(c)) return false;
    if (c != '0') zero = false;
  }
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  if (negative && !zero) out.push_back('-');
  if (whole.empty()) {
    out.push_back('0');
  } else {
    out.append(whole);
  }
  if (!fraction.empty()) {
    out.push_back('.');
    out.append(fraction);
  }
  return true;
}

template <typename Parse>
void convert_ints(const std::string_view* cells, size_t count, Column& column, std::vector<uint32_t>& bad_rows,
                  Parse parse) {
  auto& valid = column.validity();
  auto& ints = column.ints();
  const size_t base = valid.size();
  valid.resize(base + count);
  ints.resize(base + count);
  uint8_t* valid_out = valid.data() + base;
  int64_t* ints_out = ints.data() + base;
  for (size_t row = 0; row < count; ++row) {
    const std::string_view text = cells[row];
    if (text.empty()) {
      valid_out[row] = 0;
      ints_out[row] = 0;
      continue;
    }
    std::optional<int64_t> value = parse(text);
    valid_out[row] = value ? 1 : 0;
    ints_out[row] = value ? *value : 0;
    if (!value) bad_rows.push_back(static_cast<uint32_t>(row));
  }
}

void convert_doubles(const std::string_view* cells, size_t count, Column& column, std::vector<uint32_t>& bad_rows) {
  auto& valid = column.validity();
  auto& doubles = column.doubles();
  const size_t base = valid.size();
  valid.resize(base + count);
  doubles.resize(base + count);
  for (size_t row = 0; row < count; ++row) {
    const std::string_view text = cells[row];
    if (text.empty()) {
      valid[base + row] = 0;
      doubles[base + row] = 0;
      continue;
    }
    std::optional<double> value = parse_double_fast(text);
    valid[base + row] = value ? 1 : 0;
    doubles[base + row] = value ? *value : 0;
    if (!value) bad_rows.push_back(static_cast<uint32_t>(row));
  }
}

void convert_bytes(const std::string_view* cells, size_t count, Column& column, std::vector<uint32_t>& bad_rows) {
  auto& valid = column.validity();
  auto& offsets = column.offsets();
  auto& bytes = column.bytes();
  const size_t base = valid.size();
  if (offsets.empty()) offsets.push_back(0);
  size_t total = 0;
  for (size_t row = 0; row < count; ++row) total += cells[row].size();
  bytes.reserve(bytes.size() + total);
  valid.resize(base + count);
  offsets.resize(base + count + 1);
  const bool decimal = column.type() == Type::kDecimal;
  for (size_t row = 0; row < count; ++row) {
    const std::string_view text = cells[row];
    bool ok = true;
    if (text.empty()) {
      valid[base + row] = 0;
    } else if (decimal) {
      const size_t mark = bytes.size();
      ok = append_decimal(text, bytes);
      if (!ok) bytes.resize(mark);
      valid[base + row] = ok ? 1 : 0;
    } else {
      bytes.append(text);
      valid[base + row] = 1;
    }
    offsets[base + row + 1] = bytes.size();
    if (!ok) bad_rows.push_back(static_cast<uint32_t>(row));
  }
}

}  // namespace

std::optional<int64_t> parse_integral_fast(std::string_view text) {
  const char* pos = text.data();
  const char* const end = pos + text.size();
  bool negative = false;
  if (pos < end && (*pos == '-' || *pos == '+')) {
    negative = *pos == '-';
    ++pos;
  }
  const char* const digits = pos;
  uint64_t value = 0;
  bool overflow = false;
  // Up to 18 digits cannot overflow 64 bits: no checks in the loop that sees nearly every value.
  const char* const unchecked_end = end - pos > 18 ? pos + 18 : end;
  while (pos < unchecked_end && is_digit(*pos)) {
    value = value * 10 + static_cast<uint64_t>(*pos - '0');
    ++pos;
  }
  while (pos < end && is_digit(*pos)) {
    overflow |= __builtin_mul_overflow(value, uint64_t{10}, &value);
    overflow |= __builtin_add_overflow(value, static_cast<uint64_t>(*pos - '0'), &value);
    ++pos;
  }
  if (pos == digits) return parse_integral(text);  // ".5", "", "-": rare, let the core decide
  if (pos < end && *pos == '.') {
    ++pos;
    while (pos < end && *pos == '0') ++pos;
  }
  if (pos != end) {
    // "1.5" is not integral, but "1.5e1" is: exponents go to the exact core parser.
    for (const char* scan = pos; scan < end; ++scan) {
      if (*scan == 'e' || *scan == 'E') return parse_integral(text);
    }
    return std::nullopt;
  }
  if (overflow) return std::nullopt;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (value > kMax + 1) return std::nullopt;
    return value == kMax + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(value);
  }
  if (value > kMax) return std::nullopt;
  return static_cast<int64_t>(value);
}

void convert_cells(const std::string_view* cells, size_t count, Column& column, std::vector<uint32_t>& bad_rows) {
  switch (column.type()) {
    case Type::kBool:
      convert_ints(cells, count, column, bad_rows, [](std::string_view text) -> std::optional<int64_t> {
        if (auto value = parse_bool(text)) return *value ? 1 : 0;
        return std::nullopt;
      });
      return;
    case Type::kInt64:
      convert_ints(cells, count, column, bad_rows, [](std::string_view text) { return parse_integral_fast(text); });
      return;
    case Type::kDate:
      convert_ints(cells, count, column, bad_rows, [](std::string_view text) { return parse_date(text); });
      return;
    case Type::kTimestamp:
      convert_ints(cells, count, column, bad_rows, [](std::string_view text) { return parse_timestamp(text); });
      return;
    case Type::kTime:
      convert_ints(cells, count, column, bad_rows, [](std::string_view text) { return parse_time(text); });
      return;
    case Type::kDouble: convert_doubles(cells, count, column, bad_rows); return;
    case Type::kString:
    case Type::kBinary:
    case Type::kDecimal: convert_bytes(cells, count, column, bad_rows); return;
  }
}

void drop_rows(Column& column, size_t base, const std::vector<uint8_t>& drop) {
  auto& valid = column.validity();
  const size_t rows = valid.size();
  size_t kept = base;
  switch (column.storage()) {
    case Storage::kInts: {
      auto& ints = column.ints();
      for (size_t row = base; row < rows; ++row) {
        if (drop[row - base]) continue;
        valid[kept] = valid[row];
        ints[kept] = ints[row];
        ++kept;
      }
      ints.resize(kept);
      break;
    }
    case Storage::kDoubles: {
      auto& doubles = column.doubles();
      for (size_t row = base; row < rows; ++row) {
        if (drop[row - base]) continue;
        valid[kept] = valid[row];
        doubles[kept] = doubles[row];
        ++kept;
      }
      doubles.resize(kept);
      break;
    }
    case Storage::kBytes: {
      auto& offsets = column.offsets();
      auto& bytes = column.bytes();
      uint64_t write_at = offsets[base];
      uint64_t start = offsets[base];
      for (size_t row = base; row < rows; ++row) {
        const uint64_t end = offsets[row + 1];  // read before offsets[kept + 1] may overwrite it
        if (!drop[row - base]) {
          const uint64_t length = end - start;
          if (write_at != start && length > 0) std::memmove(bytes.data() + write_at, bytes.data() + start, length);
          valid[kept] = valid[row];
          write_at += length;
          offsets[kept + 1] = write_at;
          ++kept;
        }
        start = end;
      }
      offsets.resize(kept + 1);
      bytes.resize(write_at);
      break;
    }
  }
  valid.resize(kept);
}

std::string describe_bad_value(Type type, std::string_view text) {
  constexpr size_t kShown = 60;
  std::string shown(text.substr(0, kShown));
  if (text.size() > kShown) shown += "...";
  if (type == Type::kInt64 && parse_double(text)) {
    return fmt::format("value '{}' is not an integer in the int64 range", shown);
  }
  return fmt::format("value '{}' is not a valid {}", shown, type_name(type));
}

}  // namespace idemload::formats::csv
