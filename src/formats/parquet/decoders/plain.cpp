#include "formats/parquet/decoders/plain.h"

#include <cstring>

#include <fmt/format.h>

#include "core/error.h"

namespace idemload::formats::parquet {

namespace {
[[noreturn]] void short_data(size_t count, size_t size) {
  throw Error::Corruption({}, fmt::format("PLAIN data of {} bytes is too short for {} values", size, count));
}
}  // namespace

size_t plain_decode_fixed(const uint8_t* data, size_t size, size_t count, size_t width, uint8_t* out) {
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

size_t plain_decode_byte_array(const uint8_t* data, size_t size, size_t count, std::string_view* out) {
  size_t pos = 0;
  for (size_t idx = 0; idx < count; ++idx) {
    if (size - pos < 4) short_data(count, size);
    uint32_t length;
    std::memcpy(&length, data + pos, 4);
    pos += 4;
    if (length > size - pos) {
      throw Error::Corruption({}, fmt::format("PLAIN BYTE_ARRAY value {} of {} bytes runs past the end of the page", idx, length));
    }
    out[idx] = std::string_view(reinterpret_cast<const char*>(data + pos), length);
    pos += length;
  }
  return pos;
}

size_t plain_decode_flba(const uint8_t* data, size_t size, size_t count, size_t width, std::string_view* out) {
  if (width != 0 && count > size / width) short_data(count, size);
  for (size_t idx = 0; idx < count; ++idx) {
    out[idx] = std::string_view(reinterpret_cast<const char*>(data + idx * width), width);
  }
  return count * width;
}

}  // namespace idemload::formats::parquet
