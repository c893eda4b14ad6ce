// SNAPPY over libsnappy.
#include <snappy.h>

#include <fmt/format.h>

#include "core/error.h"
#include "formats/parquet/codecs/codec.h"

namespace idemload::formats::parquet::codecs {

void snappy_decompress(std::string_view input, uint8_t* output, size_t output_size) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(input.data(), input.size(), &length)) {
    throw Error::Corruption({}, "invalid SNAPPY data (bad length header)");
  }
  if (length != output_size) {
    throw Error::Corruption({}, fmt::format("SNAPPY data expands to {} bytes, the page header says {}", length, output_size));
  }
  if (!snappy::RawUncompress(input.data(), input.size(), reinterpret_cast<char*>(output))) {
    throw Error::Corruption({}, "invalid SNAPPY data");
  }
}

void snappy_compress(std::string_view input, std::string& out) {
  out.clear();
  snappy::Compress(input.data(), input.size(), &out);
}

}  // namespace idemload::formats::parquet::codecs
