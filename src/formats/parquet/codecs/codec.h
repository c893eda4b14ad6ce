// Page compression codecs: thin wrappers over the Debian libraries (snappy, zlib, zstd, brotli,
// lz4), one file per codec. decompress() needs the exact uncompressed size from the page header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "formats/parquet/file_metadata.h"

namespace idemload::formats::parquet {

// Decompresses `input` into `output`, which has room for exactly `output_size` bytes; the data
// must decompress to exactly that many. Throws Error(kCorruption) when it does not, and
// Error(kNotSupported) for LZO and unknown codecs. No context is set: the caller adds it.
void decompress(Codec codec, std::string_view input, uint8_t* output, size_t output_size);

// Compresses `input` with `codec` (UNCOMPRESSED, SNAPPY, GZIP, ZSTD), replacing `out`.
// Throws Error(kNotSupported) for other codecs.
void compress(Codec codec, std::string_view input, std::string& out);

namespace codecs {
void snappy_decompress(std::string_view input, uint8_t* output, size_t output_size);
void snappy_compress(std::string_view input, std::string& out);
void gzip_decompress(std::string_view input, uint8_t* output, size_t output_size);
void gzip_compress(std::string_view input, std::string& out);
void zstd_decompress(std::string_view input, uint8_t* output, size_t output_size);
void zstd_compress(std::string_view input, std::string& out);
void brotli_decompress(std::string_view input, uint8_t* output, size_t output_size);
void lz4_raw_decompress(std::string_view input, uint8_t* output, size_t output_size);
// The old LZ4 codec: Hadoop framing (big-endian sizes before each block), falling back to a
// raw LZ4 block when the frames do not fit, as old parquet-cpp wrote it.
void lz4_hadoop_decompress(std::string_view input, uint8_t* output, size_t output_size);
}  // namespace codecs

}  // namespace idemload::formats::parquet
