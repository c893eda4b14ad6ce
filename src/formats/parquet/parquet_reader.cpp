#include "formats/parquet/parquet_reader.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "formats/parquet/column_reader.h"
#include "formats/parquet/file_reader.h"

namespace idemload::formats::parquet {

namespace {

// The columns a ParquetBatchReader left out of its batches (defer_columns), read row group by
// row group for the file rows asked for: a row group none of whose rows is asked for is never
// read, and within one a data page none of whose rows is asked for is never decompressed
// (ColumnReader::skip). Shares the file with the reader: ParquetFile::read_chunk reads with
// pread and keeps no position, so the two may read at once on their two threads.
class DeferredParquetColumns : public DeferredColumns {
 public:
  DeferredParquetColumns(std::shared_ptr<const ParquetFile> file, std::vector<size_t> columns,
                         std::vector<size_t> file_columns)
      : file_(std::move(file)),
        columns_(std::move(columns)),
        file_columns_(std::move(file_columns)) {
    int64_t first = 0;
    for (const auto& group : file_->metadata().row_groups) {
      group_first_rows_.push_back(first);
      first += group.num_rows;
    }
    group_first_rows_.push_back(first);
    readers_.reserve(file_columns_.size());
    for (size_t idx : file_columns_) readers_.emplace_back(file_->columns()[idx]);
  }

  const std::vector<size_t>& columns() const override { return columns_; }

  void read(const std::vector<int64_t>& file_rows, const std::vector<Column*>& out) override {
    if (out.size() != readers_.size()) {
      throw Error::Internal(
          fmt::format("{} columns deferred, {} asked for", readers_.size(), out.size()));
    }
    size_t idx = 0;
    while (idx < file_rows.size()) {
      const int64_t row = file_rows[idx];
      if (row < position_) {
        throw Error::Internal(
            fmt::format("deferred row {} asked for after row {}", row, position_));
      }
      if (row >= group_end()) open_group_of(row);
      // The run of rows asked for that follow each other in this row group.
      size_t run = 1;
      while (idx + run < file_rows.size() &&
             file_rows[idx + run] == row + static_cast<int64_t>(run) &&
             row + static_cast<int64_t>(run) < group_end()) {
        ++run;
      }
      const auto gap = static_cast<size_t>(row - position_);
      for (size_t col = 0; col < readers_.size(); ++col) {
        if (gap > 0) readers_[col].skip(gap);
        readers_[col].read(run, *out[col]);
      }
      position_ = row + static_cast<int64_t>(run);
      idx += run;
    }
  }

 private:
  int64_t group_end() const {
    return group_ < 0 ? 0 : group_first_rows_[static_cast<size_t>(group_) + 1];
  }

  // Reads the chunks of the row group that holds file row `row` (past the current one).
  void open_group_of(int64_t row) {
    const auto& groups = file_->metadata().row_groups;
    if (row < 0 || row >= group_first_rows_.back()) {
      throw Error::Internal(fmt::format("deferred row {} is outside the file's {} rows", row,
                                        group_first_rows_.back()));
    }
    // The last row group starting at or before `row` (an empty one shares its start with the next).
    const auto after =
        std::upper_bound(group_first_rows_.begin(), group_first_rows_.end() - 1, row);
    const auto group_idx = static_cast<size_t>(after - group_first_rows_.begin()) - 1;
    const RowGroup& group = groups[group_idx];
    for (size_t col = 0; col < readers_.size(); ++col) {
      const ColumnDescriptor& column = file_->columns()[file_columns_[col]];
      file_->read_chunk(group_idx, column, readers_[col].chunk_buffer());
      readers_[col].start_chunk(group.columns[column.leaf_index].meta_data.codec, group.num_rows,
                                group_first_rows_[group_idx],
                                ErrorContext{.file = file_->path(),
                                             .row_group = static_cast<int64_t>(group_idx),
                                             .column = column.name});
    }
    group_ = static_cast<int64_t>(group_idx);
    position_ = group_first_rows_[group_idx];
  }

  std::shared_ptr<const ParquetFile> file_;
  std::vector<size_t> columns_;       // the reader's schema indexes
  std::vector<size_t> file_columns_;  // indexes into file_->columns()
  std::vector<ColumnReader> readers_;
  std::vector<int64_t> group_first_rows_;  // per row group, then the file's row count
  int64_t group_ = -1;                     // the row group the readers hold
  int64_t position_ = 0;                   // the file row the readers are at
};

// Streams a file one row group at a time: a ColumnReader per projected column holds that
// column's chunk; batches are cut from the row group in batch_rows pieces.
class ParquetBatchReader : public BatchReader {
 public:
  ParquetBatchReader(const std::string& path, std::unique_ptr<ByteSource> source,
                     const SourceOptions& options)
      : file_(std::make_shared<ParquetFile>(path, std::move(source))),
        batch_rows_(std::max<size_t>(options.batch_rows, 1)) {
    const auto& columns = file_->columns();
    Schema all;
    for (const auto& column : columns) all.add(column.field);
    if (options.columns.empty()) {
      for (size_t idx = 0; idx < columns.size(); ++idx) projection_.push_back(idx);
    } else {
      projection_ = all.indexes_of(options.columns, "column", path);
    }
    Schema schema;
    for (size_t idx : projection_) {
      const auto& column = columns[idx];
      if (!column.unsupported.empty()) {
        throw Error::NotSupported(column.unsupported,
                                  ErrorContext{.file = path, .column = column.name});
      }
      schema.add(column.field);
    }
    schema_ = std::make_shared<const Schema>(std::move(schema));
    batch_schema_ = schema_;
    decoded_ = projection_;
  }

  const std::shared_ptr<const Schema>& schema() const override { return schema_; }
  int64_t rows_read() const override { return rows_read_; }
  int64_t rows_rejected() const override { return 0; }
  // The row groups' counts (what next() delivers), not the file-level count, which nothing checks.
  std::optional<int64_t> rows_expected() const override {
    int64_t rows = 0;
    for (const auto& group : file_->metadata().row_groups)
      rows += group.num_rows;  // checked: no overflow
    return rows;
  }

  bool defer_columns(const std::vector<size_t>& keep) override {
    if (deferred_ || rows_read_ > 0 || !readers_.empty() || keep.empty()) return false;
    // A column projected twice (--columns a,a) would have two readers to tell apart.
    std::vector<size_t> projected = projection_;
    std::sort(projected.begin(), projected.end());
    if (std::adjacent_find(projected.begin(), projected.end()) != projected.end()) return false;
    std::vector<bool> kept(projection_.size(), false);
    for (size_t idx : keep) {
      if (idx >= projection_.size() || kept[idx]) return false;
      kept[idx] = true;
    }
    std::vector<size_t> columns, file_columns;
    for (size_t idx = 0; idx < projection_.size(); ++idx) {
      if (kept[idx]) continue;
      columns.push_back(idx);
      file_columns.push_back(projection_[idx]);
    }
    if (columns.empty()) return false;  // nothing to leave out
    decoded_.clear();
    for (size_t idx : keep) decoded_.push_back(projection_[idx]);
    batch_schema_ = std::make_shared<const Schema>(schema_->select(keep));
    deferred_ = std::make_shared<DeferredParquetColumns>(file_, std::move(columns),
                                                         std::move(file_columns));
    return true;
  }

  void stop_deferring() override {
    if (!deferred_) return;
    deferred_.reset();
    batch_schema_ = schema_;
    // The columns left out join the readers, in the projection's order, at the row the others
    // are at (within the current row group, if one is open).
    if (group_rows_left_ > 0) {
      const size_t group_idx = next_group_ - 1;
      const RowGroup& group = file_->metadata().row_groups[group_idx];
      const int64_t done = group.num_rows - group_rows_left_;
      std::vector<ColumnReader> readers;
      readers.reserve(projection_.size());
      for (size_t idx : projection_) {
        auto kept = std::find(decoded_.begin(), decoded_.end(), idx);
        if (kept != decoded_.end()) {
          readers.push_back(std::move(readers_[static_cast<size_t>(kept - decoded_.begin())]));
          continue;
        }
        const ColumnDescriptor& column = file_->columns()[idx];
        ColumnReader& reader = readers.emplace_back(column);
        file_->read_chunk(group_idx, column, reader.chunk_buffer());
        reader.start_chunk(group.columns[column.leaf_index].meta_data.codec, group.num_rows,
                           file_row_ - done,
                           ErrorContext{.file = file_->path(),
                                        .row_group = static_cast<int64_t>(group_idx),
                                        .column = column.name});
        reader.skip(static_cast<size_t>(done));
      }
      readers_ = std::move(readers);
    } else {
      readers_.clear();  // open_row_group makes them, for every column
    }
    decoded_ = projection_;
  }

  bool next(Batch& out) override {
    if (out.schema_ptr() != batch_schema_) {
      out = Batch(batch_schema_);
    } else {
      out.clear();
    }
    out.source_file = file_->path();
    if (decoded_.empty()) return false;
    while (group_rows_left_ == 0) {
      if (next_group_ >= file_->metadata().row_groups.size()) return false;
      size_t group_idx = next_group_++;
      if (file_->metadata().row_groups[group_idx].num_rows > 0) open_row_group(group_idx);
    }
    const size_t take =
        static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(batch_rows_), group_rows_left_));
    out.reserve(take);
    for (size_t idx = 0; idx < readers_.size(); ++idx) readers_[idx].read(take, out.column(idx));
    out.source_rows.resize(take);
    for (size_t row = 0; row < take; ++row)
      out.source_rows[row] = file_row_ + static_cast<int64_t>(row);
    out.deferred = deferred_;
    file_row_ += static_cast<int64_t>(take);
    group_rows_left_ -= static_cast<int64_t>(take);
    rows_read_ += static_cast<int64_t>(take);
    return true;
  }

 private:
  void open_row_group(size_t group_idx) {
    const RowGroup& group = file_->metadata().row_groups[group_idx];
    if (readers_.empty()) {
      // One reader per decoded column for the whole file: its buffers are reused by every
      // row group.
      readers_.reserve(decoded_.size());
      for (size_t idx : decoded_) readers_.emplace_back(file_->columns()[idx]);
    }
    for (size_t reader_idx = 0; reader_idx < decoded_.size(); ++reader_idx) {
      const ColumnDescriptor& column = file_->columns()[decoded_[reader_idx]];
      ColumnReader& reader = readers_[reader_idx];
      file_->read_chunk(group_idx, column, reader.chunk_buffer());
      reader.start_chunk(group.columns[column.leaf_index].meta_data.codec, group.num_rows,
                         file_row_,
                         ErrorContext{.file = file_->path(),
                                      .row_group = static_cast<int64_t>(group_idx),
                                      .column = column.name});
    }
    group_rows_left_ = group.num_rows;
  }

  std::shared_ptr<const ParquetFile> file_;
  size_t batch_rows_;
  std::vector<size_t> projection_;  // schema_'s columns: indexes into file_->columns()
  std::vector<size_t> decoded_;     // next()'s columns: indexes into file_->columns()
  std::shared_ptr<const Schema> schema_;
  std::shared_ptr<const Schema> batch_schema_;  // schema_, or the columns kept (defer_columns)
  std::shared_ptr<DeferredParquetColumns> deferred_;
  std::vector<ColumnReader> readers_;
  size_t next_group_ = 0;
  int64_t group_rows_left_ = 0;
  int64_t file_row_ = 0;
  int64_t rows_read_ = 0;
};

}  // namespace

std::unique_ptr<BatchReader> open_parquet(const std::string& path, const SourceOptions& options) {
  return std::make_unique<ParquetBatchReader>(path, open_file_source(path), options);
}

std::unique_ptr<BatchReader> open_parquet_buffer(std::string_view bytes, const std::string& name,
                                                 const SourceOptions& options) {
  return std::make_unique<ParquetBatchReader>(name, memory_source(bytes), options);
}

}  // namespace idemload::formats::parquet
