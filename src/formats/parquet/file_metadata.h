// Parquet footer and page-header structures (the subset of parquet.thrift that idemload uses),
// decoded from and encoded to the Thrift compact protocol. Unknown fields are skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace idemload::formats::parquet {

enum class PhysicalType : int32_t {
  kBoolean = 0, kInt32 = 1, kInt64 = 2, kInt96 = 3, kFloat = 4, kDouble = 5, kByteArray = 6, kFixedLenByteArray = 7,
};
enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };
enum class ConvertedType : int32_t {
  kNone = -1, kUtf8 = 0, kMap = 1, kMapKeyValue = 2, kList = 3, kEnum = 4, kDecimal = 5, kDate = 6,
  kTimeMillis = 7, kTimeMicros = 8, kTimestampMillis = 9, kTimestampMicros = 10, kUint8 = 11, kUint16 = 12,
  kUint32 = 13, kUint64 = 14, kInt8 = 15, kInt16 = 16, kInt32 = 17, kInt64 = 18, kJson = 19, kBson = 20,
  kInterval = 21,
};
enum class Encoding : int32_t {
  kPlain = 0, kPlainDictionary = 2, kRle = 3, kBitPacked = 4, kDeltaBinaryPacked = 5, kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7, kRleDictionary = 8, kByteStreamSplit = 9,
};
enum class Codec : int32_t {
  kUncompressed = 0, kSnappy = 1, kGzip = 2, kLzo = 3, kBrotli = 4, kLz4 = 5, kZstd = 6, kLz4Raw = 7,
};
enum class PageType : int32_t { kDataPage = 0, kIndexPage = 1, kDictionaryPage = 2, kDataPageV2 = 3 };
enum class TimeUnit : uint8_t { kMillis, kMicros, kNanos };

std::string physical_type_name(PhysicalType type);
std::string converted_type_name(ConvertedType type);
std::string encoding_name(int32_t encoding);
std::string codec_name(Codec codec);
std::string page_type_name(int32_t type);

// The LogicalType union. kind says which member was set; kUnknown is a member id we do not
// know (the reader then falls back to the converted or physical type).
struct LogicalType {
  enum class Kind : uint8_t {
    kNone, kString, kMap, kList, kEnum, kDecimal, kDate, kTime, kTimestamp, kInteger, kNull, kJson, kBson,
    kUuid, kFloat16, kUnknown,
  };
  Kind kind = Kind::kNone;
  int32_t scale = 0;
  int32_t precision = 0;
  bool adjusted_to_utc = false;
  TimeUnit unit = TimeUnit::kMicros;
  int8_t bit_width = 0;
  bool is_signed = true;

  std::string to_string() const;  // "Timestamp(isAdjustedToUTC=1, unit=MICROS)", "" for none
};

struct SchemaElement {
  std::optional<PhysicalType> type;  // unset for groups
  int32_t type_length = 0;
  std::optional<Repetition> repetition;
  std::string name;
  int32_t num_children = 0;
  ConvertedType converted_type = ConvertedType::kNone;
  int32_t scale = 0;
  int32_t precision = 0;
  LogicalType logical_type;
};

struct Statistics {
  std::optional<std::string> min_value;  // min_value, or the deprecated min
  std::optional<std::string> max_value;
  std::optional<int64_t> null_count;
};

struct ColumnMetaData {
  PhysicalType type = PhysicalType::kInt32;
  std::vector<int32_t> encodings;
  std::vector<std::string> path_in_schema;
  Codec codec = Codec::kUncompressed;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
  Statistics statistics;
};

struct ColumnChunk {
  std::string file_path;  // set only for chunks stored in another file (not supported)
  int64_t file_offset = 0;
  bool has_meta_data = false;
  ColumnMetaData meta_data;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
};

struct FileMetaData {
  int32_t version = 0;
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::string created_by;
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
};

struct DataPageHeader {
  int32_t num_values = 0;
  int32_t encoding = 0;
  int32_t definition_level_encoding = 0;
  int32_t repetition_level_encoding = 0;
};

struct DictionaryPageHeader {
  int32_t num_values = 0;
  int32_t encoding = 0;
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  int32_t encoding = 0;
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;
};

struct PageHeader {
  int32_t type = 0;  // PageType, kept raw so that unknown kinds can be skipped
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  std::optional<uint32_t> crc;
  std::optional<DataPageHeader> data_page;
  std::optional<DictionaryPageHeader> dictionary_page;
  std::optional<DataPageHeaderV2> data_page_v2;
};

// Decodes a FileMetaData from the footer bytes. Throws Error(kCorruption) with a message saying
// what is wrong (the caller adds the file); enum values out of range and negative counts are
// corruption.
FileMetaData parse_file_metadata(const uint8_t* data, size_t size);

// Decodes a page header starting at `data`; sets `header_size` to the bytes it took. Throws
// Error(kCorruption) for a malformed or truncated header and for negative sizes or counts.
PageHeader parse_page_header(const uint8_t* data, size_t size, size_t& header_size);

// Compact-protocol encodings of the structures, for the writer.
void write_file_metadata(const FileMetaData& metadata, std::string& out);
void write_page_header(const PageHeader& header, std::string& out);

}  // namespace idemload::formats::parquet
