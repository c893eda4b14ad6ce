#include "formats/source.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "core/error.h"
#include "core/failpoint.h"
#include "core/key_hash.h"
#include "formats/csv/csv_reader.h"
#include "formats/parquet/parquet_reader.h"

namespace idemload::formats {

namespace {

bool is_parquet_path(const std::string& path) {
  std::string lower = path;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (std::string_view ext : {".parquet", ".parq", ".pq"}) {
    if (lower.size() >= ext.size() && lower.compare(lower.size() - ext.size(), ext.size(), ext) == 0) return true;
  }
  return false;
}

bool has_glob(const std::string& text) { return text.find_first_of("*?[") != std::string::npos; }

}  // namespace

std::unique_ptr<BatchReader> open_file(const std::string& path, const SourceOptions& options) {
  IDEMLOAD_FAILPOINT(source_open);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw Error::InvalidInput("source file does not exist", ErrorContext{.file = path});
  }
  if (std::filesystem::is_directory(path, ec)) {
    throw Error::InvalidInput("source is a directory, not a file (use a glob such as DIR/*.csv)",
                              ErrorContext{.file = path});
  }
  if (is_parquet_path(path)) return parquet::open_parquet(path, options);
  return csv::open_csv(path, options);
}

std::vector<std::string> expand_sources(const std::vector<std::string>& patterns) {
  std::vector<std::string> out;
  for (const auto& pattern : patterns) {
    if (!has_glob(pattern)) {
      std::error_code ec;
      if (!std::filesystem::exists(pattern, ec)) {
        throw Error::InvalidInput("source file does not exist", ErrorContext{.file = pattern});
      }
      out.push_back(pattern);
      continue;
    }
    glob_t matches{};
    int rc = ::glob(pattern.c_str(), 0, nullptr, &matches);
    if (rc == GLOB_NOMATCH || matches.gl_pathc == 0) {
      globfree(&matches);
      throw Error::InvalidInput(fmt::format("source pattern '{}' matches no file", pattern));
    }
    for (size_t idx = 0; idx < matches.gl_pathc; ++idx) out.emplace_back(matches.gl_pathv[idx]);
    globfree(&matches);
  }
  return out;
}

std::string fingerprint(const std::vector<std::string>& paths) {
  // Names, sizes, and a hash of the first 64 KiB and the last 1 MiB (the Parquet footer lives
  // there; for CSV, appended or truncated data changes the size and the tail). Costs at most
  // ~1 MiB of reading per file, so that "already loaded?" is cheap whatever the size.
  uint64_t digest = 0x6964656d6c6f6164ULL;
  std::string buffer;
  for (const auto& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw Error::Io({.file = path}, "cannot stat source file");
    digest = hash_bytes(std::filesystem::path(path).filename().string(), digest);
    digest = hash_bytes(std::to_string(st.st_size), digest);
    FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) throw Error::Io({.file = path}, "cannot open source file");
    auto read_at = [&](long offset, size_t length) {
      buffer.resize(length);
      std::fseek(file, offset, SEEK_SET);
      size_t got = std::fread(buffer.data(), 1, length, file);
      buffer.resize(got);
      digest = hash_bytes(buffer, digest);
    };
    const long size = static_cast<long>(st.st_size);
    read_at(0, static_cast<size_t>(std::min<long>(size, 64 * 1024)));
    if (size > 64 * 1024) {
      long tail = std::min<long>(size - 64 * 1024, 1024 * 1024);
      read_at(size - tail, static_cast<size_t>(tail));
    }
    std::fclose(file);
  }
  return fmt::format("{:016x}", digest);
}

MultiFileReader::MultiFileReader(std::vector<std::string> paths, SourceOptions options)
    : paths_(std::move(paths)), options_(std::move(options)) {
  if (paths_.empty()) throw Error::InvalidInput("no source files given");
  open_next();
  if (!current_) throw Error::InvalidInput("every source file was skipped as corrupt");
  schema_ = current_->schema();
  if (auto rows = current_->rows_expected(); rows && *rows >= 0) {
    std::error_code first_ec;
    const auto first = static_cast<double>(std::filesystem::file_size(paths_[file_idx_ - 1], first_ec));
    double all = 0;
    for (const auto& path : paths_) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(path, ec);
      if (!ec) all += static_cast<double>(size);
    }
    rows_expected_ = *rows;
    if (!first_ec && first > 0 && all > first) {
      rows_expected_ = static_cast<int64_t>(std::min(static_cast<double>(*rows) * (all / first), 1e15));
    }
  }
}

void MultiFileReader::open_next() {
  current_.reset();
  while (file_idx_ < paths_.size()) {
    const std::string& path = paths_[file_idx_++];
    try {
      // Later files are read with the first file's column types: each CSV file would otherwise
      // infer its own (a huge value early in one file must not change a column's type).
      SourceOptions options = options_;
      if (schema_) {
        for (const auto& field : schema_->fields()) options.column_types.emplace(field.name, field.type);
      }
      current_ = open_file(path, options);
    } catch (const Error& error) {
      if (options_.ignore_corrupt_files && error.kind() == ErrorKind::kCorruption) {
        skipped_.push_back(path + ": " + error.what());
        continue;
      }
      throw;
    }
    if (schema_ && !(current_->schema()->fields() == schema_->fields())) {
      throw Error::SchemaDrift(fmt::format("columns ({}) differ from those of {} ({})", current_->schema()->to_string(),
                                           paths_.front(), schema_->to_string()),
                               ErrorContext{.file = path});
    }
    if (keep_) current_->defer_columns(*keep_);
    return;
  }
}

bool MultiFileReader::next(Batch& out) {
  while (current_) {
    bool got = false;
    try {
      got = current_->next(out);
    } catch (const Error& error) {
      if (options_.ignore_corrupt_files && error.kind() == ErrorKind::kCorruption) {
        // Rows of this file already delivered stay delivered; the file is reported as skipped.
        skipped_.push_back(paths_[file_idx_ - 1] + ": " + error.what());
        rejected_done_ += current_->rows_rejected();
        open_next();
        continue;
      }
      throw;
    }
    if (got) {
      rows_read_ += static_cast<int64_t>(out.num_rows());
      return true;
    }
    rejected_done_ += current_->rows_rejected();
    open_next();
  }
  return false;
}

bool MultiFileReader::defer_columns(const std::vector<size_t>& keep) {
  if (options_.ignore_corrupt_files || keep_ || rows_read_ > 0 || !current_) return false;
  if (!current_->defer_columns(keep)) return false;
  keep_ = keep;
  return true;
}

void MultiFileReader::stop_deferring() {
  keep_.reset();
  if (current_) current_->stop_deferring();
}

int64_t MultiFileReader::rows_rejected() const {
  return rejected_done_ + (current_ ? current_->rows_rejected() : 0);
}

const std::string& MultiFileReader::current_file() const {
  static const std::string kNone;
  return file_idx_ == 0 ? kNone : paths_[file_idx_ - 1];
}

}  // namespace idemload::formats
