#include "targets/mysql/mysql_dialect.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "core/value_text.h"

namespace idemload::targets::mysql {

namespace {

// Writes `value` as exactly `width` digits (zero-padded) at `out`; returns the end.
char* put_digits(char* out, int64_t value, int width) {
  for (int idx = width - 1; idx >= 0; --idx) {
    out[idx] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

char* put_date(char* out, int64_t days) {
  int64_t year = 0;
  unsigned month = 0, day = 0;
  civil_from_days(days, year, month, day);
  if (year < 0 || year > 9999) {
    out = std::to_chars(out, out + 12, year).ptr;
  } else {
    out = put_digits(out, year, 4);
  }
  *out++ = '-';
  out = put_digits(out, month, 2);
  *out++ = '-';
  return put_digits(out, day, 2);
}

char* put_time(char* out, int64_t micros) {
  int64_t seconds = micros / 1000000;
  int64_t fraction = micros % 1000000;
  out = put_digits(out, seconds / 3600, 2);
  *out++ = ':';
  out = put_digits(out, (seconds / 60) % 60, 2);
  *out++ = ':';
  out = put_digits(out, seconds % 60, 2);
  if (fraction != 0) {
    *out++ = '.';
    out = put_digits(out, fraction, 6);
  }
  return out;
}

void append_escaped(std::string_view text, std::string& out) {
  size_t start = 0;
  for (size_t idx = 0; idx < text.size(); ++idx) {
    char escape = 0;
    switch (text[idx]) {
      case '\\': escape = '\\'; break;
      case '\t': escape = 't'; break;
      case '\n': escape = 'n'; break;
      case '\r': escape = 'r'; break;
      case '\0': escape = '0'; break;
      default: continue;
    }
    out.append(text.data() + start, idx - start);
    out += '\\';
    out += escape;
    start = idx + 1;
  }
  out.append(text.data() + start, text.size() - start);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

int key_text_length(size_t variable_key_columns) {
  if (variable_key_columns <= 3) return 255;
  return static_cast<int>(768 / variable_key_columns) - 1;
}

std::string column_type(const Field& field, bool is_key, int key_length) {
  switch (field.type) {
    case Type::kBool: return "TINYINT(1)";
    case Type::kInt64: return "BIGINT";
    case Type::kDouble: return "DOUBLE";
    case Type::kString: return is_key ? fmt::format("VARCHAR({})", key_length) : "LONGTEXT";
    case Type::kBinary: return is_key ? fmt::format("VARBINARY({})", key_length) : "LONGBLOB";
    case Type::kDate: return "DATE";
    case Type::kTimestamp: return "DATETIME(6)";
    case Type::kTime: return "TIME(6)";
    case Type::kDecimal:
      return field.precision > 0 ? fmt::format("DECIMAL({},{})", field.precision, field.scale) : "DECIMAL(65,30)";
  }
  return "LONGTEXT";
}

Field field_from_column(std::string name, std::string_view data_type, std::string_view column_type_text,
                        int precision, int scale, bool nullable) {
  Field field{std::move(name), Type::kString, nullable};
  std::string type = lower(data_type);
  std::string full = lower(column_type_text);
  if (type == "tinyint" && full.rfind("tinyint(1)", 0) == 0) {
    field.type = Type::kBool;
  } else if (type == "bit" && (full == "bit(1)" || full == "bit")) {
    field.type = Type::kBool;
  } else if (type == "tinyint" || type == "smallint" || type == "mediumint" || type == "int" || type == "integer" ||
             type == "bigint" || type == "year") {
    field.type = Type::kInt64;
  } else if (type == "double" || type == "float" || type == "real" || type == "double precision") {
    field.type = Type::kDouble;
  } else if (type == "decimal" || type == "numeric") {
    field.type = Type::kDecimal;
    field.precision = precision;
    field.scale = scale;
  } else if (type == "date") {
    field.type = Type::kDate;
  } else if (type == "datetime" || type == "timestamp") {
    field.type = Type::kTimestamp;
  } else if (type == "time") {
    field.type = Type::kTime;
  } else if (type == "binary" || type == "varbinary" || type == "tinyblob" || type == "blob" || type == "mediumblob" ||
             type == "longblob") {
    field.type = Type::kBinary;
  }
  return field;
}

void append_infile_rows(const Batch& batch, const std::vector<size_t>& columns, std::string& out) {
  const size_t rows = batch.num_rows();
  char buffer[64];
  for (size_t row = 0; row < rows; ++row) {
    for (size_t pos = 0; pos < columns.size(); ++pos) {
      if (pos > 0) out += '\t';
      const Column& column = batch.column(columns[pos]);
      if (column.is_null(row)) {
        out += "\\N";
        continue;
      }
      char* end = buffer;
      switch (column.type()) {
        case Type::kBool: out += column.int_at(row) != 0 ? '1' : '0'; continue;
        case Type::kInt64: end = std::to_chars(buffer, buffer + sizeof buffer, column.int_at(row)).ptr; break;
        case Type::kDouble: {
          double value = column.double_at(row);
          if (!std::isfinite(value)) {
            ErrorContext context{.file = batch.source_file, .column = batch.schema().field(columns[pos]).name};
            if (row < batch.source_rows.size()) context.row = batch.source_rows[row];
            throw Error::InvalidInput(
                fmt::format("the value {} cannot be stored in MySQL (no NaN or infinity)", format_double(value)),
                context);
          }
          end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
          break;
        }
        case Type::kDate: end = put_date(buffer, column.int_at(row)); break;
        case Type::kTimestamp: {
          int64_t micros = column.int_at(row);
          int64_t days = micros / 86400000000LL;
          int64_t rest = micros % 86400000000LL;
          if (rest < 0) {
            rest += 86400000000LL;
            days -= 1;
          }
          end = put_date(buffer, days);
          *end++ = ' ';
          end = put_time(end, rest);
          break;
        }
        case Type::kTime: {
          int64_t micros = column.int_at(row);
          if (micros < 0) {
            *end++ = '-';
            micros = -micros;
          }
          end = put_time(end, micros);
          break;
        }
        case Type::kString:
        case Type::kBinary:
        case Type::kDecimal: append_escaped(column.bytes_at(row), out); continue;
      }
      out.append(buffer, end);
    }
    out += '\n';
  }
}

}  // namespace idemload::targets::mysql
