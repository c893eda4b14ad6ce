#include "formats/parquet/file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"

namespace idemload::formats::parquet {

namespace {

class FileSource : public ByteSource {
 public:
  FileSource(std::string path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  uint64_t size() const override { return size_; }

  void read_at(uint64_t offset, size_t length, std::string& out) override {
    if (offset > size_ || length > size_ - offset) {
      throw Error::Corruption({.file = path_}, fmt::format("read of {} bytes at offset {} is past the end of the file ({} bytes)",
                                                           length, offset, size_));
    }
    out.resize(length);
    size_t done = 0;
    while (done < length) {
      ssize_t got = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        throw Error::Io({.file = path_}, fmt::format("read failed: {}", std::strerror(errno)));
      }
      if (got == 0) throw Error::Io({.file = path_}, "file shrank while being read");
      done += static_cast<size_t>(got);
    }
  }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
};

class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  void read_at(uint64_t offset, size_t length, std::string& out) override {
    if (offset > bytes_.size() || length > bytes_.size() - offset) {
      throw Error::Corruption({}, fmt::format("read of {} bytes at offset {} is past the end of the data", length, offset));
    }
    out.assign(bytes_.data() + offset, length);
  }

 private:
  std::string_view bytes_;
};

constexpr char kMagic[] = "PAR1";
constexpr char kEncryptedMagic[] = "PARE";

}  // namespace

std::unique_ptr<ByteSource> open_file_source(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw Error::InvalidInput("source file does not exist", {.file = path});
    throw Error::Io({.file = path}, fmt::format("cannot open: {}", std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw Error::Io({.file = path}, fmt::format("cannot stat: {}", std::strerror(err)));
  }
  return std::make_unique<FileSource>(path, fd, static_cast<uint64_t>(st.st_size));
}

std::unique_ptr<ByteSource> memory_source(std::string_view bytes) { return std::make_unique<MemorySource>(bytes); }

ParquetFile::ParquetFile(std::string path, std::unique_ptr<ByteSource> source)
    : path_(std::move(path)), source_(std::move(source)) {
  const ErrorContext context{.file = path_};
  const uint64_t size = source_->size();
  if (size < 12) throw Error::Corruption(context, fmt::format("not a Parquet file: only {} bytes", size));
  std::string buffer;
  source_->read_at(0, 4, buffer);
  if (buffer != kMagic) throw Error::Corruption(context, "not a Parquet file: no PAR1 magic at the start");
  source_->read_at(size - 8, 8, buffer);
  if (std::memcmp(buffer.data() + 4, kEncryptedMagic, 4) == 0) {
    throw Error::NotSupported("encrypted Parquet footers are not supported", context);
  }
  if (std::memcmp(buffer.data() + 4, kMagic, 4) != 0) {
    throw Error::Corruption(context, "not a Parquet file (or truncated): no PAR1 magic at the end");
  }
  std::memcpy(&footer_size_, buffer.data(), 4);
  if (footer_size_ == 0 || footer_size_ > size - 12) {
    throw Error::Corruption(context, fmt::format("footer length {} does not fit in a file of {} bytes", footer_size_, size));
  }
  source_->read_at(size - 8 - footer_size_, footer_size_, buffer);
  try {
    metadata_ = parse_file_metadata(reinterpret_cast<const uint8_t*>(buffer.data()), buffer.size());
    size_t leaf_count = 0;
    columns_ = describe_columns(metadata_, leaf_count);
    int64_t total_rows = 0;
    for (size_t group_idx = 0; group_idx < metadata_.row_groups.size(); ++group_idx) {
      const auto& group = metadata_.row_groups[group_idx];
      if (group.columns.size() != leaf_count) {
        throw Error::Corruption({.row_group = static_cast<int64_t>(group_idx)},
                                fmt::format("row group has {} column chunks, the schema {} columns", group.columns.size(), leaf_count));
      }
      for (size_t leaf = 0; leaf < group.columns.size(); ++leaf) {
        const auto& chunk = group.columns[leaf];
        if (!chunk.has_meta_data) {
          throw Error::Corruption({.row_group = static_cast<int64_t>(group_idx)}, "column chunk without metadata (encrypted?)");
        }
      }
      if (__builtin_add_overflow(total_rows, group.num_rows, &total_rows)) {
        throw Error::Corruption({}, "row counts of the row groups overflow");
      }
    }
  } catch (const Error& error) {
    throw error.with_context(context);
  }
}

void ParquetFile::read_chunk(size_t row_group, const ColumnDescriptor& column, std::string& out) const {
  const ErrorContext context{.file = path_, .row_group = static_cast<int64_t>(row_group), .column = column.name};
  const ColumnChunk& chunk = metadata_.row_groups[row_group].columns[column.leaf_index];
  if (!chunk.file_path.empty()) {
    throw Error::NotSupported(fmt::format("column chunk stored in another file ({})", chunk.file_path), context);
  }
  const ColumnMetaData& meta = chunk.meta_data;
  if (meta.type != column.physical) {
    throw Error::Corruption(context, fmt::format("column chunk holds {}, the schema says {}", physical_type_name(meta.type),
                                                 physical_type_name(column.physical)));
  }
  int64_t start = meta.data_page_offset;
  // dictionary_page_offset 0 (some writers) means "no dictionary page".
  if (meta.dictionary_page_offset && *meta.dictionary_page_offset > 0 && *meta.dictionary_page_offset < start) {
    start = *meta.dictionary_page_offset;
  }
  const uint64_t data_end = source_->size() - 8 - footer_size_;
  const int64_t length = meta.total_compressed_size;
  if (start < 4 || static_cast<uint64_t>(start) > data_end || static_cast<uint64_t>(length) > data_end - static_cast<uint64_t>(start)) {
    throw Error::Corruption(context, fmt::format("column chunk at offset {} of {} bytes lies outside the file's data ({} bytes)",
                                                 start, length, data_end));
  }
  try {
    source_->read_at(static_cast<uint64_t>(start), static_cast<size_t>(length), out);
  } catch (const Error& error) {
    throw error.with_context(context);
  }
}

}  // namespace idemload::formats::parquet
