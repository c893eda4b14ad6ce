// DELTA_BINARY_PACKED: blocks of miniblocks of bit-packed deltas from a minimum delta.
// Arithmetic wraps (as the spec requires); INT32 columns take the low 32 bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace idemload::formats::parquet {

// Decodes every value the header announces (at most `max_values`, the count the page allows)
// into `out` (replaced) and returns the bytes used, so that data following the encoded values
// (DELTA_LENGTH_BYTE_ARRAY) can be found. Throws Error(kCorruption) (no context) on malformed or
// truncated data.
size_t delta_binary_packed_decode(const uint8_t* data, size_t size, size_t max_values, std::vector<int64_t>& out);

}  // namespace idemload::formats::parquet
