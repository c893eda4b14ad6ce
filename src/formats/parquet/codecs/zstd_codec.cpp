// ZSTD over libzstd (ZSTD_decompress also handles several concatenated frames).
#include <zstd.h>

#include <fmt/format.h>

#include "core/error.h"
#include "formats/parquet/codecs/codec.h"

namespace idemload::formats::parquet::codecs {

void zstd_decompress(std::string_view input, uint8_t* output, size_t output_size) {
  size_t rc = ZSTD_decompress(output, output_size, input.data(), input.size());
  if (ZSTD_isError(rc)) throw Error::Corruption({}, fmt::format("invalid ZSTD data: {}", ZSTD_getErrorName(rc)));
  if (rc != output_size) {
    throw Error::Corruption({}, fmt::format("ZSTD data expands to {} bytes, the page header says {}", rc, output_size));
  }
}

void zstd_compress(std::string_view input, std::string& out) {
  out.resize(ZSTD_compressBound(input.size()));
  size_t rc = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), 3);
  if (ZSTD_isError(rc)) throw Error::Internal(fmt::format("ZSTD_compress failed: {}", ZSTD_getErrorName(rc)));
  out.resize(rc);
}

}  // namespace idemload::formats::parquet::codecs
