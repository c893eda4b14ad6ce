// Maps the Parquet schema to idemload Fields: which leaf column holds what, how its physical
// values convert to our Type (the table below), and which columns are nested (not supported).
//
//   INT32/INT64 (plain, INT(8..64), UINT(8..32))    -> kInt64
//   UINT_64 / INT(64, unsigned)                      -> kInt64; a value above INT64_MAX is an
//                                                       Error(kNotSupported) naming the column
//   FLOAT, DOUBLE, FLOAT16                           -> kDouble
//   STRING/UTF8/ENUM/JSON                            -> kString; other BYTE_ARRAY/FLBA -> kBinary
//   DATE -> kDate; TIME -> kTime; TIMESTAMP and INT96 -> kTimestamp (microseconds; nanosecond
//   values are truncated toward the past); DECIMAL -> kDecimal (exact text, every scale digit)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/schema.h"
#include "formats/parquet/file_metadata.h"

namespace idemload::formats::parquet {

// How one leaf's physical values become values of its Field's type.
enum class Conversion : uint8_t {
  kBool,
  kInt32, kUInt32, kInt64, kUInt64,
  kDate32,
  kTimeMillis32, kTimeMicros64, kTimeNanos64,
  kTimestampMillis64, kTimestampMicros64, kTimestampNanos64, kTimestampInt96,
  kFloat, kDouble, kFloat16,
  kDecimal32, kDecimal64, kDecimalBytes,
  kBytes,
};

struct ColumnDescriptor {
  std::string name;       // top-level name (for nested columns, of the top-level field)
  size_t leaf_index = 0;  // index of the column chunk in each row group
  PhysicalType physical = PhysicalType::kInt32;
  int32_t type_length = 0;
  int max_definition_level = 0;  // 0 for REQUIRED, 1 for OPTIONAL
  Field field;
  Conversion conversion = Conversion::kBytes;
  const SchemaElement* element = nullptr;  // into the FileMetaData it was built from
  // Non-empty for a column idemload cannot read ("nested column NAME", ...).
  std::string unsupported;
};

// The top-level columns of `metadata`, in file order. A nested field (group, REPEATED) is one
// entry with `unsupported` set spanning its leaves; leaf_index then names its first leaf.
// Throws Error(kCorruption) when the schema tree is inconsistent, with no context.
std::vector<ColumnDescriptor> describe_columns(const FileMetaData& metadata, size_t& leaf_count);

// Physical width in bytes of fixed-width values (0 for BYTE_ARRAY; 1 for BOOLEAN as decoded).
size_t physical_width(PhysicalType type, int32_t type_length);

}  // namespace idemload::formats::parquet
