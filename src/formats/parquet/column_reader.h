// Reads one column, chunk by chunk and page by page, into Columns: "read N rows into this
// column", nothing more. A data page's levels are decoded when the page is opened; its values
// are decoded and converted straight into the caller's Column, a slice at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/column.h"
#include "core/error.h"
#include "formats/parquet/column_descriptor.h"
#include "formats/parquet/decoders/delta_byte_array.h"
#include "formats/parquet/decoders/rle_bp.h"
#include "formats/parquet/file_metadata.h"
#include "formats/parquet/value_conversion.h"

namespace idemload::formats::parquet {

// One reader serves every row group of a column: its buffers (chunk bytes, decompressed page,
// dictionary, scratch) keep their capacity from one chunk to the next, so that a scan does
// not allocate per page or per row group. Not thread-safe.
class ColumnReader {
 public:
  // `column` must outlive the reader.
  explicit ColumnReader(const ColumnDescriptor& column);

  // The buffer the next chunk's bytes go into (ParquetFile::read_chunk) before start_chunk().
  std::string& chunk_buffer() { return chunk_; }

  // Starts reading the chunk in chunk_buffer(): `num_rows` is the row group's row count,
  // `first_row` the file row of its first row, `context` names file, row group and column.
  void start_chunk(Codec codec, int64_t num_rows, int64_t first_row, ErrorContext context);

  // Appends the next `rows` rows to `out` (whose type is the column's Field type). Throws
  // Error(kCorruption) for damaged pages or a chunk holding fewer rows than its row group, and
  // kNotSupported for an unknown encoding, with file, row group, column, page (0-based index of
  // the page in the chunk) and row (the file row where the damaged slice or page starts) in the
  // context. After a throw `out` may hold part of the rows.
  void read(size_t rows, Column& out);
  // Passes over the next `rows` rows as read() would, without appending them anywhere. A data
  // page that lies wholly inside them is passed over unopened: neither its CRC checked nor its
  // bytes decompressed or decoded (its header is still read). Throws as read() does.
  void skip(size_t rows);

  int64_t pages_read() const { return page_idx_ + 1; }

 private:
  // Where the values of the current data page come from.
  enum class Source : uint8_t {
    kDense,       // decoded in full when the page was opened (dense_)
    kDictionary,  // dictionary indices, decoded a slice at a time (indices_decoder_)
    kPlainBytes,  // PLAIN BYTE_ARRAY, copied a slice at a time from values_[values_pos_, ...)
  };

  bool next_data_page();
  // Passes over the next page when it is a data page of at most `rows` rows (taking them off
  // `rows`); false, having passed over nothing, for any other page or the chunk's end.
  bool skip_data_page(size_t& rows);
  // read()'s and skip()'s error context: the page, and the row where `pos` of it starts.
  Error in_context(const Error& error) const;
  void decode_dictionary_page(const PageHeader& header, std::string_view payload);
  void decode_data_page(const PageHeader& header, std::string_view payload);
  void open_values(int32_t encoding, const uint8_t* data, size_t size, size_t values);
  void append_slice(size_t rows, Column& out);
  const uint8_t* decompress_into_buffer(std::string_view compressed, size_t uncompressed_size);

  const ColumnDescriptor& column_;
  Codec codec_ = Codec::kUncompressed;
  std::string chunk_;
  size_t chunk_pos_ = 0;
  int64_t rows_left_ = 0;  // rows of the row group not yet decoded into a page
  int64_t num_rows_ = 0;
  int64_t first_row_ = 0;
  int64_t page_idx_ = -1;
  int64_t page_first_row_ = 0;
  ErrorContext context_;

  std::vector<uint8_t> buffer_;  // decompressed page
  Column dictionary_;
  bool has_dictionary_ = false;
  Column skipped_;  // skip(): the rows of a page partly skipped, decoded and dropped

  // The current data page: its rows, validity (null when every row has a value) and values.
  size_t page_rows_ = 0;
  size_t page_pos_ = 0;
  const uint8_t* page_valid_ = nullptr;
  Source source_ = Source::kDense;
  DenseValues dense_;
  RleBpDecoder indices_decoder_;
  const uint8_t* values_ = nullptr;  // kPlainBytes: the page's value bytes
  size_t values_size_ = 0;
  size_t values_pos_ = 0;

  // Scratch reused across pages and chunks.
  std::vector<uint8_t> valid_;
  std::vector<uint8_t> fixed_;
  std::vector<std::string_view> views_;
  std::vector<uint32_t> indices_;
  std::vector<int64_t> ints_;
  DeltaByteArrayScratch delta_scratch_;
  std::string storage_;
};

}  // namespace idemload::formats::parquet
