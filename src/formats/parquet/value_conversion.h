// Turns decoded physical values into a Column of the leaf's idemload Type (the table in
// column_descriptor.h), spreading them over the rows that are not NULL. One switch per call,
// then a tight loop per conversion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/column.h"
#include "formats/parquet/column_descriptor.h"

namespace idemload::formats::parquet {

// Decoded, non-NULL values of one page: fixed-width values back to back (`fixed`, `width`
// bytes each, unaligned) or byte strings (`views`, for BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY).
struct DenseValues {
  const uint8_t* fixed = nullptr;
  size_t width = 0;
  const std::string_view* views = nullptr;
};

// Appends `rows` rows to `out`: where valid[row] (or every row when `valid` is null) the next
// dense value converted, else NULL. Throws Error(kNotSupported) (no context) for a value that
// does not fit our type (UINT64 above INT64_MAX, a timestamp past the int64 microsecond range).
void convert_append(const ColumnDescriptor& column, const DenseValues& dense, const uint8_t* valid,
                    size_t rows, Column& out);

// Appends dictionary[indices[k]] for the valid rows (NULL elsewhere). Throws
// Error(kCorruption) (no context) for an index past the end of the dictionary; `out` then
// holds part of the rows.
void gather_append(const Column& dictionary, const uint32_t* indices, const uint8_t* valid,
                   size_t rows, Column& out);

// Appends rows [begin, begin + count) of `src` to `out` (same storage).
void append_range(const Column& src, size_t begin, size_t count, Column& out);

// Exact decimal text ("-12.340") of a big-endian two's-complement integer, with `scale` digits
// after the point.
void append_decimal_text(const uint8_t* big_endian, size_t size, int scale, std::string& out);
void append_decimal_text(int64_t unscaled, int scale, std::string& out);

double float16_to_double(uint16_t bits);

}  // namespace idemload::formats::parquet
