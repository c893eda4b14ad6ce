#include "formats/parquet/decoders/delta_binary_packed.h"

#include <fmt/format.h>

#include "core/error.h"
#include "formats/parquet/decoders/bit_unpack.h"

namespace idemload::formats::parquet {

namespace {
[[noreturn]] void bad(const std::string& what) { throw Error::Corruption({}, "invalid DELTA_BINARY_PACKED data: " + what); }
int64_t unzigzag(uint64_t value) { return static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1); }
}  // namespace

size_t delta_binary_packed_decode(const uint8_t* data, size_t size, size_t max_values, std::vector<int64_t>& out) {
  size_t pos = 0;
  uint64_t block_size, miniblocks, total, first;
  if (!read_uleb128(data, size, pos, block_size) || !read_uleb128(data, size, pos, miniblocks) ||
      !read_uleb128(data, size, pos, total) || !read_uleb128(data, size, pos, first)) {
    bad("truncated header");
  }
  if (block_size == 0 || block_size % 128 != 0 || block_size > (1u << 20)) bad(fmt::format("block size {}", block_size));
  if (miniblocks == 0 || block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0) {
    bad(fmt::format("{} miniblocks in a block of {}", miniblocks, block_size));
  }
  if (total > max_values) bad(fmt::format("{} values where the page has at most {}", total, max_values));
  const uint64_t per_miniblock = block_size / miniblocks;
  out.resize(static_cast<size_t>(total));
  if (total == 0) return pos;
  uint64_t value = static_cast<uint64_t>(unzigzag(first));
  out[0] = static_cast<int64_t>(value);
  size_t done = 1;
  uint64_t deltas[64];
  while (done < total) {
    uint64_t min_delta_raw;
    if (!read_uleb128(data, size, pos, min_delta_raw)) bad("truncated block header");
    uint64_t min_delta = static_cast<uint64_t>(unzigzag(min_delta_raw));
    if (size - pos < miniblocks) bad("truncated miniblock bit widths");
    const uint8_t* widths = data + pos;
    pos += static_cast<size_t>(miniblocks);
    for (uint64_t mini = 0; mini < miniblocks && done < total; ++mini) {
      int width = widths[mini];
      if (width > 64) bad(fmt::format("miniblock bit width {}", width));
      uint64_t bytes = per_miniblock * static_cast<uint64_t>(width) / 8;
      size_t need = static_cast<size_t>(std::min<uint64_t>(per_miniblock, total - done));
      // The last miniblock may be cut short by writers that do not pad it: require only the
      // bytes that hold values we use.
      uint64_t used_bytes = (static_cast<uint64_t>(need) * static_cast<uint64_t>(width) + 7) / 8;
      if (size - pos < used_bytes) bad("truncated miniblock");
      size_t mini_start = pos;
      size_t mini_end = static_cast<size_t>(std::min<uint64_t>(size, mini_start + bytes));
      for (size_t offset = 0; offset < need; offset += 64) {
        size_t chunk = std::min<size_t>(64, need - offset);
        unpack_bits(data + mini_start, mini_end - mini_start, static_cast<uint64_t>(offset) * static_cast<uint64_t>(width),
                    width, chunk, deltas);
        for (size_t idx = 0; idx < chunk; ++idx) {
          value += min_delta + deltas[idx];
          out[done++] = static_cast<int64_t>(value);
        }
      }
      pos = mini_end;
    }
  }
  return pos;
}

}  // namespace idemload::formats::parquet
