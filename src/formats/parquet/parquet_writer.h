// Writes flat Parquet files from batches: one column chunk per column and row group, data page
// v1 with RLE definition levels, PLAIN or dictionary (RLE_DICTIONARY) values, page CRCs, and
// min/max/null-count statistics. Types map as: bool -> BOOLEAN, int64 -> INT64, double ->
// DOUBLE, string -> BYTE_ARRAY STRING, binary -> BYTE_ARRAY, date -> INT32 DATE, timestamp ->
// INT64 TIMESTAMP(UTC, MICROS), time -> INT64 TIME(MICROS), decimal -> INT64 (precision <= 18)
// or FIXED_LEN_BYTE_ARRAY(16) DECIMAL (precision 0 is written as 38).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/column.h"
#include "formats/parquet/file_metadata.h"

namespace idemload::formats::parquet {

struct ParquetWriteOptions {
  Codec codec = Codec::kSnappy;     // UNCOMPRESSED, SNAPPY, GZIP or ZSTD
  size_t row_group_rows = 122880;   // rows per row group
  bool dictionary = true;           // dictionary-encode columns whose dictionary stays small
  size_t page_bytes = 1 << 20;      // target size of a data page's values
};

// "uncompressed", "snappy", "gzip", "zstd" (any case) -> the codec; nullopt otherwise.
std::optional<Codec> parse_write_codec(std::string_view name);

// Not thread-safe. The file is complete only after close(); a writer destroyed without close()
// leaves a file without a footer, which every reader refuses.
class ParquetWriter {
 public:
  // Creates (truncates) `path`. Throws Error(kIo) when it cannot, kNotSupported for a codec we
  // cannot write.
  ParquetWriter(std::string path, const Schema& schema, ParquetWriteOptions options = {});
  ~ParquetWriter();
  ParquetWriter(const ParquetWriter&) = delete;
  ParquetWriter& operator=(const ParquetWriter&) = delete;

  // Appends the rows of `batch`, whose columns must have the writer's types (kInvalidInput
  // otherwise, or for a NULL in a non-nullable column or a decimal that does not fit). Writes a
  // row group whenever row_group_rows rows are buffered. Throws kIo when writing fails.
  void write(const Batch& batch);
  // Writes the last row group and the footer, and closes the file. Throws kIo.
  void close();

  int64_t rows_written() const { return rows_written_; }

 private:
  struct State;
  void flush_row_group();
  void write_bytes(std::string_view bytes);

  std::string path_;
  std::shared_ptr<const Schema> schema_;
  ParquetWriteOptions options_;
  std::unique_ptr<State> state_;
  int64_t rows_written_ = 0;
  bool closed_ = false;
};

}  // namespace idemload::formats::parquet
