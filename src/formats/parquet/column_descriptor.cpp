#include "formats/parquet/column_descriptor.h"

#include <fmt/format.h>

#include "core/error.h"

namespace idemload::formats::parquet {

namespace {

using Kind = LogicalType::Kind;

[[noreturn]] void bad_schema(const std::string& message) { throw Error::Corruption({}, "invalid schema: " + message); }

// Counts the leaves under schema[pos] and moves pos past its subtree.
size_t skip_subtree(const std::vector<SchemaElement>& schema, size_t& pos, int depth) {
  if (depth > 64) bad_schema("nested too deeply");
  if (pos >= schema.size()) bad_schema("a group has more children than the schema holds");
  const SchemaElement& element = schema[pos++];
  if (element.num_children == 0) {
    if (!element.type) bad_schema(fmt::format("leaf {} has no physical type", element.name));
    return 1;
  }
  size_t leaves = 0;
  for (int32_t child = 0; child < element.num_children; ++child) leaves += skip_subtree(schema, pos, depth + 1);
  return leaves;
}

int int_bits(const SchemaElement& element, bool& is_signed) {
  if (element.logical_type.kind == Kind::kInteger) {
    is_signed = element.logical_type.is_signed;
    return element.logical_type.bit_width;
  }
  switch (element.converted_type) {
    case ConvertedType::kInt8: is_signed = true; return 8;
    case ConvertedType::kInt16: is_signed = true; return 16;
    case ConvertedType::kInt32: is_signed = true; return 32;
    case ConvertedType::kInt64: is_signed = true; return 64;
    case ConvertedType::kUint8: is_signed = false; return 8;
    case ConvertedType::kUint16: is_signed = false; return 16;
    case ConvertedType::kUint32: is_signed = false; return 32;
    case ConvertedType::kUint64: is_signed = false; return 64;
    default: is_signed = true; return 0;
  }
}

// Fills field.type/precision/scale and the conversion for a flat leaf; sets `unsupported`
// for physical/logical combinations that make no sense.
void map_leaf(ColumnDescriptor& column) {
  const SchemaElement& element = *column.element;
  const LogicalType& logical = element.logical_type;
  Field& field = column.field;
  auto set = [&](Type type, Conversion conversion) {
    field.type = type;
    column.conversion = conversion;
  };
  auto unsupported = [&](const std::string& what) {
    column.unsupported = fmt::format("column {}: {} is not supported", column.name, what);
    set(Type::kBinary, Conversion::kBytes);
  };
  bool is_decimal = logical.kind == Kind::kDecimal || element.converted_type == ConvertedType::kDecimal;
  if (is_decimal) {
    field.precision = logical.kind == Kind::kDecimal ? logical.precision : element.precision;
    field.scale = logical.kind == Kind::kDecimal ? logical.scale : element.scale;
    if (field.scale < 0 || field.precision < 0 || field.scale > 76) bad_schema(fmt::format("column {} has decimal scale {}", column.name, field.scale));
  }
  bool utc = logical.kind == Kind::kTimestamp || logical.kind == Kind::kTime;  // unit source
  switch (column.physical) {
    case PhysicalType::kBoolean: set(Type::kBool, Conversion::kBool); return;
    case PhysicalType::kInt32: {
      if (is_decimal) return set(Type::kDecimal, Conversion::kDecimal32);
      if (logical.kind == Kind::kDate || element.converted_type == ConvertedType::kDate) return set(Type::kDate, Conversion::kDate32);
      if ((utc && logical.kind == Kind::kTime && logical.unit == TimeUnit::kMillis) || element.converted_type == ConvertedType::kTimeMillis) {
        return set(Type::kTime, Conversion::kTimeMillis32);
      }
      if (logical.kind == Kind::kTime || logical.kind == Kind::kTimestamp) return unsupported("a time or timestamp stored as INT32 other than TIME(MILLIS)");
      bool is_signed = true;
      int bits = int_bits(element, is_signed);
      (void)bits;
      return set(Type::kInt64, is_signed ? Conversion::kInt32 : Conversion::kUInt32);
    }
    case PhysicalType::kInt64: {
      if (is_decimal) return set(Type::kDecimal, Conversion::kDecimal64);
      if (logical.kind == Kind::kTimestamp) {
        return set(Type::kTimestamp, logical.unit == TimeUnit::kMillis   ? Conversion::kTimestampMillis64
                                     : logical.unit == TimeUnit::kMicros ? Conversion::kTimestampMicros64
                                                                         : Conversion::kTimestampNanos64);
      }
      if (logical.kind == Kind::kTime) {
        if (logical.unit == TimeUnit::kMillis) return unsupported("TIME(MILLIS) stored as INT64");
        return set(Type::kTime, logical.unit == TimeUnit::kMicros ? Conversion::kTimeMicros64 : Conversion::kTimeNanos64);
      }
      if (element.converted_type == ConvertedType::kTimestampMillis) return set(Type::kTimestamp, Conversion::kTimestampMillis64);
      if (element.converted_type == ConvertedType::kTimestampMicros) return set(Type::kTimestamp, Conversion::kTimestampMicros64);
      if (element.converted_type == ConvertedType::kTimeMicros) return set(Type::kTime, Conversion::kTimeMicros64);
      bool is_signed = true;
      int_bits(element, is_signed);
      return set(Type::kInt64, is_signed ? Conversion::kInt64 : Conversion::kUInt64);
    }
    case PhysicalType::kInt96: set(Type::kTimestamp, Conversion::kTimestampInt96); return;
    case PhysicalType::kFloat: set(Type::kDouble, Conversion::kFloat); return;
    case PhysicalType::kDouble: set(Type::kDouble, Conversion::kDouble); return;
    case PhysicalType::kByteArray:
    case PhysicalType::kFixedLenByteArray: {
      bool fixed = column.physical == PhysicalType::kFixedLenByteArray;
      if (fixed && column.type_length <= 0) bad_schema(fmt::format("column {} has FIXED_LEN_BYTE_ARRAY length {}", column.name, column.type_length));
      if (is_decimal) return set(Type::kDecimal, Conversion::kDecimalBytes);
      if (logical.kind == Kind::kFloat16) {
        if (!fixed || column.type_length != 2) bad_schema(fmt::format("column {} is FLOAT16 but not 2 bytes wide", column.name));
        return set(Type::kDouble, Conversion::kFloat16);
      }
      bool text = logical.kind == Kind::kString || logical.kind == Kind::kEnum || logical.kind == Kind::kJson ||
                  element.converted_type == ConvertedType::kUtf8 || element.converted_type == ConvertedType::kEnum ||
                  element.converted_type == ConvertedType::kJson;
      return set(text && !fixed ? Type::kString : Type::kBinary, Conversion::kBytes);
    }
  }
}

}  // namespace

size_t physical_width(PhysicalType type, int32_t type_length) {
  switch (type) {
    case PhysicalType::kBoolean: return 1;
    case PhysicalType::kInt32:
    case PhysicalType::kFloat: return 4;
    case PhysicalType::kInt64:
    case PhysicalType::kDouble: return 8;
    case PhysicalType::kInt96: return 12;
    case PhysicalType::kFixedLenByteArray: return static_cast<size_t>(type_length);
    case PhysicalType::kByteArray: return 0;
  }
  return 0;
}

std::vector<ColumnDescriptor> describe_columns(const FileMetaData& metadata, size_t& leaf_count) {
  const auto& schema = metadata.schema;
  const SchemaElement& root = schema[0];
  std::vector<ColumnDescriptor> columns;
  size_t pos = 1;
  size_t leaf = 0;
  for (int32_t child = 0; child < root.num_children; ++child) {
    if (pos >= schema.size()) bad_schema("the root has more children than the schema holds");
    const SchemaElement& element = schema[pos];
    ColumnDescriptor column;
    column.name = element.name;
    column.leaf_index = leaf;
    column.element = &element;
    column.field.name = element.name;
    size_t start = pos;
    size_t leaves = skip_subtree(schema, pos, 1);
    leaf += leaves;
    bool repeated = element.repetition == Repetition::kRepeated;
    if (pos - start > 1 || element.num_children > 0 || repeated || !element.type) {
      column.unsupported = fmt::format("nested column {} is not supported", element.name);
      columns.push_back(std::move(column));
      continue;
    }
    column.physical = *element.type;
    column.type_length = element.type_length;
    column.max_definition_level = element.repetition == Repetition::kRequired ? 0 : 1;
    column.field.nullable = column.max_definition_level > 0;
    map_leaf(column);
    columns.push_back(std::move(column));
  }
  if (pos != schema.size()) bad_schema(fmt::format("{} schema elements, the tree uses {}", schema.size(), pos));
  leaf_count = leaf;
  return columns;
}

}  // namespace idemload::formats::parquet
