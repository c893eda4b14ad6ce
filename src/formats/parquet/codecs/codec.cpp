#include "formats/parquet/codecs/codec.h"

#include <cstring>

#include <fmt/format.h>

#include "core/error.h"

namespace idemload::formats::parquet {

void decompress(Codec codec, std::string_view input, uint8_t* output, size_t output_size) {
  switch (codec) {
    case Codec::kUncompressed:
      if (input.size() != output_size) {
        throw Error::Corruption({}, fmt::format("uncompressed page holds {} bytes, its header says {}", input.size(), output_size));
      }
      if (output_size > 0) std::memcpy(output, input.data(), output_size);
      return;
    case Codec::kSnappy: return codecs::snappy_decompress(input, output, output_size);
    case Codec::kGzip: return codecs::gzip_decompress(input, output, output_size);
    case Codec::kZstd: return codecs::zstd_decompress(input, output, output_size);
    case Codec::kBrotli: return codecs::brotli_decompress(input, output, output_size);
    case Codec::kLz4Raw: return codecs::lz4_raw_decompress(input, output, output_size);
    case Codec::kLz4: return codecs::lz4_hadoop_decompress(input, output, output_size);
    case Codec::kLzo: break;
  }
  throw Error::NotSupported(fmt::format("compression codec {} is not supported", codec_name(codec)));
}

void compress(Codec codec, std::string_view input, std::string& out) {
  switch (codec) {
    case Codec::kUncompressed: out.assign(input); return;
    case Codec::kSnappy: return codecs::snappy_compress(input, out);
    case Codec::kGzip: return codecs::gzip_compress(input, out);
    case Codec::kZstd: return codecs::zstd_compress(input, out);
    default: break;
  }
  throw Error::NotSupported(fmt::format("writing with codec {} is not supported", codec_name(codec)));
}

}  // namespace idemload::formats::parquet
