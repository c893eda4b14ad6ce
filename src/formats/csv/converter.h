// Converter: the fourth CSV stage. Turns the text cells of one column (a batch of records at a
// time) into a typed Column, writing its raw vectors directly: one type switch per column and
// batch, no allocation or virtual call per value. Also the row removal used to drop rejected
// rows from a batch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/column.h"

namespace idemload::formats::csv {

// Appends `cells` converted to column.type() to `column`. An empty cell is NULL for every type.
// A cell that does not parse is appended as NULL and its index in `cells` is appended to
// `bad_rows` (in increasing order). Never throws.
void convert_cells(const std::string_view* cells, size_t count, Column& column,
                   std::vector<uint32_t>& bad_rows);

// Removes the rows `base + r` for every r with drop[r] != 0 from `column`, keeping the order of
// the others. `drop` covers the rows from `base` to the end.
void drop_rows(Column& column, size_t base, const std::vector<uint8_t>& drop);

// Like core parse_integral ("200.0", "1.6e3" -> integers; nullopt when not exactly an integer
// in range) without allocating; the common forms "123" and "123.000" take a fast path.
std::optional<int64_t> parse_integral_fast(std::string_view text);

// A short reason for a cell that does not parse as `type` ("not an int64: '1.5'"), for rejects.
std::string describe_bad_value(Type type, std::string_view text);

}  // namespace idemload::formats::csv
