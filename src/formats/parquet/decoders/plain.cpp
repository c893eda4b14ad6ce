#include "formats/parquet/decoders/plain.h"

#include <fmt/format.h>

#include <cstring>

#include "core/error.h"

namespace idemload::formats::parquet {

namespace {
[[noreturn]] void short_data(size_t count, size_t size) {
  throw Error::Corruption(
      {}, fmt::format("PLAIN data of {} bytes is too short for {} values", size, count));
}

[[noreturn]] void value_past_end(size_t idx, uint32_t length) {
  throw Error::Corruption(
      {}, fmt::format("PLAIN BYTE_ARRAY value {} of {} bytes runs past the end of the page", idx,
                      length));
}

// Values up to this long are copied with one fixed-size copy (which the compiler turns into a
// few vector moves) when both sides have this many bytes to spare.
constexpr size_t kShortValue = 32;
}  // namespace

size_t plain_decode_fixed(const uint8_t* data, size_t size, size_t count, size_t width,
                          uint8_t* out) {
  size_t bytes = count * width;
  if (width != 0 && bytes / width != count) short_data(count, size);
  if (bytes > size) short_data(count, size);
  if (bytes > 0) std::memcpy(out, data, bytes);
  return bytes;
}

size_t plain_decode_bool(const uint8_t* data, size_t size, size_t count, uint8_t* out) {
  size_t bytes = (count + 7) / 8;
  if (bytes > size) short_data(count, size);
  for (size_t idx = 0; idx < count; ++idx) out[idx] = (data[idx >> 3] >> (idx & 7)) & 1;
  return bytes;
}

size_t plain_decode_byte_array(const uint8_t* data, size_t size, size_t count,
                               std::string_view* out) {
  size_t pos = 0;
  for (size_t idx = 0; idx < count; ++idx) {
    if (size - pos < 4) short_data(count, size);
    uint32_t length;
    std::memcpy(&length, data + pos, 4);
    pos += 4;
    if (length > size - pos) {
      throw Error::Corruption(
          {}, fmt::format("PLAIN BYTE_ARRAY value {} of {} bytes runs past the end of the page",
                          idx, length));
    }
    out[idx] = std::string_view(reinterpret_cast<const char*>(data + pos), length);
    pos += length;
  }
  return pos;
}

size_t plain_decode_flba(const uint8_t* data, size_t size, size_t count, size_t width,
                         std::string_view* out) {
  if (width != 0 && count > size / width) short_data(count, size);
  for (size_t idx = 0; idx < count; ++idx) {
    out[idx] = std::string_view(reinterpret_cast<const char*>(data + idx * width), width);
  }
  return count * width;
}

size_t plain_append_byte_arrays(const uint8_t* data, size_t size, const uint8_t* valid, size_t rows,
                                Column& out) {
  auto& validity = out.validity();
  if (valid == nullptr) {
    validity.resize(validity.size() + rows, 1);
  } else {
    validity.insert(validity.end(), valid, valid + rows);
  }
  auto& offsets = out.offsets();
  auto& bytes = out.bytes();
  const size_t base = offsets.size();
  offsets.resize(base + rows);
  uint64_t* row_end = offsets.data() + base;
  // Pass 1: check every length against the page and compute each row's end offset.
  const uint64_t start = bytes.size();
  uint64_t end = start;
  size_t pos = 0;
  size_t values = 0;
  for (size_t row = 0; row < rows; ++row) {
    if (valid == nullptr || valid[row] != 0) {
      if (size - pos < 4) short_data(values + 1, size);
      uint32_t length;
      std::memcpy(&length, data + pos, 4);
      pos += 4;
      if (length > size - pos) value_past_end(values, length);
      pos += length;
      end += length;
      ++values;
    }
    row_end[row] = end;
  }
  // Pass 2: copy the bytes (the lengths are known to fit now). The output gets kShortValue
  // bytes of slack so that short values can be copied whole, then is cut back.
  bytes.resize(end + kShortValue);
  char* dst = bytes.data() + start;
  const auto* src = reinterpret_cast<const char*>(data);
  size_t src_pos = 0;
  for (size_t idx = 0; idx < values; ++idx) {
    uint32_t length;
    std::memcpy(&length, src + src_pos, 4);
    src_pos += 4;
    if (length <= kShortValue && size - src_pos >= kShortValue) {
      std::memcpy(dst, src + src_pos, kShortValue);
    } else {
      std::memcpy(dst, src + src_pos, length);
    }
    dst += length;
    src_pos += length;
  }
  bytes.resize(end);
  return pos;
}

}  // namespace idemload::formats::parquet
