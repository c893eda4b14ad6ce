// LZ4_RAW (a bare LZ4 block) and the deprecated LZ4 codec (Hadoop framing) over liblz4.
#include <lz4.h>

#include <climits>

#include <fmt/format.h>

#include "core/error.h"
#include "formats/parquet/codecs/codec.h"

namespace idemload::formats::parquet::codecs {

namespace {

uint32_t load_be32(const char* data) {
  auto* bytes = reinterpret_cast<const uint8_t*>(data);
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | uint32_t{bytes[3]};
}

// Hadoop's BlockCompressorStream: frames of [u32 BE uncompressed size][u32 BE compressed
// size][block]. Returns false when the input is not laid out that way.
bool try_hadoop(std::string_view input, uint8_t* output, size_t output_size) {
  size_t in_pos = 0, out_pos = 0;
  while (in_pos < input.size()) {
    if (input.size() - in_pos < 8) return false;
    uint32_t raw_size = load_be32(input.data() + in_pos);
    uint32_t block_size = load_be32(input.data() + in_pos + 4);
    in_pos += 8;
    if (block_size > input.size() - in_pos || raw_size > output_size - out_pos) return false;
    int got = LZ4_decompress_safe(input.data() + in_pos, reinterpret_cast<char*>(output + out_pos),
                                  static_cast<int>(block_size), static_cast<int>(raw_size));
    if (got < 0 || static_cast<uint32_t>(got) != raw_size) return false;
    in_pos += block_size;
    out_pos += raw_size;
  }
  return out_pos == output_size;
}

}  // namespace

void lz4_raw_decompress(std::string_view input, uint8_t* output, size_t output_size) {
  if (input.size() > INT_MAX || output_size > INT_MAX) throw Error::Corruption({}, "LZ4 block too large");
  int got = LZ4_decompress_safe(input.data(), reinterpret_cast<char*>(output), static_cast<int>(input.size()),
                                static_cast<int>(output_size));
  if (got < 0) throw Error::Corruption({}, "invalid LZ4 data");
  if (static_cast<size_t>(got) != output_size) {
    throw Error::Corruption({}, fmt::format("LZ4 data expands to {} bytes, the page header says {}", got, output_size));
  }
}

void lz4_hadoop_decompress(std::string_view input, uint8_t* output, size_t output_size) {
  if (try_hadoop(input, output, output_size)) return;
  lz4_raw_decompress(input, output, output_size);
}

}  // namespace idemload::formats::parquet::codecs
