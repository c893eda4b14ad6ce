#include "targets/postgres/pg_copy.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "core/value_text.h"

namespace idemload::targets::postgres {

namespace {

void put16(std::string& out, uint16_t value) {
  char bytes[2] = {static_cast<char>(value >> 8), static_cast<char>(value)};
  out.append(bytes, 2);
}

char* put16_at(char* at, uint16_t value) {
  value = __builtin_bswap16(value);
  std::memcpy(at, &value, 2);
  return at + 2;
}

char* put32_at(char* at, uint32_t value) {
  value = __builtin_bswap32(value);
  std::memcpy(at, &value, 4);
  return at + 4;
}

char* put64_at(char* at, uint64_t value) {
  value = __builtin_bswap64(value);
  std::memcpy(at, &value, 8);
  return at + 8;
}

void put32(std::string& out, uint32_t value) {
  char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16), static_cast<char>(value >> 8),
                   static_cast<char>(value)};
  out.append(bytes, 4);
}

// The COPY BINARY signature, flags (no OIDs) and an empty header extension.
constexpr std::string_view kBinaryHeader("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);

void append_double_text(double value, std::string& out) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    (void)ec;
    out.append(buf, end);
  }
}

}  // namespace

std::optional<BinaryEncoding> binary_encoding(Type type, Oid column_oid) {
  switch (type) {
    case Type::kBool:
      if (column_oid == oid::kBool) return BinaryEncoding::kBool;
      break;
    case Type::kInt64:
      if (column_oid == oid::kInt8) return BinaryEncoding::kInt8;
      if (column_oid == oid::kInt4) return BinaryEncoding::kInt4;
      if (column_oid == oid::kInt2) return BinaryEncoding::kInt2;
      break;
    case Type::kDouble:
      if (column_oid == oid::kFloat8) return BinaryEncoding::kFloat8;
      if (column_oid == oid::kFloat4) return BinaryEncoding::kFloat4;
      break;
    case Type::kString:
      // text_recv/varchar_recv/bpchar_recv take the raw bytes (and check UTF-8 and typmods).
      if (column_oid == oid::kText || column_oid == oid::kVarchar || column_oid == oid::kBpchar) {
        return BinaryEncoding::kBytes;
      }
      break;
    case Type::kBinary:
      if (column_oid == oid::kBytea) return BinaryEncoding::kBytes;
      break;
    case Type::kDate:
      if (column_oid == oid::kDate) return BinaryEncoding::kDate;
      break;
    case Type::kTimestamp:
      if (column_oid == oid::kTimestamp || column_oid == oid::kTimestamptz) return BinaryEncoding::kTimestamp;
      break;
    case Type::kTime:
      if (column_oid == oid::kTime) return BinaryEncoding::kTime;
      break;
    case Type::kDecimal:
      if (column_oid == oid::kNumeric) return BinaryEncoding::kNumeric;
      break;
  }
  return std::nullopt;
}

bool append_numeric_binary(std::string_view text, std::vector<int16_t>& scratch, std::string& out) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return false;
  for (char c : whole) {
    if (c < '0' || c > '9') return false;
  }
  for (char c : fraction) {
    if (c < '0' || c > '9') return false;
  }
  while (!whole.empty() && whole.front() == '0') whole.remove_prefix(1);
  // NUMERIC digits are base 10000, aligned so that the decimal point falls between groups;
  // `weight` is the power of 10000 of the first group.
  constexpr size_t kMaxDscale = 0x3FFF;
  if (fraction.size() > kMaxDscale || whole.size() > 4 * 32767) return false;
  scratch.clear();
  int64_t weight = static_cast<int64_t>((whole.size() + 3) / 4) - 1;
  size_t first_length = whole.size() % 4 == 0 ? 4 : whole.size() % 4;
  for (size_t pos = 0; pos < whole.size();) {
    size_t length = pos == 0 ? first_length : 4;
    int value = 0;
    for (size_t idx = 0; idx < length; ++idx) value = value * 10 + (whole[pos + idx] - '0');
    scratch.push_back(static_cast<int16_t>(value));
    pos += length;
  }
  for (size_t pos = 0; pos < fraction.size(); pos += 4) {
    int value = 0;
    for (size_t idx = 0; idx < 4; ++idx) {
      value = value * 10 + (pos + idx < fraction.size() ? fraction[pos + idx] - '0' : 0);
    }
    scratch.push_back(static_cast<int16_t>(value));
  }
  size_t first = 0;
  while (first < scratch.size() && scratch[first] == 0) {
    ++first;
    --weight;
  }
  size_t last = scratch.size();
  while (last > first && scratch[last - 1] == 0) --last;
  size_t ndigits = last - first;
  if (ndigits == 0) {  // zero: no digits, positive, but keeps its display scale
    weight = 0;
    negative = false;
  }
  put32(out, static_cast<uint32_t>(8 + 2 * ndigits));
  put16(out, static_cast<uint16_t>(ndigits));
  put16(out, static_cast<uint16_t>(static_cast<int16_t>(weight)));
  put16(out, negative ? 0x4000 : 0x0000);
  put16(out, static_cast<uint16_t>(fraction.size()));
  for (size_t idx = first; idx < last; ++idx) put16(out, static_cast<uint16_t>(scratch[idx]));
  return true;
}

void append_copy_text_escaped(std::string_view bytes, std::string& out) {
  size_t start = 0;
  for (size_t pos = 0; pos < bytes.size(); ++pos) {
    char c = bytes[pos];
    char escaped = 0;
    switch (c) {
      case '\\': escaped = '\\'; break;
      case '\n': escaped = 'n'; break;
      case '\r': escaped = 'r'; break;
      case '\t': escaped = 't'; break;
      default: continue;
    }
    out.append(bytes.data() + start, pos - start);
    out += '\\';
    out += escaped;
    start = pos + 1;
  }
  out.append(bytes.data() + start, bytes.size() - start);
}

CopyEncoder::CopyEncoder(std::vector<CopyColumn> columns, std::optional<std::string> lineage, bool binary)
    : columns_(std::move(columns)), lineage_(std::move(lineage)), binary_(binary) {}

void CopyEncoder::encode(const Batch& batch, std::string& out) {
  out.clear();
  if (binary_) {
    encode_binary(batch, out);
  } else {
    encode_text(batch, out);
  }
}

void CopyEncoder::bad_value(const Batch& batch, size_t row, const CopyColumn& column, std::string_view what) const {
  ErrorContext context{.file = batch.source_file, .column = column.name};
  if (row < batch.source_rows.size()) context.row = batch.source_rows[row];
  throw Error::InvalidInput(fmt::format("value '{}' {}", value_text(batch.column(column.source_column), row).substr(0, 80),
                                        what),
                            std::move(context));
}

void CopyEncoder::encode_binary(const Batch& batch, std::string& out) {
  const size_t rows = batch.num_rows();
  const auto fields = static_cast<uint16_t>(columns_.size() + (lineage_ ? 1 : 0));
  // Values are written through a pointer into `out`, sized before each row for the row's
  // largest encoding: a fixed-width value takes at most 4 + 8 bytes, a string 4 + its bytes, a
  // numeric at most 16 + its text (4 + 8 + 2 per four digits).
  const size_t row_fixed = 2 + 12 * columns_.size() + (lineage_ ? 4 + lineage_->size() : 0);
  std::vector<const CopyColumn*> variable;  // columns whose encoded size depends on the value
  for (const CopyColumn& copy_column : columns_) {
    if (copy_column.encoding == BinaryEncoding::kBytes || copy_column.encoding == BinaryEncoding::kNumeric) {
      variable.push_back(&copy_column);
    }
  }
  out.resize(kBinaryHeader.size() + 2 + rows * row_fixed);
  std::memcpy(out.data(), kBinaryHeader.data(), kBinaryHeader.size());
  size_t used = kBinaryHeader.size();
  for (size_t row = 0; row < rows; ++row) {
    size_t row_bound = row_fixed + 2;  // + the trailer after the last row
    for (const CopyColumn* copy_column : variable) {
      const Column& column = batch.column(copy_column->source_column);
      if (column.is_null(row)) continue;
      row_bound += column.bytes_at(row).size() + (copy_column->encoding == BinaryEncoding::kNumeric ? 4 : 0);
    }
    if (out.size() - used < row_bound) out.resize(std::max(out.size() + out.size() / 2, used + row_bound));
    char* at = out.data() + used;
    at = put16_at(at, fields);
    for (const CopyColumn& copy_column : columns_) {
      const Column& column = batch.column(copy_column.source_column);
      if (column.is_null(row)) {
        at = put32_at(at, 0xFFFFFFFFu);  // -1: NULL
        continue;
      }
      switch (copy_column.encoding) {
        case BinaryEncoding::kBool:
          at = put32_at(at, 1);
          *at++ = static_cast<char>(column.int_at(row) != 0 ? 1 : 0);
          break;
        case BinaryEncoding::kInt8:
          at = put32_at(at, 8);
          at = put64_at(at, static_cast<uint64_t>(column.int_at(row)));
          break;
        case BinaryEncoding::kInt4: {
          int64_t value = column.int_at(row);
          if (value < std::numeric_limits<int32_t>::min() || value > std::numeric_limits<int32_t>::max()) {
            bad_value(batch, row, copy_column, "is out of range for the column's type integer");
          }
          at = put32_at(at, 4);
          at = put32_at(at, static_cast<uint32_t>(static_cast<int32_t>(value)));
          break;
        }
        case BinaryEncoding::kInt2: {
          int64_t value = column.int_at(row);
          if (value < std::numeric_limits<int16_t>::min() || value > std::numeric_limits<int16_t>::max()) {
            bad_value(batch, row, copy_column, "is out of range for the column's type smallint");
          }
          at = put32_at(at, 2);
          at = put16_at(at, static_cast<uint16_t>(static_cast<int16_t>(value)));
          break;
        }
        case BinaryEncoding::kFloat8:
          at = put32_at(at, 8);
          at = put64_at(at, std::bit_cast<uint64_t>(column.double_at(row)));
          break;
        case BinaryEncoding::kFloat4:
          at = put32_at(at, 4);
          at = put32_at(at, std::bit_cast<uint32_t>(static_cast<float>(column.double_at(row))));
          break;
        case BinaryEncoding::kBytes: {
          std::string_view bytes = column.bytes_at(row);
          at = put32_at(at, static_cast<uint32_t>(bytes.size()));
          if (!bytes.empty()) std::memcpy(at, bytes.data(), bytes.size());
          at += bytes.size();
          break;
        }
        case BinaryEncoding::kDate:
          at = put32_at(at, 4);
          at = put32_at(at, static_cast<uint32_t>(static_cast<int32_t>(column.int_at(row) - kPgEpochDays)));
          break;
        case BinaryEncoding::kTimestamp:
          at = put32_at(at, 8);
          at = put64_at(at, static_cast<uint64_t>(column.int_at(row) - kPgEpochMicros));
          break;
        case BinaryEncoding::kTime:
          at = put32_at(at, 8);
          at = put64_at(at, static_cast<uint64_t>(column.int_at(row)));
          break;
        case BinaryEncoding::kNumeric:
          numeric_.clear();
          if (!append_numeric_binary(column.bytes_at(row), digits_, numeric_)) {
            bad_value(batch, row, copy_column, "is not a decimal number");
          }
          std::memcpy(at, numeric_.data(), numeric_.size());
          at += numeric_.size();
          break;
      }
    }
    if (lineage_) {
      at = put32_at(at, static_cast<uint32_t>(lineage_->size()));
      std::memcpy(at, lineage_->data(), lineage_->size());
      at += lineage_->size();
    }
    used = static_cast<size_t>(at - out.data());
  }
  put16_at(out.data() + used, 0xFFFF);  // trailer: field count -1 (room kept by row_bound)
  out.resize(used + 2);
}

void CopyEncoder::encode_text(const Batch& batch, std::string& out) {
  const size_t rows = batch.num_rows();
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t row = 0; row < rows; ++row) {
    bool first = true;
    for (const CopyColumn& copy_column : columns_) {
      if (!first) out += '\t';
      first = false;
      const Column& column = batch.column(copy_column.source_column);
      if (column.is_null(row)) {
        out += "\\N";
        continue;
      }
      switch (column.type()) {
        case Type::kBool: out += column.int_at(row) != 0 ? 't' : 'f'; break;
        case Type::kDouble: append_double_text(column.double_at(row), out); break;
        case Type::kString:
        case Type::kDecimal: append_copy_text_escaped(column.bytes_at(row), out); break;
        case Type::kBinary:
          out += "\\\\x";  // bytea hex input, its backslash escaped for COPY
          for (unsigned char c : column.bytes_at(row)) {
            out += kHex[c >> 4];
            out += kHex[c & 15];
          }
          break;
        case Type::kInt64:
        case Type::kDate:
        case Type::kTimestamp:
        case Type::kTime: append_value_text(column, row, out); break;
      }
    }
    if (lineage_) {
      if (!first) out += '\t';
      append_copy_text_escaped(*lineage_, out);
    }
    out += '\n';
  }
}

}  // namespace idemload::targets::postgres
