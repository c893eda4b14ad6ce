#include "formats/csv/csv_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"
#include "core/value_text.h"

namespace idemload::formats::csv {
namespace {

constexpr size_t kFlushBytes = size_t{1} << 20;

bool needs_quotes(std::string_view text, char delimiter) {
  for (char c : text) {
    if (c == delimiter || c == '"' || c == '\n' || c == '\r') return true;
  }
  return false;
}

}  // namespace

void append_csv_field(std::string_view text, std::string& out, char delimiter, bool quote_empty) {
  if (text.empty()) {
    if (quote_empty) out += "\"\"";
    return;
  }
  if (!needs_quotes(text, delimiter)) {
    out += text;
    return;
  }
  out.push_back('"');
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

CsvWriter::CsvWriter(std::string path, const Schema& schema, bool header)
    : path_(std::move(path)), columns_(schema.size()) {
  if (path_ == "-") {
    file_ = stdout;
  } else {
    file_ = std::fopen(path_.c_str(), "wb");
    if (file_ == nullptr) {
      throw Error::Io({.file = path_}, fmt::format("cannot open for writing: {}", std::strerror(errno)));
    }
    owns_file_ = true;
  }
  if (header) {
    for (size_t idx = 0; idx < schema.size(); ++idx) {
      if (idx > 0) buffer_.push_back(',');
      append_csv_field(schema.field(idx).name, buffer_);
    }
    buffer_ += "\n";
  }
}

CsvWriter::~CsvWriter() {
  if (file_ == nullptr) return;
  if (!buffer_.empty()) std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
  if (owns_file_) {
    std::fclose(file_);
  } else {
    std::fflush(file_);
  }
}

void CsvWriter::write(const Batch& batch) {
  if (file_ == nullptr) throw Error::Internal("CsvWriter::write after close");
  if (batch.num_columns() != columns_) {
    throw Error::InvalidInput(
        fmt::format("batch has {} columns, the CSV file {}", batch.num_columns(), columns_), {.file = path_});
  }
  const size_t rows = batch.num_rows();
  for (size_t row = 0; row < rows; ++row) {
    for (size_t col = 0; col < columns_; ++col) {
      if (col > 0) buffer_.push_back(',');
      const Column& column = batch.column(col);
      if (column.is_null(row)) continue;
      if (column.storage() == Storage::kBytes) {
        append_csv_field(column.bytes_at(row), buffer_, ',', true);
      } else {
        // Numbers, dates and times never need quotes.
        append_value_text(column, row, buffer_);
      }
    }
    buffer_.push_back('\n');
    if (buffer_.size() >= kFlushBytes) flush_buffer();
  }
  rows_ += static_cast<int64_t>(rows);
}

void CsvWriter::flush_buffer() {
  if (buffer_.empty()) return;
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
    throw Error::Io({.file = path_}, fmt::format("write failed: {}", std::strerror(errno)));
  }
  buffer_.clear();
}

void CsvWriter::close() {
  if (file_ == nullptr) return;
  flush_buffer();
  std::FILE* file = file_;
  file_ = nullptr;
  const bool failed = owns_file_ ? std::fclose(file) != 0 : std::fflush(file) != 0;
  if (failed) throw Error::Io({.file = path_}, fmt::format("cannot finish writing: {}", std::strerror(errno)));
}

RejectFile::RejectFile(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error::Io({.file = path_}, fmt::format("cannot open the reject file for writing: {}", std::strerror(errno)));
  }
  write_all("file,line,column,reason,raw\n");
}

RejectFile::~RejectFile() {
  if (fd_ >= 0) ::close(fd_);
}

void RejectFile::write(const Reject& reject) {
  line_.clear();
  append_csv_field(reject.file, line_);
  line_ += fmt::format(",{},", reject.line);
  append_csv_field(reject.column, line_);
  line_.push_back(',');
  append_csv_field(reject.reason, line_);
  line_.push_back(',');
  append_csv_field(reject.raw, line_);
  line_.push_back('\n');
  write_all(line_);
  ++count_;
}

void RejectFile::write_all(const std::string& text) {
  if (fd_ < 0) throw Error::Internal("RejectFile::write after close");
  size_t done = 0;
  while (done < text.size()) {
    ssize_t wrote = ::write(fd_, text.data() + done, text.size() - done);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      throw Error::Io({.file = path_}, fmt::format("cannot write to the reject file: {}", std::strerror(errno)));
    }
    done += static_cast<size_t>(wrote);
  }
}

void RejectFile::close() {
  if (fd_ < 0) return;
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw Error::Io({.file = path_}, fmt::format("cannot close the reject file: {}", std::strerror(errno)));
}

}  // namespace idemload::formats::csv
