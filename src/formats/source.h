// The source side of a load: a stream of columnar batches read from staging files (Parquet or
// CSV), chosen by file extension. Nothing in formats/ knows about databases.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/column.h"

namespace idemload::formats {

// A row that could not be read (wrong field count, a value that does not parse as its column's
// type). Passed to the RejectHandler; never thrown.
struct Reject {
  std::string file;
  int64_t line = 0;      // 1-based physical line where the record starts (CSV), row (Parquet)
  std::string column;    // empty when the whole row is bad
  std::string reason;
  std::string raw;       // the record's text as read (CSV), may be empty
};
using RejectHandler = std::function<void(const Reject&)>;

struct SourceOptions {
  // Columns to read (projection); empty = all, in file order.
  std::vector<std::string> columns;
  size_t batch_rows = kDefaultBatchRows;
  // CSV: per-column type overrides ("cik" -> kString), rows sampled for inference, delimiter.
  std::map<std::string, Type> column_types;
  size_t infer_rows = 10000;
  char delimiter = ',';
  bool header = true;
  // Called for each rejected row. Defaults to counting only.
  RejectHandler on_reject;
  // Skip (and report) a file that turns out to be corrupt instead of failing (Parquet).
  bool ignore_corrupt_files = false;
};

// Reads batches from one file. Contract: schema() is fixed once open succeeds; next() fills
// `out` (cleared first) with up to batch_rows rows and returns false at the end; the batch is
// valid until the next call. Throws idemload::Error (kIo, kCorruption, kInvalidInput) with the
// file, row group/page or line, and column in its context.
class BatchReader {
 public:
  virtual ~BatchReader() = default;
  virtual const std::shared_ptr<const Schema>& schema() const = 0;
  virtual bool next(Batch& out) = 0;
  virtual int64_t rows_read() const = 0;      // rows delivered so far
  virtual int64_t rows_rejected() const = 0;  // rows passed to on_reject so far
  // How many rows the whole stream holds, when the reader can tell before reading it (a
  // Parquet footer). Only a hint for sizing memory: a corrupt file may claim anything.
  virtual std::optional<int64_t> rows_expected() const { return std::nullopt; }
  // Asks next() to decode only the columns `keep` (indexes into schema(), no repeats): its
  // batches then hold those columns, in that order, with source_rows, and carry the others as
  // a DeferredColumns (Batch::deferred), to be read for the rows that turn out to be wanted.
  // Only before the first next(). False when the reader cannot (nothing changes then); a
  // reader of several files may still hand over some files' batches whole.
  virtual bool defer_columns(const std::vector<size_t>& keep) {
    (void)keep;
    return false;
  }
  // After defer_columns: the batches from the next one on are whole again (those handed over
  // keep their DeferredColumns), e.g. once most rows turn out to be wanted. On the thread that
  // calls next().
  virtual void stop_deferring() {}
};

// Opens `path` by its extension (.parquet/.parq/.pq -> Parquet, anything else -> CSV).
// Throws Error(kInvalidInput) for a missing file.
std::unique_ptr<BatchReader> open_file(const std::string& path, const SourceOptions& options);

// Expands globs ("logs/*.csv") in order; a pattern that matches nothing is an error
// (kInvalidInput naming it). Plain paths must exist.
std::vector<std::string> expand_sources(const std::vector<std::string>& patterns);

// A description of a set of source files that changes when any file changes: names, sizes,
// modification times and a content hash (for Parquet the footer). Hex string.
std::string fingerprint(const std::vector<std::string>& paths);

// Reads several files as one stream. Every file must have the same schema as the first
// (kSchemaDrift naming both otherwise). With ignore_corrupt_files, a file that fails with
// kCorruption is skipped and listed in skipped_files().
class MultiFileReader : public BatchReader {
 public:
  MultiFileReader(std::vector<std::string> paths, SourceOptions options);
  const std::shared_ptr<const Schema>& schema() const override { return schema_; }
  bool next(Batch& out) override;
  int64_t rows_read() const override { return rows_read_; }
  int64_t rows_rejected() const override;
  // The first file's hint scaled by the size of all the files (the others are not opened
  // before their turn); none when the first file gives none.
  std::optional<int64_t> rows_expected() const override { return rows_expected_; }
  // When the first file's reader can. Each later file is asked as it is opened; one that
  // cannot (CSV) hands over whole batches. Never with ignore_corrupt_files: a damaged page
  // read later, outside next(), could not skip its file.
  bool defer_columns(const std::vector<size_t>& keep) override;
  void stop_deferring() override;
  const std::vector<std::string>& skipped_files() const { return skipped_; }
  const std::string& current_file() const;

 private:
  void open_next();
  std::vector<std::string> paths_;
  SourceOptions options_;
  size_t file_idx_ = 0;
  std::unique_ptr<BatchReader> current_;
  std::shared_ptr<const Schema> schema_;
  int64_t rows_read_ = 0;
  int64_t rejected_done_ = 0;
  std::optional<int64_t> rows_expected_;
  std::vector<std::string> skipped_;
  std::optional<std::vector<size_t>> keep_;  // defer_columns
};

}  // namespace idemload::formats
