// Columns and batches: the unit that flows formats -> ops -> strategies -> targets.
// A Column holds one typed vector plus a validity byte per row (1 = value, 0 = NULL);
// a Batch is a schema plus equally long columns, a few thousand rows at a time.
// Not thread-safe; a batch is owned by one stage at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"

namespace idemload {

class Column {
 public:
  explicit Column(Type type = Type::kString);

  Type type() const { return type_; }
  Storage storage() const { return storage_of(type_); }
  size_t size() const { return valid_.size(); }

  bool is_null(size_t row) const { return valid_[row] == 0; }
  int64_t int_at(size_t row) const { return ints_[row]; }
  double double_at(size_t row) const { return doubles_[row]; }
  std::string_view bytes_at(size_t row) const {
    return std::string_view(bytes_.data() + offsets_[row], offsets_[row + 1] - offsets_[row]);
  }

  void append_null();
  void append_int(int64_t value) {
    valid_.push_back(1);
    ints_.push_back(value);
  }
  void append_double(double value) {
    valid_.push_back(1);
    doubles_.push_back(value);
  }
  void append_bytes(std::string_view value);
  // Appends row `row` of `other`, which must have the same storage.
  void append_from(const Column& other, size_t row);

  void reserve(size_t rows);
  void clear();

  // Raw vectors for vectorized readers and writers. Invariants: validity size == rows;
  // ints/doubles size == rows for their storage (0 under NULL); offsets size == rows + 1.
  const std::vector<uint8_t>& validity() const { return valid_; }
  std::vector<uint8_t>& validity() { return valid_; }
  const std::vector<int64_t>& ints() const { return ints_; }
  std::vector<int64_t>& ints() { return ints_; }
  const std::vector<double>& doubles() const { return doubles_; }
  std::vector<double>& doubles() { return doubles_; }
  const std::vector<uint64_t>& offsets() const { return offsets_; }
  std::vector<uint64_t>& offsets() { return offsets_; }
  const std::string& bytes() const { return bytes_; }
  std::string& bytes() { return bytes_; }

  size_t null_count() const;

 private:
  Type type_;
  std::vector<uint8_t> valid_;
  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<uint64_t> offsets_;
  std::string bytes_;
};

// The columns of a batch that its reader has left undecoded (formats::BatchReader::
// defer_columns), read later for only the rows wanted: a batch that carries one holds only the
// columns its reader was asked to keep. Identifies rows by their file rows (Batch::
// source_rows). May be used on another thread than the reader's, by one thread at a time.
class DeferredColumns {
 public:
  virtual ~DeferredColumns() = default;
  // The reader's schema() indexes of the columns left out, in order.
  virtual const std::vector<size_t>& columns() const = 0;
  // Appends to out[i] the value of the i-th column left out at each of `file_rows`, which
  // ascend, each past every row an earlier call read. Throws as the reader's next() would for
  // a damaged page, naming file, row group, column, page and row.
  virtual void read(const std::vector<int64_t>& file_rows, const std::vector<Column*>& out) = 0;
};

class Batch {
 public:
  Batch() = default;
  explicit Batch(std::shared_ptr<const Schema> schema);

  const Schema& schema() const { return *schema_; }
  const std::shared_ptr<const Schema>& schema_ptr() const { return schema_; }
  size_t num_rows() const { return columns_.empty() ? 0 : columns_[0].size(); }
  size_t num_columns() const { return columns_.size(); }
  Column& column(size_t idx) { return columns_[idx]; }
  const Column& column(size_t idx) const { return columns_[idx]; }

  void clear();
  void reserve(size_t rows);
  // Appends row `row` of `other` (same schema).
  void append_row(const Batch& other, size_t row);
  // A new batch with the given rows of this one, in that order.
  Batch take(const std::vector<uint32_t>& rows) const;

  // Where the rows came from, for error messages: the source file and the source row (CSV
  // line, Parquet row) of each row; may be empty when unknown.
  std::string source_file;
  std::vector<int64_t> source_rows;
  // Set by a reader that defers columns (see DeferredColumns); cleared by clear().
  std::shared_ptr<DeferredColumns> deferred;

 private:
  std::shared_ptr<const Schema> schema_;
  std::vector<Column> columns_;
};

// Rows per batch that readers aim for.
inline constexpr size_t kDefaultBatchRows = 8192;

}  // namespace idemload
