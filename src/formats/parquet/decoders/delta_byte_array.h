// DELTA_BYTE_ARRAY (incremental encoding): prefix lengths (DELTA_BINARY_PACKED), then the
// suffixes as DELTA_LENGTH_BYTE_ARRAY; value i = the first prefix[i] bytes of value i-1 + suffix i.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace idemload::formats::parquet {

struct DeltaByteArrayScratch {
  std::vector<int64_t> prefixes;
  std::vector<int64_t> lengths;
  std::vector<std::string_view> suffixes;
  std::vector<uint64_t> offsets;
};

// Decodes `count` values into `storage` (replaced); views in `out` point into `storage`.
// Each page starts afresh (the first prefix must be 0).
// Throws Error(kCorruption) (no context) on a prefix longer than the previous value.
void delta_byte_array_decode(const uint8_t* data, size_t size, size_t count, DeltaByteArrayScratch& scratch,
                             std::string& storage, std::vector<std::string_view>& out);

}  // namespace idemload::formats::parquet
