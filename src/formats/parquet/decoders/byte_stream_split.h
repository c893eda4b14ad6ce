// BYTE_STREAM_SPLIT: byte k of every value is stored in stream k; defined for FLOAT, DOUBLE,
// INT32, INT64 and FIXED_LEN_BYTE_ARRAY of any width.
#pragma once

#include <cstddef>
#include <cstdint>

namespace idemload::formats::parquet {

// Reassembles `count` values of `width` bytes into `out` (count * width bytes). The page's
// value section (`size` bytes) holds size / width values. Throws Error(kCorruption) (no
// context) when size is not a multiple of width or holds fewer than `count` values.
void byte_stream_split_decode(const uint8_t* data, size_t size, size_t count, size_t width, uint8_t* out);

}  // namespace idemload::formats::parquet
