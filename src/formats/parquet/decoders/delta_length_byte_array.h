// DELTA_LENGTH_BYTE_ARRAY: all lengths (DELTA_BINARY_PACKED), then all bytes back to back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace idemload::formats::parquet {

// Decodes `count` values; views point into `data`. `lengths` is scratch. Returns bytes used.
// Throws Error(kCorruption) (no context) when lengths are negative or run past the data.
size_t delta_length_byte_array_decode(const uint8_t* data, size_t size, size_t count, std::vector<int64_t>& lengths,
                                      std::vector<std::string_view>& out);

}  // namespace idemload::formats::parquet
