#include "formats/parquet/levels.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "formats/parquet/decoders/rle_bp.h"

namespace idemload::formats::parquet {

size_t decode_definition_levels(LevelEncoding encoding, const uint8_t* data, size_t size,
                                size_t count, int max_level, std::vector<uint8_t>& valid,
                                size_t& non_null) {
  const int width = bit_width_of(static_cast<uint64_t>(max_level));
  valid.resize(count);
  size_t used = 0;
  if (encoding == LevelEncoding::kBitPacked) {
    size_t bytes = (count * static_cast<size_t>(width) + 7) / 8;
    if (bytes > size)
      throw Error::Corruption({}, "BIT_PACKED definition levels run past the end of the page");
    for (size_t idx = 0; idx < count; ++idx) {
      unsigned level = 0;
      for (int bit = 0; bit < width; ++bit) {
        size_t pos = idx * static_cast<size_t>(width) + static_cast<size_t>(bit);
        level = (level << 1) | ((data[pos >> 3] >> (7 - (pos & 7))) & 1u);
      }
      valid[idx] = static_cast<uint8_t>(level);
    }
    used = bytes;
  } else {
    const uint8_t* levels = data;
    size_t levels_size = size;
    if (encoding == LevelEncoding::kRleV1) {
      if (size < 4)
        throw Error::Corruption({}, "definition levels length runs past the end of the page");
      uint32_t length;
      std::memcpy(&length, data, 4);
      if (length > size - 4) {
        throw Error::Corruption(
            {}, fmt::format("definition levels of {} bytes run past the end of the page", length));
      }
      levels = data + 4;
      levels_size = length;
      used = 4 + length;
    } else {
      used = size;
    }
    RleBpDecoder decoder(levels, levels_size, width);
    size_t got = decoder.get_batch(valid.data(), count);
    if (got != count) {
      throw Error::Corruption(
          {}, fmt::format("definition levels hold {} values, the page has {}", got, count));
    }
  }
  uint8_t* levels = valid.data();
  size_t ones = 0;
  if (max_level == 1) {
    // Levels are validity already when none is above 1: check and count them eight at a time.
    uint64_t seen = 0;
    size_t idx = 0;
    for (; idx + 8 <= count; idx += 8) {
      uint64_t word;
      std::memcpy(&word, levels + idx, 8);
      seen |= word;
      ones += static_cast<size_t>((word * 0x0101010101010101ULL) >> 56);  // sum of 8 bytes <= 1
    }
    for (; idx < count; ++idx) {
      seen |= levels[idx];
      ones += levels[idx];
    }
    if ((seen & 0xfefefefefefefefeULL) != 0) {
      uint8_t highest = *std::max_element(levels, levels + count);
      throw Error::Corruption(
          {}, fmt::format("definition level {} above the maximum {}", highest, max_level));
    }
    non_null = ones;
    return used;
  }
  uint8_t highest = 0;
  const uint8_t max = static_cast<uint8_t>(max_level);
  for (size_t idx = 0; idx < count; ++idx) {
    uint8_t level = levels[idx];
    highest = std::max(highest, level);
    uint8_t is_max = static_cast<uint8_t>(level == max);
    levels[idx] = is_max;
    ones += is_max;
  }
  if (highest > max) {
    throw Error::Corruption(
        {}, fmt::format("definition level {} above the maximum {}", highest, max_level));
  }
  non_null = ones;
  return used;
}

}  // namespace idemload::formats::parquet
