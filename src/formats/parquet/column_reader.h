// Reads one column chunk, page by page, into Columns: "read N rows into this column", nothing
// more. Each data page is decoded in one go (levels, then values by their encoding, then the
// conversion to our type); read() hands out rows from the decoded page.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/column.h"
#include "core/error.h"
#include "formats/parquet/column_descriptor.h"
#include "formats/parquet/decoders/delta_byte_array.h"
#include "formats/parquet/file_metadata.h"

namespace idemload::formats::parquet {

class ColumnReader {
 public:
  // `chunk` holds the chunk's bytes (ParquetFile::read_chunk); `num_rows` is the row group's row
  // count; `first_row` the file row of its first row (for error contexts). `column` must
  // outlive the reader.
  ColumnReader(const ColumnDescriptor& column, Codec codec, std::string chunk, int64_t num_rows, int64_t first_row,
               ErrorContext context);

  // Appends the next `rows` rows to `out` (whose type is the column's Field type). Throws
  // Error(kCorruption) for damaged pages or a chunk holding fewer rows than its row group, and
  // kNotSupported for an unknown encoding, with file, row group, column and page (0-based
  // index of the page in the chunk) in the context.
  void read(size_t rows, Column& out);

  int64_t pages_read() const { return page_idx_ + 1; }

 private:
  bool next_data_page();
  void decode_dictionary_page(const PageHeader& header, std::string_view payload);
  void decode_data_page(const PageHeader& header, std::string_view payload);
  void decode_values(int32_t encoding, const uint8_t* data, size_t size, size_t rows, size_t values, bool is_v1);
  const uint8_t* decompress_into_buffer(std::string_view compressed, size_t uncompressed_size);

  const ColumnDescriptor& column_;
  Codec codec_;
  std::string chunk_;
  size_t chunk_pos_ = 0;
  int64_t rows_left_;  // rows of the row group not yet decoded into a page
  int64_t num_rows_;
  int64_t first_row_;
  int64_t page_idx_ = -1;
  int64_t page_first_row_ = 0;
  ErrorContext context_;

  std::vector<uint8_t> buffer_;  // decompressed page
  Column dictionary_;
  bool has_dictionary_ = false;
  Column page_;  // the current data page, converted
  size_t page_pos_ = 0;

  // Scratch reused across pages.
  std::vector<uint8_t> valid_;
  std::vector<uint8_t> fixed_;
  std::vector<std::string_view> views_;
  std::vector<uint32_t> indices_;
  std::vector<int64_t> ints_;
  DeltaByteArrayScratch delta_scratch_;
  std::string storage_;
};

}  // namespace idemload::formats::parquet
