#include "ops/gather.h"

#include <cstring>

#include "core/error.h"

namespace idemload::ops {

namespace {

template <typename T>
void gather_fixed(const std::vector<T>& from, const uint32_t* selection, size_t count, std::vector<T>& to) {
  size_t start = to.size();
  to.resize(start + count);
  T* dest = to.data() + start;
  const T* src = from.data();
  for (size_t idx = 0; idx < count; ++idx) dest[idx] = src[selection[idx]];
}

void gather_bytes(const Column& from, const uint32_t* selection, size_t count, Column& to) {
  const std::vector<uint64_t>& from_offsets = from.offsets();
  const std::string& from_bytes = from.bytes();
  std::vector<uint64_t>& offsets = to.offsets();
  std::string& bytes = to.bytes();

  // First pass: the new offsets and the total size, so that the bytes are copied into a buffer
  // grown once.
  size_t first_offset = offsets.size();
  offsets.resize(first_offset + count);
  uint64_t end = bytes.size();
  for (size_t idx = 0; idx < count; ++idx) {
    uint32_t row = selection[idx];
    end += from_offsets[row + 1] - from_offsets[row];
    offsets[first_offset + idx] = end;
  }
  size_t write_at = bytes.size();
  bytes.resize(end);
  char* dest = bytes.data();
  const char* src = from_bytes.data();
  for (size_t idx = 0; idx < count; ++idx) {
    uint32_t row = selection[idx];
    uint64_t length = from_offsets[row + 1] - from_offsets[row];
    std::memcpy(dest + write_at, src + from_offsets[row], length);
    write_at += length;
  }
}

}  // namespace

void reset_like(const Batch& in, Batch& out) {
  if (out.schema_ptr() != in.schema_ptr()) {
    out = Batch(in.schema_ptr());
  } else {
    out.clear();
  }
  out.source_file = in.source_file;
}

void gather_append(const Batch& in, const uint32_t* selection, size_t count, Batch& out) {
  if (out.num_columns() == 0 && in.num_columns() != 0) out = Batch(in.schema_ptr());
  if (out.num_columns() != in.num_columns()) {
    throw Error::Internal("gather: batches have " + std::to_string(in.num_columns()) + " and " +
                          std::to_string(out.num_columns()) + " columns");
  }
  out.source_file = in.source_file;
  for (size_t column_idx = 0; column_idx < in.num_columns(); ++column_idx) {
    const Column& from = in.column(column_idx);
    Column& to = out.column(column_idx);
    if (from.storage() != to.storage() || from.type() != to.type()) {
      throw Error::Internal("gather: column " + std::to_string(column_idx) + " is " +
                            std::string(type_name(from.type())) + " in the input and " +
                            std::string(type_name(to.type())) + " in the output");
    }
    gather_fixed(from.validity(), selection, count, to.validity());
    switch (from.storage()) {
      case Storage::kInts: gather_fixed(from.ints(), selection, count, to.ints()); break;
      case Storage::kDoubles: gather_fixed(from.doubles(), selection, count, to.doubles()); break;
      case Storage::kBytes: gather_bytes(from, selection, count, to); break;
    }
  }
  if (!in.source_rows.empty()) gather_fixed(in.source_rows, selection, count, out.source_rows);
}

void RowPermuter::apply(Batch& batch, const std::vector<uint32_t>& order) {
  const size_t rows = batch.num_rows();
  if (order.size() != rows) {
    throw Error::Internal("permute: " + std::to_string(order.size()) + " positions for " + std::to_string(rows) +
                          " rows");
  }
  auto permute_fixed = [&order, rows](auto& values, auto& scratch) {
    scratch.clear();
    gather_fixed(values, order.data(), rows, scratch);
    std::swap(values, scratch);
  };
  for (size_t column_idx = 0; column_idx < batch.num_columns(); ++column_idx) {
    Column& column = batch.column(column_idx);
    permute_fixed(column.validity(), validity_);
    switch (column.storage()) {
      case Storage::kInts: permute_fixed(column.ints(), ints_); break;
      case Storage::kDoubles: permute_fixed(column.doubles(), doubles_); break;
      case Storage::kBytes: {
        const std::vector<uint64_t>& from_offsets = column.offsets();
        offsets_.resize(rows + 1);
        offsets_[0] = 0;
        for (size_t idx = 0; idx < rows; ++idx) {
          const uint32_t row = order[idx];
          offsets_[idx + 1] = offsets_[idx] + (from_offsets[row + 1] - from_offsets[row]);
        }
        bytes_.resize(offsets_[rows]);
        const char* src = column.bytes().data();
        char* dest = bytes_.data();
        for (size_t idx = 0; idx < rows; ++idx) {
          const uint32_t row = order[idx];
          std::memcpy(dest + offsets_[idx], src + from_offsets[row], offsets_[idx + 1] - offsets_[idx]);
        }
        std::swap(column.offsets(), offsets_);
        std::swap(column.bytes(), bytes_);
        break;
      }
    }
  }
  if (batch.source_rows.size() == rows) permute_fixed(batch.source_rows, source_rows_);
}

void gather(const Batch& in, const std::vector<uint32_t>& selection, Batch& out) {
  reset_like(in, out);
  gather_append(in, selection.data(), selection.size(), out);
}

}  // namespace idemload::ops
