#include "formats/csv/chunker.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"

namespace idemload::formats::csv {

Chunker::Chunker(std::string path, size_t block_bytes) : path_(std::move(path)), buffer_(block_bytes) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error::Io({.file = path_}, fmt::format("cannot open for reading: {}", std::strerror(errno)));
}

Chunker::~Chunker() {
  if (fd_ >= 0) ::close(fd_);
}

bool Chunker::fill() {
  if (eof_) return false;
  const size_t kept = end_ - begin_;
  if (begin_ > 0) {
    if (kept > 0) std::memmove(buffer_.data(), buffer_.data() + begin_, kept);
    file_offset_ += begin_;
    begin_ = 0;
    end_ = kept;
  }
  if (end_ == buffer_.size()) {
    if (buffer_.size() >= kMaxRecordBytes) {
      throw Error::Corruption({.file = path_},
                              fmt::format("a record at byte {} is longer than {} MiB (an unterminated quote?)",
                                          file_offset_, kMaxRecordBytes >> 20));
    }
    buffer_.resize(buffer_.size() * 2);
  }
  const size_t before = end_;
  // Fill the free space; several reads because pipes and some file systems return short.
  while (end_ < buffer_.size()) {
    ssize_t got = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error::Io({.file = path_}, fmt::format("read failed at byte {}: {}", file_offset_ + end_,
                                                   std::strerror(errno)));
    }
    if (got == 0) {
      eof_ = true;
      break;
    }
    end_ += static_cast<size_t>(got);
  }
  return end_ > before;
}

void Chunker::seek(uint64_t offset) {
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
    throw Error::Io({.file = path_}, fmt::format("cannot seek to byte {}: {}", offset, std::strerror(errno)));
  }
  file_offset_ = offset;
  begin_ = end_ = 0;
  eof_ = false;
}

}  // namespace idemload::formats::csv
