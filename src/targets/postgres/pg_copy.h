// Encoding batches for COPY … FROM STDIN: BINARY when every column has a binary encoding for its
// (source type, column type) pair, else text for the whole COPY (the server parses the values).
// Encoders work per batch into one reused buffer: no allocation per row.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/column.h"

namespace idemload::targets::postgres {

// The PostgreSQL type OIDs idemload reads and writes (pg_type.dat).
namespace oid {
inline constexpr Oid kBool = 16;
inline constexpr Oid kBytea = 17;
inline constexpr Oid kName = 19;
inline constexpr Oid kInt8 = 20;
inline constexpr Oid kInt2 = 21;
inline constexpr Oid kInt4 = 23;
inline constexpr Oid kText = 25;
inline constexpr Oid kFloat4 = 700;
inline constexpr Oid kFloat8 = 701;
inline constexpr Oid kBpchar = 1042;
inline constexpr Oid kVarchar = 1043;
inline constexpr Oid kDate = 1082;
inline constexpr Oid kTime = 1083;
inline constexpr Oid kTimestamp = 1114;
inline constexpr Oid kTimestamptz = 1184;
inline constexpr Oid kNumeric = 1700;
}  // namespace oid

// Days and microseconds between 1970-01-01 (ours) and 2000-01-01 (PostgreSQL's epoch).
inline constexpr int64_t kPgEpochDays = 10957;
inline constexpr int64_t kPgEpochMicros = kPgEpochDays * 86400LL * 1000000LL;

enum class BinaryEncoding : uint8_t {
  kBool, kInt8, kInt4, kInt2, kFloat8, kFloat4, kBytes, kDate, kTimestamp, kTime, kNumeric
};

// How a value of `type` is sent in binary into a column of type `column_oid`; nullopt when the
// pair needs the text format (the server then parses the text).
std::optional<BinaryEncoding> binary_encoding(Type type, Oid column_oid);

// Appends the binary NUMERIC form (with its int32 length) of the decimal text `text`
// ("-12.340"); false, appending nothing, when `text` is not [+-]digits[.digits].
// `scratch` is reused between calls.
bool append_numeric_binary(std::string_view text, std::vector<int16_t>& scratch, std::string& out);
// Appends `bytes` escaped for the COPY text format (backslash, tab, newline, carriage return).
void append_copy_text_escaped(std::string_view bytes, std::string& out);

struct CopyColumn {
  size_t source_column = 0;  // index in the batch
  std::string name;          // for error messages
  BinaryEncoding encoding = BinaryEncoding::kBytes;  // binary format only
};

// Encodes batches as the rows of one COPY: the given columns, then the lineage label (a
// constant) when set.
class CopyEncoder {
 public:
  CopyEncoder(std::vector<CopyColumn> columns, std::optional<std::string> lineage, bool binary);

  bool binary() const { return binary_; }
  // "(FORMAT binary)" or "" (text), for the COPY statement.
  std::string_view format_clause() const { return binary_ ? " (FORMAT binary)" : ""; }

  // Replaces `out` with the COPY data of all rows of `batch` (header and trailer included).
  // Throws kInvalidInput, naming the source file, row and column, for a value its column cannot
  // hold (an integer out of an int4 column's range, a decimal that is not decimal text).
  void encode(const Batch& batch, std::string& out);

 private:
  void encode_binary(const Batch& batch, std::string& out);
  void encode_text(const Batch& batch, std::string& out);
  [[noreturn]] void bad_value(const Batch& batch, size_t row, const CopyColumn& column, std::string_view what) const;

  std::vector<CopyColumn> columns_;
  std::optional<std::string> lineage_;
  bool binary_;
  std::vector<int16_t> digits_;
  std::string numeric_;  // one numeric value's encoding
};

}  // namespace idemload::targets::postgres
