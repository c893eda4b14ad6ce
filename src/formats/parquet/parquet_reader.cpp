#include "formats/parquet/parquet_reader.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "formats/parquet/column_reader.h"
#include "formats/parquet/file_reader.h"

namespace idemload::formats::parquet {

namespace {

// Streams a file one row group at a time: a ColumnReader per projected column holds that
// column's chunk; batches are cut from the row group in batch_rows pieces.
class ParquetBatchReader : public BatchReader {
 public:
  ParquetBatchReader(const std::string& path, std::unique_ptr<ByteSource> source,
                     const SourceOptions& options)
      : file_(path, std::move(source)), batch_rows_(std::max<size_t>(options.batch_rows, 1)) {
    const auto& columns = file_.columns();
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
  }

  const std::shared_ptr<const Schema>& schema() const override { return schema_; }
  int64_t rows_read() const override { return rows_read_; }
  int64_t rows_rejected() const override { return 0; }
  // The row groups' counts (what next() delivers), not the file-level count, which nothing checks.
  std::optional<int64_t> rows_expected() const override {
    int64_t rows = 0;
    for (const auto& group : file_.metadata().row_groups) rows += group.num_rows;  // checked: no overflow
    return rows;
  }

  bool next(Batch& out) override {
    if (out.schema_ptr() != schema_) {
      out = Batch(schema_);
    } else {
      out.clear();
    }
    out.source_file = file_.path();
    if (projection_.empty()) return false;
    while (group_rows_left_ == 0) {
      if (next_group_ >= file_.metadata().row_groups.size()) return false;
      size_t group_idx = next_group_++;
      if (file_.metadata().row_groups[group_idx].num_rows > 0) open_row_group(group_idx);
    }
    const size_t take =
        static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(batch_rows_), group_rows_left_));
    out.reserve(take);
    for (size_t idx = 0; idx < readers_.size(); ++idx) readers_[idx].read(take, out.column(idx));
    out.source_rows.resize(take);
    for (size_t row = 0; row < take; ++row)
      out.source_rows[row] = file_row_ + static_cast<int64_t>(row);
    file_row_ += static_cast<int64_t>(take);
    group_rows_left_ -= static_cast<int64_t>(take);
    rows_read_ += static_cast<int64_t>(take);
    return true;
  }

 private:
  void open_row_group(size_t group_idx) {
    const RowGroup& group = file_.metadata().row_groups[group_idx];
    if (readers_.empty()) {
      // One reader per projected column for the whole file: its buffers are reused by every
      // row group.
      readers_.reserve(projection_.size());
      for (size_t idx : projection_) readers_.emplace_back(file_.columns()[idx]);
    }
    for (size_t reader_idx = 0; reader_idx < projection_.size(); ++reader_idx) {
      const ColumnDescriptor& column = file_.columns()[projection_[reader_idx]];
      ColumnReader& reader = readers_[reader_idx];
      file_.read_chunk(group_idx, column, reader.chunk_buffer());
      reader.start_chunk(group.columns[column.leaf_index].meta_data.codec, group.num_rows,
                         file_row_,
                         ErrorContext{.file = file_.path(),
                                      .row_group = static_cast<int64_t>(group_idx),
                                      .column = column.name});
    }
    group_rows_left_ = group.num_rows;
  }

  ParquetFile file_;
  size_t batch_rows_;
  std::vector<size_t> projection_;
  std::shared_ptr<const Schema> schema_;
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
