// Little-endian bit unpacking shared by the RLE/bit-packed hybrid and DELTA_BINARY_PACKED
// decoders: values of 0..64 bits packed LSB first, read with bounds checks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

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

namespace bit_unpack_detail {

// Value `kIndex` of a group of 8 values of kWidth bits that starts on a byte boundary at `in`:
// one unaligned 8-byte load, a shift and a mask, all with constant offsets.
template <int kWidth, size_t kIndex, typename T>
inline void unpack_one(const uint8_t* in, T* out) {
  constexpr size_t kBit = kIndex * static_cast<size_t>(kWidth);
  constexpr uint64_t kMask = (uint64_t{1} << kWidth) - 1;
  uint64_t word;
  std::memcpy(&word, in + kBit / 8, 8);
  out[kIndex] = static_cast<T>((word >> (kBit % 8)) & kMask);
}

template <int kWidth, typename T, size_t... kIndex>
inline void unpack_group(const uint8_t* in, T* out, std::index_sequence<kIndex...>) {
  (unpack_one<kWidth, kIndex>(in, out), ...);
}

// Unpacks whole groups of 8 values of kWidth bits from data[byte, size) while the loads of a
// group stay inside the data; returns the number of values unpacked (a multiple of 8).
template <int kWidth, typename T>
size_t unpack_groups(const uint8_t* data, size_t size, size_t byte, size_t count, T* out) {
  // The last value of a group loads 8 bytes from byte kWidth * 7 / 8 of the group.
  constexpr size_t kReach = static_cast<size_t>(kWidth) * 7 / 8 + 8;
  size_t done = 0;
  while (count - done >= 8 && byte + kReach <= size) {
    unpack_group<kWidth>(data + byte, out + done, std::make_index_sequence<8>());
    done += 8;
    byte += static_cast<size_t>(kWidth);
  }
  return done;
}

template <typename T>
using UnpackGroups = size_t (*)(const uint8_t*, size_t, size_t, size_t, T*);

template <typename T, size_t... kWidthLessOne>
constexpr std::array<UnpackGroups<T>, sizeof...(kWidthLessOne)> make_unpack_table(
    std::index_sequence<kWidthLessOne...>) {
  return {&unpack_groups<static_cast<int>(kWidthLessOne) + 1, T>...};
}

// unpack_groups for widths 1..32, indexed by width - 1.
template <typename T>
inline constexpr auto kUnpackGroups = make_unpack_table<T>(std::make_index_sequence<32>());

}  // namespace bit_unpack_detail

// Unpacks `count` values of `width` bits (0..64) starting at bit `bit_offset` of
// data[0, size). Bits past `size` read as zero; callers check that enough bytes exist.
template <typename T>
void unpack_bits(const uint8_t* data, size_t size, uint64_t bit_offset, int width, size_t count,
                 T* out) {
  if (width == 0) {
    for (size_t idx = 0; idx < count; ++idx) out[idx] = 0;
    return;
  }
  const uint64_t mask = width == 64 ? ~uint64_t{0} : ((uint64_t{1} << width) - 1);
  // One value at a time, reading within data[0, size) only.
  auto unpack_one = [&](size_t idx) {
    size_t byte = static_cast<size_t>(bit_offset >> 3);
    unsigned shift = static_cast<unsigned>(bit_offset & 7);
    uint64_t value;
    if (width <= 56 && byte + 8 <= size) {
      // The value lies within the 8 bytes at its first byte.
      std::memcpy(&value, data + byte, 8);
      value >>= shift;
    } else {
      value = load_le64_padded(data, size, byte) >> shift;
      if (shift + static_cast<unsigned>(width) > 64) {
        uint64_t high = byte + 8 < size ? data[byte + 8] : 0;
        value |= high << (64 - shift);
      }
    }
    out[idx] = static_cast<T>(value & mask);
    bit_offset += static_cast<uint64_t>(width);
  };
  size_t idx = 0;
  if (width <= 32 && count >= 8) {
    // Whole groups of 8 from the first byte boundary on (at most 7 values before it).
    while (idx < count && (bit_offset & 7) != 0) unpack_one(idx++);
    const size_t byte = static_cast<size_t>(bit_offset >> 3);
    if (byte < size) {
      size_t done = bit_unpack_detail::kUnpackGroups<T>[static_cast<size_t>(width) - 1](
          data, size, byte, count - idx, out + idx);
      idx += done;
      bit_offset += static_cast<uint64_t>(done) * static_cast<uint64_t>(width);
    }
  }
  for (; idx < count; ++idx) unpack_one(idx);
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
