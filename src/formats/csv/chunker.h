// Chunker: the first CSV stage. Reads a file in large blocks with read(2) and hands out the
// bytes not yet consumed; the incomplete record at the end of a block is carried over to the
// next one, so that later stages only ever see whole records. Memory is one block (grown only
// when a single record is larger than a block). Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace idemload::formats::csv {

inline constexpr size_t kBlockBytes = size_t{4} << 20;  // 4 MiB
// A record longer than this is taken for an unterminated quote that swallows the file.
inline constexpr size_t kMaxRecordBytes = size_t{256} << 20;

class Chunker {
 public:
  // Opens `path` for reading. Throws Error(kIo) naming the file when it cannot be opened.
  explicit Chunker(std::string path, size_t block_bytes = kBlockBytes);
  ~Chunker();
  Chunker(const Chunker&) = delete;
  Chunker& operator=(const Chunker&) = delete;

  // The bytes read and not yet consumed. Valid until the next fill() or seek().
  std::string_view available() const { return {buffer_.data() + begin_, end_ - begin_}; }
  // Marks the first `bytes` of available() as used.
  void consume(size_t bytes) { begin_ += bytes; }
  // Keeps the unconsumed bytes and reads more after them (growing the buffer when they fill
  // it). Returns false when nothing more could be read (end of file). Throws Error(kIo) on a
  // read error, or Error(kCorruption) when the unconsumed bytes exceed kMaxRecordBytes.
  bool fill();
  // True once read(2) has reported the end of the file; available() then holds the rest.
  bool at_eof() const { return eof_; }
  // File offset of available().data().
  uint64_t offset() const { return file_offset_ + begin_; }
  // Drops the buffer and continues reading at byte `offset` of the file. Throws Error(kIo).
  void seek(uint64_t offset);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<char> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  uint64_t file_offset_ = 0;  // file offset of buffer_[0]
  bool eof_ = false;
};

}  // namespace idemload::formats::csv
