#include "core/column.h"

namespace idemload {

Column::Column(Type type) : type_(type) { offsets_.push_back(0); }

void Column::append_null() {
  valid_.push_back(0);
  switch (storage()) {
    case Storage::kInts: ints_.push_back(0); break;
    case Storage::kDoubles: doubles_.push_back(0); break;
    case Storage::kBytes: offsets_.push_back(bytes_.size()); break;
  }
}

void Column::append_bytes(std::string_view value) {
  valid_.push_back(1);
  bytes_.append(value);
  offsets_.push_back(bytes_.size());
}

void Column::append_from(const Column& other, size_t row) {
  if (other.is_null(row)) {
    append_null();
    return;
  }
  switch (storage()) {
    case Storage::kInts: append_int(other.int_at(row)); break;
    case Storage::kDoubles: append_double(other.double_at(row)); break;
    case Storage::kBytes: append_bytes(other.bytes_at(row)); break;
  }
}

void Column::reserve(size_t rows) {
  valid_.reserve(rows);
  switch (storage()) {
    case Storage::kInts: ints_.reserve(rows); break;
    case Storage::kDoubles: doubles_.reserve(rows); break;
    case Storage::kBytes: offsets_.reserve(rows + 1); break;
  }
}

void Column::clear() {
  valid_.clear();
  ints_.clear();
  doubles_.clear();
  offsets_.assign(1, 0);
  bytes_.clear();
}

size_t Column::null_count() const {
  size_t nulls = 0;
  for (uint8_t v : valid_) nulls += (v == 0);
  return nulls;
}

Batch::Batch(std::shared_ptr<const Schema> schema) : schema_(std::move(schema)) {
  columns_.reserve(schema_->size());
  for (const auto& field : schema_->fields()) columns_.emplace_back(field.type);
}

void Batch::clear() {
  for (auto& column : columns_) column.clear();
  source_rows.clear();
  deferred.reset();
}

void Batch::reserve(size_t rows) {
  for (auto& column : columns_) column.reserve(rows);
}

void Batch::append_row(const Batch& other, size_t row) {
  for (size_t idx = 0; idx < columns_.size(); ++idx) columns_[idx].append_from(other.columns_[idx], row);
  if (!other.source_rows.empty()) source_rows.push_back(other.source_rows[row]);
}

Batch Batch::take(const std::vector<uint32_t>& rows) const {
  Batch out(schema_);
  out.source_file = source_file;
  out.reserve(rows.size());
  for (uint32_t row : rows) out.append_row(*this, row);
  return out;
}

}  // namespace idemload
