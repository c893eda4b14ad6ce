// PLAIN decoding: fixed-width values are copied as they are, booleans are bit-packed LSB first,
// BYTE_ARRAY values carry a 4-byte little-endian length, FIXED_LEN_BYTE_ARRAY values do not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/column.h"

namespace idemload::formats::parquet {

// Each decodes `count` values from data[0, size) and returns the bytes used. Throws
// Error(kCorruption) (no context) when the data holds fewer values.
size_t plain_decode_fixed(const uint8_t* data, size_t size, size_t count, size_t width,
                          uint8_t* out);
size_t plain_decode_bool(const uint8_t* data, size_t size, size_t count, uint8_t* out);
// Views point into `data`.
size_t plain_decode_byte_array(const uint8_t* data, size_t size, size_t count,
                               std::string_view* out);
size_t plain_decode_flba(const uint8_t* data, size_t size, size_t count, size_t width,
                         std::string_view* out);

// Appends `rows` rows to a byte-string Column: where valid[row] (or every row when `valid` is
// null) the next BYTE_ARRAY value of data[0, size), else NULL. Offsets are computed in one pass
// over the lengths, then the bytes are copied. Returns the bytes used; throws
// Error(kCorruption) (no context) when the data holds fewer values.
size_t plain_append_byte_arrays(const uint8_t* data, size_t size, const uint8_t* valid, size_t rows,
                                Column& out);

}  // namespace idemload::formats::parquet
