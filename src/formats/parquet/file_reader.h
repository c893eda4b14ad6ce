// A Parquet file opened for reading: its bytes (a real file or a buffer), its footer, and the
// mapping of its schema to idemload Fields. Row groups are read through column_reader.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "formats/parquet/column_descriptor.h"
#include "formats/parquet/file_metadata.h"

namespace idemload::formats::parquet {

// Random access to bytes. read_at throws Error(kIo) when the bytes cannot be read and
// Error(kCorruption) when they lie past the end.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  virtual void read_at(uint64_t offset, size_t length, std::string& out) = 0;
};

// Throws Error(kInvalidInput) for a missing file, kIo when it cannot be opened.
std::unique_ptr<ByteSource> open_file_source(const std::string& path);
// The bytes must outlive the source.
std::unique_ptr<ByteSource> memory_source(std::string_view bytes);

class ParquetFile {
 public:
  // Reads and checks the magic bytes and the footer. Throws Error(kCorruption) for a file that
  // is not Parquet or whose footer is damaged, kNotSupported for an encrypted footer; the
  // context names `path`.
  ParquetFile(std::string path, std::unique_ptr<ByteSource> source);

  const std::string& path() const { return path_; }
  const FileMetaData& metadata() const { return metadata_; }
  // Top-level columns (see describe_columns).
  const std::vector<ColumnDescriptor>& columns() const { return columns_; }
  uint64_t file_size() const { return source_->size(); }
  uint32_t footer_size() const { return footer_size_; }

  // The bytes of one column chunk (dictionary and data pages). Throws Error(kCorruption) when the
  // chunk's range lies outside the file's data, with file, row group and column in the context.
  void read_chunk(size_t row_group, const ColumnDescriptor& column, std::string& out) const;

 private:
  std::string path_;
  std::unique_ptr<ByteSource> source_;
  FileMetaData metadata_;
  std::vector<ColumnDescriptor> columns_;
  uint32_t footer_size_ = 0;
};

}  // namespace idemload::formats::parquet
