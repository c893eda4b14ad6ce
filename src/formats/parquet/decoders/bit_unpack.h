// Little-endian bit unpacking shared by the RLE/bit-packed hybrid and DELTA_BINARY_PACKED
// decoders: values of 0..64 bits packed LSB first, read with bounds checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace idemload::formats::parquet {

// Loads up to 8 bytes at `data[byte]`, zero-padding past `size`.
inline uint64_t load_le64_padded(const uint8_t* data, size_t size, size_t byte) {
  uint64_t value = 0;
  if (byte + 8 <= size) {
    std::memcpy(&value, data + byte, 8);
  } else if (byte < size) {
    std::memcpy(&value, data + byte, size - byte);
  }
  return value;
}

// Unpacks `count` values of `width` bits (0..64) starting at bit `bit_offset` of
// data[0, size). Bits past `size` read as zero; callers check that enough bytes exist.
template <typename T>
void unpack_bits(const uint8_t* data, size_t size, uint64_t bit_offset, int width, size_t count, T* out) {
  if (width == 0) {
    for (size_t idx = 0; idx < count; ++idx) out[idx] = 0;
    return;
  }
  const uint64_t mask = width == 64 ? ~uint64_t{0} : ((uint64_t{1} << width) - 1);
  for (size_t idx = 0; idx < count; ++idx) {
    size_t byte = static_cast<size_t>(bit_offset >> 3);
    unsigned shift = static_cast<unsigned>(bit_offset & 7);
    uint64_t value = load_le64_padded(data, size, byte) >> shift;
    if (shift + static_cast<unsigned>(width) > 64) {
      uint64_t high = byte + 8 < size ? data[byte + 8] : 0;
      value |= high << (64 - shift);
    }
    out[idx] = static_cast<T>(value & mask);
    bit_offset += static_cast<uint64_t>(width);
  }
}

// Reads a ULEB128 varint at data[pos]; false when it runs past `size` or is too long.
inline bool read_uleb128(const uint8_t* data, size_t size, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= size) return false;
    uint8_t byte = data[pos++];
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

inline int bit_width_of(uint64_t max_value) {
  int width = 0;
  while (max_value != 0) {
    ++width;
    max_value >>= 1;
  }
  return width;
}

}  // namespace idemload::formats::parquet
