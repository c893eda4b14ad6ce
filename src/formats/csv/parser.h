// Parser: the second CSV stage. Splits whole RFC 4180 records out of a block of bytes into
// field views, without allocating per field: a field points into the block, or, when it had to
// be unescaped ("" -> "), into an arena owned by ParsedRecords. Tracks the 1-based physical
// line where each record starts (newlines inside quotes count). Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace idemload::formats::csv {

enum class RecordStatus : uint8_t {
  kOk,
  kTextAfterQuote,  // a closing quote followed by something other than a delimiter or newline
  kUnterminated,    // the file ended inside a quoted field
};

// The records of one parse() call. Views are valid while the parsed block is (until the
// Chunker's next fill()) and this object is not cleared.
struct ParsedRecords {
  std::vector<std::string_view> fields;  // every field of every record, record after record
  std::vector<uint32_t> field_end;       // per record: one past its last index in `fields`
  std::vector<int64_t> lines;            // per record: the line it starts on
  std::vector<std::string_view> raw;     // per record: its text without the terminator
  std::vector<RecordStatus> status;      // per record
  std::vector<uint8_t> quoted;           // per field: 1 when the field was quoted
  std::string arena;                     // unescaped fields

  size_t size() const { return lines.size(); }
  size_t field_begin(size_t record) const { return record == 0 ? 0 : field_end[record - 1]; }
  size_t field_count(size_t record) const { return field_end[record] - field_begin(record); }
  void clear();
};

class Parser {
 public:
  explicit Parser(char delimiter = ',', int64_t first_line = 1);

  // Parses up to `max_records` whole records from the start of `data` and appends them to
  // `out`. Returns the bytes consumed: always the end of a record (after its CRLF/LF) or of
  // skipped blank lines. A record cut off by the end of `data` is left for the next call unless
  // `final` (end of file), where the last record needs no terminator. Lines that are entirely
  // empty are skipped. Never throws: malformed records come back with a status.
  size_t parse(std::string_view data, bool final, size_t max_records, ParsedRecords& out);

  // The line the next record starts on.
  int64_t next_line() const { return line_; }
  void set_next_line(int64_t line) { line_ = line; }

 private:
  char delimiter_;
  int64_t line_;
  bool special_[256];  // delimiter, '\n', '\r'
};

}  // namespace idemload::formats::csv
