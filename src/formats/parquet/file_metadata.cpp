#include "formats/parquet/file_metadata.h"

#include <fmt/format.h>

#include "core/error.h"
#include "formats/parquet/thrift_compact.h"

namespace idemload::formats::parquet {

namespace {

using Field = ThriftReader::FieldHeader;

[[noreturn]] void bad(const std::string& message) { throw ThriftError{message}; }

int32_t read_enum(ThriftReader& reader, int32_t max, const char* what) {
  int32_t value = reader.read_i32();
  if (value < 0 || value > max) bad(fmt::format("{} {} out of range", what, value));
  return value;
}

int32_t read_non_negative(ThriftReader& reader, const char* what) {
  int32_t value = reader.read_i32();
  if (value < 0) bad(fmt::format("negative {} ({})", what, value));
  return value;
}

// Reads a struct with `on_field(field)` deciding which fields it consumes; returns false from
// on_field to skip one.
template <typename Fn>
void read_struct(ThriftReader& reader, Fn&& on_field) {
  reader.begin_struct();
  while (true) {
    Field field = reader.next_field();
    if (field.type == ThriftType::kStop) break;
    if (!on_field(field)) reader.skip(field.type);
  }
  reader.end_struct();
}

template <typename Fn>
void read_list(ThriftReader& reader, Field field, ThriftType element, Fn&& on_element) {
  if (field.type != ThriftType::kList) {
    reader.skip(field.type);
    return;
  }
  ThriftType type;
  uint32_t size;
  reader.read_list_header(type, size);
  if (type != element) bad("Thrift list of unexpected element type");
  for (uint32_t idx = 0; idx < size; ++idx) on_element();
}

bool is(Field field, ThriftType type) { return field.type == type; }
bool is_int(Field field) { return field.type == ThriftType::kI32 || field.type == ThriftType::kI16 || field.type == ThriftType::kI64 || field.type == ThriftType::kByte; }

TimeUnit read_time_unit(ThriftReader& reader) {
  TimeUnit unit = TimeUnit::kMicros;
  bool seen = false;
  read_struct(reader, [&](Field field) {
    if (!is(field, ThriftType::kStruct) || field.id < 1 || field.id > 3) return false;
    unit = field.id == 1 ? TimeUnit::kMillis : field.id == 2 ? TimeUnit::kMicros : TimeUnit::kNanos;
    seen = true;
    reader.skip(field.type);
    return true;
  });
  if (!seen) bad("time unit without a unit");
  return unit;
}

LogicalType read_logical_type(ThriftReader& reader) {
  LogicalType logical;
  read_struct(reader, [&](Field field) {
    if (!is(field, ThriftType::kStruct)) return false;
    using Kind = LogicalType::Kind;
    switch (field.id) {
      case 1: logical.kind = Kind::kString; return false;
      case 2: logical.kind = Kind::kMap; return false;
      case 3: logical.kind = Kind::kList; return false;
      case 4: logical.kind = Kind::kEnum; return false;
      case 5:
        logical.kind = Kind::kDecimal;
        read_struct(reader, [&](Field inner) {
          if (inner.id == 1 && is_int(inner)) return logical.scale = reader.read_i32(), true;
          if (inner.id == 2 && is_int(inner)) return logical.precision = reader.read_i32(), true;
          return false;
        });
        return true;
      case 6: logical.kind = Kind::kDate; return false;
      case 7:
      case 8:
        logical.kind = field.id == 7 ? Kind::kTime : Kind::kTimestamp;
        read_struct(reader, [&](Field inner) {
          if (inner.id == 1 && (is(inner, ThriftType::kBoolTrue) || is(inner, ThriftType::kBoolFalse))) {
            logical.adjusted_to_utc = reader.read_bool(inner.type);
            return true;
          }
          if (inner.id == 2 && is(inner, ThriftType::kStruct)) return logical.unit = read_time_unit(reader), true;
          return false;
        });
        return true;
      case 10:
        logical.kind = Kind::kInteger;
        read_struct(reader, [&](Field inner) {
          if (inner.id == 1 && is_int(inner)) {
            logical.bit_width = inner.type == ThriftType::kByte ? reader.read_byte() : static_cast<int8_t>(reader.read_i32());
            return true;
          }
          if (inner.id == 2 && (is(inner, ThriftType::kBoolTrue) || is(inner, ThriftType::kBoolFalse))) {
            logical.is_signed = reader.read_bool(inner.type);
            return true;
          }
          return false;
        });
        return true;
      case 11: logical.kind = Kind::kNull; return false;
      case 12: logical.kind = Kind::kJson; return false;
      case 13: logical.kind = Kind::kBson; return false;
      case 14: logical.kind = Kind::kUuid; return false;
      case 15: logical.kind = Kind::kFloat16; return false;
      default: logical.kind = Kind::kUnknown; return false;
    }
  });
  return logical;
}

SchemaElement read_schema_element(ThriftReader& reader) {
  SchemaElement element;
  bool has_name = false;
  read_struct(reader, [&](Field field) {
    switch (field.id) {
      case 1: if (!is_int(field)) return false; element.type = static_cast<PhysicalType>(read_enum(reader, 7, "physical type")); return true;
      case 2: if (!is_int(field)) return false; element.type_length = reader.read_i32(); return true;
      case 3: if (!is_int(field)) return false; element.repetition = static_cast<Repetition>(read_enum(reader, 2, "repetition type")); return true;
      case 4: if (!is(field, ThriftType::kBinary)) return false; element.name = reader.read_string(); has_name = true; return true;
      case 5: if (!is_int(field)) return false; element.num_children = read_non_negative(reader, "number of children"); return true;
      case 6: if (!is_int(field)) return false; element.converted_type = static_cast<ConvertedType>(read_enum(reader, 21, "converted type")); return true;
      case 7: if (!is_int(field)) return false; element.scale = reader.read_i32(); return true;
      case 8: if (!is_int(field)) return false; element.precision = reader.read_i32(); return true;
      case 10: if (!is(field, ThriftType::kStruct)) return false; element.logical_type = read_logical_type(reader); return true;
      default: return false;
    }
  });
  if (!has_name) bad("schema element without a name");
  return element;
}

Statistics read_statistics(ThriftReader& reader) {
  Statistics stats;
  std::optional<std::string> old_min, old_max;
  read_struct(reader, [&](Field field) {
    switch (field.id) {
      case 1: if (!is(field, ThriftType::kBinary)) return false; old_max = reader.read_string(); return true;
      case 2: if (!is(field, ThriftType::kBinary)) return false; old_min = reader.read_string(); return true;
      case 3: if (!is_int(field)) return false; stats.null_count = reader.read_i64(); return true;
      case 5: if (!is(field, ThriftType::kBinary)) return false; stats.max_value = reader.read_string(); return true;
      case 6: if (!is(field, ThriftType::kBinary)) return false; stats.min_value = reader.read_string(); return true;
      default: return false;
    }
  });
  if (!stats.min_value) stats.min_value = old_min;
  if (!stats.max_value) stats.max_value = old_max;
  return stats;
}

ColumnMetaData read_column_meta_data(ThriftReader& reader) {
  ColumnMetaData meta;
  read_struct(reader, [&](Field field) {
    switch (field.id) {
      case 1: if (!is_int(field)) return false; meta.type = static_cast<PhysicalType>(read_enum(reader, 7, "physical type")); return true;
      case 2: read_list(reader, field, ThriftType::kI32, [&] { meta.encodings.push_back(reader.read_i32()); }); return true;
      case 3: read_list(reader, field, ThriftType::kBinary, [&] { meta.path_in_schema.push_back(reader.read_string()); }); return true;
      case 4: if (!is_int(field)) return false; meta.codec = static_cast<Codec>(read_enum(reader, 7, "compression codec")); return true;
      case 5: if (!is_int(field)) return false; meta.num_values = reader.read_i64(); return true;
      case 6: if (!is_int(field)) return false; meta.total_uncompressed_size = reader.read_i64(); return true;
      case 7: if (!is_int(field)) return false; meta.total_compressed_size = reader.read_i64(); return true;
      case 9: if (!is_int(field)) return false; meta.data_page_offset = reader.read_i64(); return true;
      case 11: if (!is_int(field)) return false; meta.dictionary_page_offset = reader.read_i64(); return true;
      case 12: if (!is(field, ThriftType::kStruct)) return false; meta.statistics = read_statistics(reader); return true;
      default: return false;
    }
  });
  if (meta.num_values < 0) bad("negative number of values in a column chunk");
  if (meta.total_compressed_size < 0) bad("negative column chunk size");
  if (meta.data_page_offset < 0) bad("negative data page offset");
  return meta;
}

ColumnChunk read_column_chunk(ThriftReader& reader) {
  ColumnChunk chunk;
  read_struct(reader, [&](Field field) {
    switch (field.id) {
      case 1: if (!is(field, ThriftType::kBinary)) return false; chunk.file_path = reader.read_string(); return true;
      case 2: if (!is_int(field)) return false; chunk.file_offset = reader.read_i64(); return true;
      case 3:
        if (!is(field, ThriftType::kStruct)) return false;
        chunk.meta_data = read_column_meta_data(reader);
        chunk.has_meta_data = true;
        return true;
      default: return false;
    }
  });
  return chunk;
}

RowGroup read_row_group(ThriftReader& reader) {
  RowGroup group;
  read_struct(reader, [&](Field field) {
    switch (field.id) {
      case 1: read_list(reader, field, ThriftType::kStruct, [&] { group.columns.push_back(read_column_chunk(reader)); }); return true;
      case 2: if (!is_int(field)) return false; group.total_byte_size = reader.read_i64(); return true;
      case 3: if (!is_int(field)) return false; group.num_rows = reader.read_i64(); return true;
      default: return false;
    }
  });
  if (group.num_rows < 0) bad("negative number of rows in a row group");
  return group;
}

}  // namespace

FileMetaData parse_file_metadata(const uint8_t* data, size_t size) {
  FileMetaData metadata;
  try {
    ThriftReader reader(data, size);
    read_struct(reader, [&](Field field) {
      switch (field.id) {
        case 1: if (!is_int(field)) return false; metadata.version = reader.read_i32(); return true;
        case 2: read_list(reader, field, ThriftType::kStruct, [&] { metadata.schema.push_back(read_schema_element(reader)); }); return true;
        case 3: if (!is_int(field)) return false; metadata.num_rows = reader.read_i64(); return true;
        case 4: read_list(reader, field, ThriftType::kStruct, [&] { metadata.row_groups.push_back(read_row_group(reader)); }); return true;
        case 5:
          read_list(reader, field, ThriftType::kStruct, [&] {
            std::pair<std::string, std::string> entry;
            read_struct(reader, [&](Field inner) {
              if (!is(inner, ThriftType::kBinary)) return false;
              if (inner.id == 1) return entry.first = reader.read_string(), true;
              if (inner.id == 2) return entry.second = reader.read_string(), true;
              return false;
            });
            metadata.key_value_metadata.push_back(std::move(entry));
          });
          return true;
        case 6: if (!is(field, ThriftType::kBinary)) return false; metadata.created_by = reader.read_string(); return true;
        default: return false;
      }
    });
  } catch (const ThriftError& error) {
    throw Error::Corruption({}, "invalid file metadata: " + error.message);
  }
  if (metadata.schema.empty()) throw Error::Corruption({}, "invalid file metadata: empty schema");
  if (metadata.num_rows < 0) throw Error::Corruption({}, "invalid file metadata: negative number of rows");
  return metadata;
}

PageHeader parse_page_header(const uint8_t* data, size_t size, size_t& header_size) {
  PageHeader header;
  try {
    ThriftReader reader(data, size);
    bool has_type = false, has_sizes = false;
    read_struct(reader, [&](Field field) {
      switch (field.id) {
        case 1: if (!is_int(field)) return false; header.type = reader.read_i32(); has_type = true; return true;
        case 2: if (!is_int(field)) return false; header.uncompressed_page_size = read_non_negative(reader, "uncompressed page size"); return true;
        case 3: if (!is_int(field)) return false; header.compressed_page_size = read_non_negative(reader, "compressed page size"); has_sizes = true; return true;
        case 4: if (!is_int(field)) return false; header.crc = static_cast<uint32_t>(reader.read_i32()); return true;
        case 5: {
          if (!is(field, ThriftType::kStruct)) return false;
          DataPageHeader page;
          read_struct(reader, [&](Field inner) {
            if (!is_int(inner)) return false;
            switch (inner.id) {
              case 1: page.num_values = read_non_negative(reader, "number of values"); return true;
              case 2: page.encoding = reader.read_i32(); return true;
              case 3: page.definition_level_encoding = reader.read_i32(); return true;
              case 4: page.repetition_level_encoding = reader.read_i32(); return true;
              default: return false;
            }
          });
          header.data_page = page;
          return true;
        }
        case 7: {
          if (!is(field, ThriftType::kStruct)) return false;
          DictionaryPageHeader page;
          read_struct(reader, [&](Field inner) {
            if (!is_int(inner)) return false;
            if (inner.id == 1) return page.num_values = read_non_negative(reader, "number of dictionary values"), true;
            if (inner.id == 2) return page.encoding = reader.read_i32(), true;
            return false;
          });
          header.dictionary_page = page;
          return true;
        }
        case 8: {
          if (!is(field, ThriftType::kStruct)) return false;
          DataPageHeaderV2 page;
          read_struct(reader, [&](Field inner) {
            if (inner.id == 7 && (is(inner, ThriftType::kBoolTrue) || is(inner, ThriftType::kBoolFalse))) {
              page.is_compressed = reader.read_bool(inner.type);
              return true;
            }
            if (!is_int(inner)) return false;
            switch (inner.id) {
              case 1: page.num_values = read_non_negative(reader, "number of values"); return true;
              case 2: page.num_nulls = read_non_negative(reader, "number of nulls"); return true;
              case 3: page.num_rows = read_non_negative(reader, "number of rows"); return true;
              case 4: page.encoding = reader.read_i32(); return true;
              case 5: page.definition_levels_byte_length = read_non_negative(reader, "definition levels length"); return true;
              case 6: page.repetition_levels_byte_length = read_non_negative(reader, "repetition levels length"); return true;
              default: return false;
            }
          });
          header.data_page_v2 = page;
          return true;
        }
        default: return false;
      }
    });
    if (!has_type || !has_sizes) bad("page header without type or size");
    header_size = reader.consumed(data);
  } catch (const ThriftError& error) {
    throw Error::Corruption({}, "invalid page header: " + error.message);
  }
  return header;
}

// ---- writing ----

namespace {

void write_statistics(ThriftWriter& writer, int16_t id, const Statistics& stats) {
  writer.field_struct_begin(id);
  if (stats.null_count) writer.field_i64(3, *stats.null_count);
  if (stats.max_value) writer.field_binary(5, *stats.max_value);
  if (stats.min_value) writer.field_binary(6, *stats.min_value);
  writer.end_struct();
}

void write_logical_type(ThriftWriter& writer, const LogicalType& logical) {
  using Kind = LogicalType::Kind;
  writer.field_struct_begin(10);
  auto empty_member = [&](int16_t id) {
    writer.field_struct_begin(id);
    writer.end_struct();
  };
  auto time_like = [&](int16_t id) {
    writer.field_struct_begin(id);
    writer.field_bool(1, logical.adjusted_to_utc);
    writer.field_struct_begin(2);
    empty_member(logical.unit == TimeUnit::kMillis ? 1 : logical.unit == TimeUnit::kMicros ? 2 : 3);
    writer.end_struct();
    writer.end_struct();
  };
  switch (logical.kind) {
    case Kind::kString: empty_member(1); break;
    case Kind::kDate: empty_member(6); break;
    case Kind::kTime: time_like(7); break;
    case Kind::kTimestamp: time_like(8); break;
    case Kind::kDecimal:
      writer.field_struct_begin(5);
      writer.field_i32(1, logical.scale);
      writer.field_i32(2, logical.precision);
      writer.end_struct();
      break;
    default: break;
  }
  writer.end_struct();
}

}  // namespace

void write_file_metadata(const FileMetaData& metadata, std::string& out) {
  ThriftWriter writer(out);
  writer.begin_struct();
  writer.field_i32(1, metadata.version);
  writer.field_list_begin(2, ThriftType::kStruct, static_cast<uint32_t>(metadata.schema.size()));
  for (const auto& element : metadata.schema) {
    writer.element_struct_begin();
    if (element.type) writer.field_i32(1, static_cast<int32_t>(*element.type));
    if (element.type == PhysicalType::kFixedLenByteArray) writer.field_i32(2, element.type_length);
    if (element.repetition) writer.field_i32(3, static_cast<int32_t>(*element.repetition));
    writer.field_binary(4, element.name);
    if (element.num_children > 0) writer.field_i32(5, element.num_children);
    if (element.converted_type != ConvertedType::kNone) writer.field_i32(6, static_cast<int32_t>(element.converted_type));
    if (element.converted_type == ConvertedType::kDecimal) {
      writer.field_i32(7, element.scale);
      writer.field_i32(8, element.precision);
    }
    if (element.logical_type.kind != LogicalType::Kind::kNone) write_logical_type(writer, element.logical_type);
    writer.end_struct();
  }
  writer.field_i64(3, metadata.num_rows);
  writer.field_list_begin(4, ThriftType::kStruct, static_cast<uint32_t>(metadata.row_groups.size()));
  for (const auto& group : metadata.row_groups) {
    writer.element_struct_begin();
    writer.field_list_begin(1, ThriftType::kStruct, static_cast<uint32_t>(group.columns.size()));
    for (const auto& chunk : group.columns) {
      writer.element_struct_begin();
      writer.field_i64(2, chunk.file_offset);
      writer.field_struct_begin(3);
      const auto& meta = chunk.meta_data;
      writer.field_i32(1, static_cast<int32_t>(meta.type));
      writer.field_list_begin(2, ThriftType::kI32, static_cast<uint32_t>(meta.encodings.size()));
      for (int32_t encoding : meta.encodings) writer.element_i32(encoding);
      writer.field_list_begin(3, ThriftType::kBinary, static_cast<uint32_t>(meta.path_in_schema.size()));
      for (const auto& part : meta.path_in_schema) writer.element_binary(part);
      writer.field_i32(4, static_cast<int32_t>(meta.codec));
      writer.field_i64(5, meta.num_values);
      writer.field_i64(6, meta.total_uncompressed_size);
      writer.field_i64(7, meta.total_compressed_size);
      writer.field_i64(9, meta.data_page_offset);
      if (meta.dictionary_page_offset) writer.field_i64(11, *meta.dictionary_page_offset);
      write_statistics(writer, 12, meta.statistics);
      writer.end_struct();
      writer.end_struct();
    }
    writer.field_i64(2, group.total_byte_size);
    writer.field_i64(3, group.num_rows);
    writer.end_struct();
  }
  if (!metadata.created_by.empty()) writer.field_binary(6, metadata.created_by);
  writer.end_struct();
}

void write_page_header(const PageHeader& header, std::string& out) {
  ThriftWriter writer(out);
  writer.begin_struct();
  writer.field_i32(1, header.type);
  writer.field_i32(2, header.uncompressed_page_size);
  writer.field_i32(3, header.compressed_page_size);
  if (header.crc) writer.field_i32(4, static_cast<int32_t>(*header.crc));
  if (header.data_page) {
    writer.field_struct_begin(5);
    writer.field_i32(1, header.data_page->num_values);
    writer.field_i32(2, header.data_page->encoding);
    writer.field_i32(3, header.data_page->definition_level_encoding);
    writer.field_i32(4, header.data_page->repetition_level_encoding);
    writer.end_struct();
  }
  if (header.dictionary_page) {
    writer.field_struct_begin(7);
    writer.field_i32(1, header.dictionary_page->num_values);
    writer.field_i32(2, header.dictionary_page->encoding);
    writer.end_struct();
  }
  writer.end_struct();
}

// ---- names ----

std::string physical_type_name(PhysicalType type) {
  static const char* const kNames[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  auto idx = static_cast<int32_t>(type);
  return idx >= 0 && idx < 8 ? kNames[idx] : fmt::format("TYPE_{}", idx);
}

std::string converted_type_name(ConvertedType type) {
  static const char* const kNames[] = {"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS",
                                       "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16", "UINT_32",
                                       "UINT_64", "INT_8", "INT_16", "INT_32", "INT_64", "JSON", "BSON", "INTERVAL"};
  auto idx = static_cast<int32_t>(type);
  return idx >= 0 && idx < 22 ? kNames[idx] : "";
}

std::string encoding_name(int32_t encoding) {
  static const char* const kNames[] = {"PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED", "DELTA_BINARY_PACKED",
                                       "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
  return encoding >= 0 && encoding < 10 ? kNames[encoding] : fmt::format("ENCODING_{}", encoding);
}

std::string codec_name(Codec codec) {
  static const char* const kNames[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
  auto idx = static_cast<int32_t>(codec);
  return idx >= 0 && idx < 8 ? kNames[idx] : fmt::format("CODEC_{}", idx);
}

std::string page_type_name(int32_t type) {
  static const char* const kNames[] = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE", "DATA_PAGE_V2"};
  return type >= 0 && type < 4 ? kNames[type] : fmt::format("PAGE_{}", type);
}

std::string LogicalType::to_string() const {
  auto unit_name = [&] { return unit == TimeUnit::kMillis ? "MILLIS" : unit == TimeUnit::kMicros ? "MICROS" : "NANOS"; };
  switch (kind) {
    case Kind::kNone: return "";
    case Kind::kString: return "String";
    case Kind::kMap: return "Map";
    case Kind::kList: return "List";
    case Kind::kEnum: return "Enum";
    case Kind::kDecimal: return fmt::format("Decimal(precision={}, scale={})", precision, scale);
    case Kind::kDate: return "Date";
    case Kind::kTime: return fmt::format("Time(isAdjustedToUTC={}, unit={})", adjusted_to_utc ? 1 : 0, unit_name());
    case Kind::kTimestamp: return fmt::format("Timestamp(isAdjustedToUTC={}, unit={})", adjusted_to_utc ? 1 : 0, unit_name());
    case Kind::kInteger: return fmt::format("Int(bitWidth={}, isSigned={})", bit_width, is_signed ? 1 : 0);
    case Kind::kNull: return "Null";
    case Kind::kJson: return "Json";
    case Kind::kBson: return "Bson";
    case Kind::kUuid: return "UUID";
    case Kind::kFloat16: return "Float16";
    case Kind::kUnknown: return "Unknown";
  }
  return "";
}

}  // namespace idemload::formats::parquet
