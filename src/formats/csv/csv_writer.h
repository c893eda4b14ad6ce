// CSV output (RFC 4180): CsvWriter writes batches as CSV rows, and RejectFile writes the rows a
// reader rejected, one CSV line each (file,line,column,reason,raw). Fields are quoted only when
// they must be (a delimiter, quote, CR or LF inside); NULL is an empty field and an empty string
// is "". Not thread-safe.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "core/column.h"
#include "formats/source.h"

namespace idemload::formats::csv {

class CsvWriter {
 public:
  // Opens `path` for writing (truncating it), "-" = stdout, and writes the header line when
  // `header`. Throws Error(kIo) naming the file when it cannot be opened.
  explicit CsvWriter(std::string path, const Schema& schema, bool header = true);
  // Closes without reporting errors; call close() to see them.
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  // Appends the rows of `batch`, whose columns must match the schema given at construction.
  // Throws Error(kIo) on a write error, kInvalidInput when the batch has other columns.
  void write(const Batch& batch);
  // Flushes and closes the file (stdout is flushed, not closed). Throws Error(kIo).
  void close();
  int64_t rows_written() const { return rows_; }

 private:
  void flush_buffer();

  std::string path_;
  size_t columns_;
  std::FILE* file_ = nullptr;
  bool owns_file_ = false;
  std::string buffer_;
  std::string value_;
  int64_t rows_ = 0;
};

// Appends `text` to `out` as one CSV field: quoted (with quotes doubled) only when it holds a
// delimiter, a quote, CR or LF, or when it is empty and `quote_empty`.
void append_csv_field(std::string_view text, std::string& out, char delimiter = ',', bool quote_empty = false);

// The reject file behind `load --reject-file`: a header line, then one line per Reject, each
// written straight to the file (no buffering), so that a crash loses none.
class RejectFile {
 public:
  // Creates or truncates `path`. Throws Error(kIo).
  explicit RejectFile(std::string path);
  ~RejectFile();
  RejectFile(const RejectFile&) = delete;
  RejectFile& operator=(const RejectFile&) = delete;

  // Appends one line. Throws Error(kIo).
  void write(const Reject& reject);
  // Closes the file. Throws Error(kIo).
  void close();
  int64_t count() const { return count_; }
  const std::string& path() const { return path_; }

 private:
  void write_all(const std::string& text);

  std::string path_;
  int fd_ = -1;
  int64_t count_ = 0;
  std::string line_;
};

}  // namespace idemload::formats::csv
