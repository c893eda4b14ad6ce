// Definition levels of flat columns: RLE/bit-packed hybrid (v1 with a 4-byte length prefix, v2
// without) and the old BIT_PACKED encoding (MSB first). Turned straight into validity bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace idemload::formats::parquet {

enum class LevelEncoding : uint8_t { kRleV1, kRleV2, kBitPacked };

// Decodes `count` definition levels (max level `max_level` >= 1) from data[0, size) into
// `valid` (1 where level == max_level); returns the bytes the levels took (for kRleV2, `size`).
// Sets `non_null` to the number of ones. Throws Error(kCorruption) (no context) for truncated
// levels or a level above max_level.
size_t decode_definition_levels(LevelEncoding encoding, const uint8_t* data, size_t size, size_t count, int max_level,
                                std::vector<uint8_t>& valid, size_t& non_null);

}  // namespace idemload::formats::parquet
