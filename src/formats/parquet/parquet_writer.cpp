#include "formats/parquet/parquet_writer.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "formats/parquet/codecs/codec.h"
#include "formats/parquet/decoders/bit_unpack.h"
#include "formats/parquet/decoders/rle_bp.h"
#include "formats/parquet/value_conversion.h"

namespace idemload::formats::parquet {

namespace {

__extension__ typedef __int128 int128;

constexpr size_t kMaxDictionaryEntries = 1 << 16;
constexpr size_t kMaxDictionaryBytes = 1 << 20;
constexpr size_t kMaxPageRows = 1 << 20;

struct ColumnPlan {
  PhysicalType physical = PhysicalType::kInt64;
  size_t width = 8;  // 0 for BYTE_ARRAY
  SchemaElement element;
};

ColumnPlan plan_for(const Field& field) {
  ColumnPlan plan;
  SchemaElement& element = plan.element;
  element.name = field.name;
  element.repetition = field.nullable ? Repetition::kOptional : Repetition::kRequired;
  auto set = [&](PhysicalType physical, size_t width) {
    plan.physical = physical;
    plan.width = width;
    element.type = physical;
  };
  switch (field.type) {
    case Type::kBool: set(PhysicalType::kBoolean, 1); break;
    case Type::kInt64: set(PhysicalType::kInt64, 8); break;
    case Type::kDouble: set(PhysicalType::kDouble, 8); break;
    case Type::kString:
      set(PhysicalType::kByteArray, 0);
      element.converted_type = ConvertedType::kUtf8;
      element.logical_type.kind = LogicalType::Kind::kString;
      break;
    case Type::kBinary: set(PhysicalType::kByteArray, 0); break;
    case Type::kDate:
      set(PhysicalType::kInt32, 4);
      element.converted_type = ConvertedType::kDate;
      element.logical_type.kind = LogicalType::Kind::kDate;
      break;
    case Type::kTimestamp:
      set(PhysicalType::kInt64, 8);
      element.converted_type = ConvertedType::kTimestampMicros;
      element.logical_type = {.kind = LogicalType::Kind::kTimestamp, .adjusted_to_utc = true, .unit = TimeUnit::kMicros};
      break;
    case Type::kTime:
      set(PhysicalType::kInt64, 8);
      element.converted_type = ConvertedType::kTimeMicros;
      element.logical_type = {.kind = LogicalType::Kind::kTime, .adjusted_to_utc = false, .unit = TimeUnit::kMicros};
      break;
    case Type::kDecimal: {
      int precision = field.precision > 0 ? field.precision : 38;
      if (precision > 38 || field.scale < 0 || field.scale > precision) {
        throw Error::NotSupported(fmt::format("column {}: decimal({},{}) cannot be written", field.name, precision, field.scale));
      }
      if (precision <= 18) {
        set(PhysicalType::kInt64, 8);
      } else {
        set(PhysicalType::kFixedLenByteArray, 16);
        element.type_length = 16;
      }
      element.converted_type = ConvertedType::kDecimal;
      element.precision = precision;
      element.scale = field.scale;
      element.logical_type = {.kind = LogicalType::Kind::kDecimal, .scale = field.scale, .precision = precision};
      break;
    }
  }
  return plan;
}

// "-12.3" at scale 3 -> -12300. False when the text is not a decimal or does not fit.
bool decimal_unscaled(std::string_view text, int scale, int128& out) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return false;
  int128 value = 0;
  int fraction_digits = -1;
  constexpr int128 kLimit = static_cast<int128>(1) << 125;
  for (char c : text) {
    if (c == '.') {
      if (fraction_digits >= 0) return false;
      fraction_digits = 0;
      continue;
    }
    if (c < '0' || c > '9') return false;
    if (fraction_digits >= 0) {
      if (fraction_digits == scale) {
        if (c != '0') return false;  // more significant digits than the scale keeps
        continue;
      }
      ++fraction_digits;
    }
    value = value * 10 + (c - '0');
    if (value > kLimit) return false;
  }
  for (int idx = std::max(fraction_digits, 0); idx < scale; ++idx) {
    value *= 10;
    if (value > kLimit) return false;
  }
  out = negative ? -value : value;
  return true;
}

void append_le(std::string& out, const void* data, size_t size) { out.append(static_cast<const char*>(data), size); }

struct Stats {
  bool any = false;
  std::string min, max;
};

}  // namespace

std::optional<Codec> parse_write_codec(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "uncompressed" || lower == "none") return Codec::kUncompressed;
  if (lower == "snappy") return Codec::kSnappy;
  if (lower == "gzip") return Codec::kGzip;
  if (lower == "zstd") return Codec::kZstd;
  return std::nullopt;
}

struct ParquetWriter::State {
  int fd = -1;
  uint64_t offset = 0;
  Batch buffer;
  std::vector<ColumnPlan> plans;
  FileMetaData metadata;
  // Scratch reused across chunks.
  std::string fixed;                    // fixed-width values of the non-NULL rows
  std::vector<std::string_view> views;  // BYTE_ARRAY / FLBA values of the non-NULL rows
  std::vector<uint32_t> indices;
  std::vector<std::string_view> dictionary;
  std::vector<uint32_t> levels;
  std::string body, compressed, header, chunk;
};

ParquetWriter::ParquetWriter(std::string path, const Schema& schema, ParquetWriteOptions options)
    : path_(std::move(path)), schema_(std::make_shared<const Schema>(schema)), options_(options), state_(std::make_unique<State>()) {
  if (!parse_write_codec(codec_name(options_.codec))) {
    throw Error::NotSupported(fmt::format("writing Parquet with codec {} is not supported", codec_name(options_.codec)));
  }
  if (options_.row_group_rows == 0) options_.row_group_rows = 1;
  for (const auto& field : schema_->fields()) state_->plans.push_back(plan_for(field));
  state_->buffer = Batch(schema_);
  SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(schema_->size());
  state_->metadata.schema.push_back(root);
  for (const auto& plan : state_->plans) state_->metadata.schema.push_back(plan.element);
  state_->metadata.version = 1;
  state_->metadata.created_by = "idemload version 0.1.0";
  state_->fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (state_->fd < 0) throw Error::Io({.file = path_}, fmt::format("cannot create: {}", std::strerror(errno)));
  write_bytes("PAR1");
}

ParquetWriter::~ParquetWriter() {
  if (state_ && state_->fd >= 0) ::close(state_->fd);
}

void ParquetWriter::write_bytes(std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t wrote = ::write(state_->fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      throw Error::Io({.file = path_}, fmt::format("write failed: {}", std::strerror(errno)));
    }
    done += static_cast<size_t>(wrote);
  }
  state_->offset += bytes.size();
}

void ParquetWriter::write(const Batch& batch) {
  if (closed_) throw Error::Internal("ParquetWriter::write after close");
  if (batch.num_columns() != schema_->size()) {
    throw Error::InvalidInput(fmt::format("batch has {} columns, the Parquet file {}", batch.num_columns(), schema_->size()),
                              {.file = path_});
  }
  for (size_t col = 0; col < batch.num_columns(); ++col) {
    if (batch.column(col).type() != schema_->field(col).type) {
      throw Error::InvalidInput(fmt::format("column has type {}, the Parquet file {}", type_name(batch.column(col).type()),
                                            type_name(schema_->field(col).type)),
                                {.file = path_, .column = schema_->field(col).name});
    }
  }
  size_t row = 0;
  while (row < batch.num_rows()) {
    size_t room = options_.row_group_rows - state_->buffer.num_rows();
    size_t take = std::min(room, batch.num_rows() - row);
    for (size_t col = 0; col < batch.num_columns(); ++col) append_range(batch.column(col), row, take, state_->buffer.column(col));
    row += take;
    if (state_->buffer.num_rows() >= options_.row_group_rows) flush_row_group();
  }
}

void ParquetWriter::close() {
  if (closed_) return;
  if (state_->buffer.num_rows() > 0) flush_row_group();
  std::string footer;
  write_file_metadata(state_->metadata, footer);
  write_bytes(footer);
  uint32_t footer_size = static_cast<uint32_t>(footer.size());
  std::string tail(reinterpret_cast<const char*>(&footer_size), 4);
  tail += "PAR1";
  write_bytes(tail);
  if (::fsync(state_->fd) != 0 && errno != EINVAL) {
    throw Error::Io({.file = path_}, fmt::format("fsync failed: {}", std::strerror(errno)));
  }
  int rc = ::close(state_->fd);
  state_->fd = -1;
  if (rc != 0) throw Error::Io({.file = path_}, fmt::format("close failed: {}", std::strerror(errno)));
  closed_ = true;
}

void ParquetWriter::flush_row_group() {
  State& st = *state_;
  const size_t rows = st.buffer.num_rows();
  RowGroup group;
  group.num_rows = static_cast<int64_t>(rows);
  for (size_t col = 0; col < schema_->size(); ++col) {
    const Field& field = schema_->field(col);
    const ColumnPlan& plan = st.plans[col];
    const Column& column = st.buffer.column(col);
    const ErrorContext context{.file = path_, .row_group = static_cast<int64_t>(st.metadata.row_groups.size()), .column = field.name};

    // 1. The non-NULL values in their physical form, and statistics.
    st.fixed.clear();
    st.views.clear();
    int64_t null_count = 0;
    bool has_int = false, has_double = false;
    int64_t min_int = 0, max_int = 0;
    double min_double = 0, max_double = 0;
    int128 min_wide = 0, max_wide = 0;
    bool has_wide = false;
    std::string_view min_bytes, max_bytes;
    bool has_bytes = false;
    for (size_t row = 0; row < rows; ++row) {
      if (column.is_null(row)) {
        if (!field.nullable) {
          ErrorContext at = context;
          at.row = static_cast<int64_t>(rows_written_) + static_cast<int64_t>(row);
          throw Error::InvalidInput("NULL in a column that is not nullable", at);
        }
        ++null_count;
        continue;
      }
      switch (field.type) {
        case Type::kBool:
        case Type::kInt64:
        case Type::kTimestamp:
        case Type::kTime:
        case Type::kDate: {
          int64_t value = column.int_at(row);
          if (field.type == Type::kBool) {
            st.fixed.push_back(static_cast<char>(value != 0));
          } else if (field.type == Type::kDate) {
            if (value < INT32_MIN || value > INT32_MAX) {
              throw Error::InvalidInput(fmt::format("date {} days from 1970 does not fit Parquet's DATE", value), context);
            }
            auto days = static_cast<int32_t>(value);
            append_le(st.fixed, &days, 4);
          } else {
            append_le(st.fixed, &value, 8);
          }
          if (!has_int || value < min_int) min_int = value;
          if (!has_int || value > max_int) max_int = value;
          has_int = true;
          break;
        }
        case Type::kDouble: {
          double value = column.double_at(row);
          append_le(st.fixed, &value, 8);
          if (!std::isnan(value)) {
            if (!has_double || value < min_double) min_double = value;
            if (!has_double || value > max_double) max_double = value;
            has_double = true;
          }
          break;
        }
        case Type::kString:
        case Type::kBinary: {
          std::string_view value = column.bytes_at(row);
          st.views.push_back(value);
          if (!has_bytes || value < min_bytes) min_bytes = value;
          if (!has_bytes || value > max_bytes) max_bytes = value;
          has_bytes = true;
          break;
        }
        case Type::kDecimal: {
          int128 unscaled = 0;
          if (!decimal_unscaled(column.bytes_at(row), plan.element.scale, unscaled) ||
              (plan.physical == PhysicalType::kInt64 && (unscaled > INT64_MAX || unscaled < INT64_MIN))) {
            throw Error::InvalidInput(fmt::format("'{}' does not fit decimal({},{})", column.bytes_at(row), plan.element.precision,
                                                  plan.element.scale),
                                      context);
          }
          if (plan.physical == PhysicalType::kInt64) {
            auto value = static_cast<int64_t>(unscaled);
            append_le(st.fixed, &value, 8);
          } else {
            for (int shift = 120; shift >= 0; shift -= 8) st.fixed.push_back(static_cast<char>((unscaled >> shift) & 0xff));
          }
          if (!has_wide || unscaled < min_wide) min_wide = unscaled;
          if (!has_wide || unscaled > max_wide) max_wide = unscaled;
          has_wide = true;
          break;
        }
      }
    }
    const size_t value_count = rows - static_cast<size_t>(null_count);
    if (plan.physical == PhysicalType::kFixedLenByteArray) {
      for (size_t idx = 0; idx < value_count; ++idx) st.views.emplace_back(st.fixed.data() + idx * 16, 16);
    }

    Statistics stats;
    stats.null_count = null_count;
    auto encode_stat = [&](auto value) { return std::string(reinterpret_cast<const char*>(&value), sizeof(value)); };
    if (has_int) {
      if (field.type == Type::kBool) {
        stats.min_value = std::string(1, static_cast<char>(min_int != 0));
        stats.max_value = std::string(1, static_cast<char>(max_int != 0));
      } else if (field.type == Type::kDate) {
        stats.min_value = encode_stat(static_cast<int32_t>(min_int));
        stats.max_value = encode_stat(static_cast<int32_t>(max_int));
      } else {
        stats.min_value = encode_stat(min_int);
        stats.max_value = encode_stat(max_int);
      }
    } else if (has_double) {
      // A zero minimum is written as -0.0 and a zero maximum as +0.0, as the format asks.
      stats.min_value = encode_stat(min_double == 0 ? -0.0 : min_double);
      stats.max_value = encode_stat(max_double == 0 ? 0.0 : max_double);
    } else if (has_bytes) {
      stats.min_value = std::string(min_bytes);
      stats.max_value = std::string(max_bytes);
    } else if (has_wide) {
      if (plan.physical == PhysicalType::kInt64) {
        stats.min_value = encode_stat(static_cast<int64_t>(min_wide));
        stats.max_value = encode_stat(static_cast<int64_t>(max_wide));
      } else {
        std::string low, high;
        for (int shift = 120; shift >= 0; shift -= 8) {
          low.push_back(static_cast<char>((min_wide >> shift) & 0xff));
          high.push_back(static_cast<char>((max_wide >> shift) & 0xff));
        }
        stats.min_value = low;
        stats.max_value = high;
      }
    }

    // 2. A dictionary when it stays small.
    const bool by_bytes = plan.physical == PhysicalType::kByteArray || plan.physical == PhysicalType::kFixedLenByteArray;
    auto value_at = [&](size_t idx) {
      return by_bytes ? st.views[idx] : std::string_view(st.fixed.data() + idx * plan.width, plan.width);
    };
    bool use_dictionary = options_.dictionary && plan.physical != PhysicalType::kBoolean && value_count > 0;
    st.dictionary.clear();
    if (use_dictionary) {
      std::unordered_map<std::string_view, uint32_t> positions;
      positions.reserve(std::min<size_t>(value_count, kMaxDictionaryEntries) * 2);
      st.indices.resize(value_count);
      size_t dictionary_bytes = 0;
      for (size_t idx = 0; idx < value_count && use_dictionary; ++idx) {
        std::string_view value = value_at(idx);
        auto [it, inserted] = positions.emplace(value, static_cast<uint32_t>(st.dictionary.size()));
        if (inserted) {
          st.dictionary.push_back(value);
          dictionary_bytes += value.size() + 4;
          if (st.dictionary.size() > kMaxDictionaryEntries || dictionary_bytes > kMaxDictionaryBytes) use_dictionary = false;
        }
        st.indices[idx] = it->second;
      }
    }
    const int bit_width = use_dictionary ? std::max(1, bit_width_of(st.dictionary.size() - 1)) : 0;

    // 3. Pages: the dictionary page, then data pages of about page_bytes of values each.
    st.chunk.clear();
    int64_t uncompressed_total = 0;
    std::optional<int64_t> dictionary_offset;
    auto emit_page = [&](PageHeader header) {
      compress(options_.codec, st.body, st.compressed);
      header.uncompressed_page_size = static_cast<int32_t>(st.body.size());
      header.compressed_page_size = static_cast<int32_t>(st.compressed.size());
      header.crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(st.compressed.data()), static_cast<uInt>(st.compressed.size())));
      st.header.clear();
      write_page_header(header, st.header);
      uncompressed_total += static_cast<int64_t>(st.header.size() + st.body.size());
      st.chunk += st.header;
      st.chunk += st.compressed;
    };
    auto plain_values = [&](size_t begin, size_t end) {
      if (plan.physical == PhysicalType::kByteArray) {
        for (size_t idx = begin; idx < end; ++idx) {
          auto length = static_cast<uint32_t>(st.views[idx].size());
          append_le(st.body, &length, 4);
          st.body.append(st.views[idx]);
        }
      } else if (plan.physical == PhysicalType::kBoolean) {
        size_t base = st.body.size();
        st.body.append((end - begin + 7) / 8, '\0');
        for (size_t idx = begin; idx < end; ++idx) {
          if (st.fixed[idx]) st.body[base + ((idx - begin) >> 3)] = static_cast<char>(st.body[base + ((idx - begin) >> 3)] | (1 << ((idx - begin) & 7)));
        }
      } else {
        st.body.append(st.fixed, begin * plan.width, (end - begin) * plan.width);
      }
    };
    if (use_dictionary) {
      dictionary_offset = static_cast<int64_t>(st.offset);
      st.body.clear();
      for (std::string_view value : st.dictionary) {
        if (plan.physical == PhysicalType::kByteArray) {
          auto length = static_cast<uint32_t>(value.size());
          append_le(st.body, &length, 4);
        }
        st.body.append(value);
      }
      PageHeader header;
      header.type = static_cast<int32_t>(PageType::kDictionaryPage);
      header.dictionary_page = DictionaryPageHeader{static_cast<int32_t>(st.dictionary.size()), static_cast<int32_t>(Encoding::kPlain)};
      emit_page(header);
    }
    const int64_t data_offset = static_cast<int64_t>(st.offset + st.chunk.size());
    size_t row = 0, value_idx = 0;
    while (row < rows || (rows == 0 && row == 0)) {
      // Rows of this page: until its values reach page_bytes.
      size_t page_end = row, value_end = value_idx, bytes = 0;
      while (page_end < rows && page_end - row < kMaxPageRows && bytes < options_.page_bytes) {
        if (!column.is_null(page_end)) {
          bytes += use_dictionary ? 2 : (plan.width > 0 ? plan.width : 4 + st.views[value_end].size());
          ++value_end;
        }
        ++page_end;
      }
      st.body.clear();
      if (field.nullable) {
        st.levels.resize(page_end - row);
        for (size_t idx = row; idx < page_end; ++idx) st.levels[idx - row] = column.is_null(idx) ? 0 : 1;
        std::string encoded;
        rle_bp_encode(st.levels.data(), st.levels.size(), 1, encoded);
        auto length = static_cast<uint32_t>(encoded.size());
        append_le(st.body, &length, 4);
        st.body += encoded;
      }
      if (use_dictionary) {
        st.body.push_back(static_cast<char>(bit_width));
        rle_bp_encode(st.indices.data() + value_idx, value_end - value_idx, bit_width, st.body);
      } else {
        plain_values(value_idx, value_end);
      }
      PageHeader header;
      header.type = static_cast<int32_t>(PageType::kDataPage);
      header.data_page = DataPageHeader{static_cast<int32_t>(page_end - row),
                                        static_cast<int32_t>(use_dictionary ? Encoding::kRleDictionary : Encoding::kPlain),
                                        static_cast<int32_t>(Encoding::kRle), static_cast<int32_t>(Encoding::kRle)};
      emit_page(header);
      row = page_end;
      value_idx = value_end;
      if (rows == 0) break;
    }

    ColumnChunk chunk;
    chunk.file_offset = dictionary_offset.value_or(data_offset);
    chunk.has_meta_data = true;
    ColumnMetaData& meta = chunk.meta_data;
    meta.type = plan.physical;
    meta.encodings = use_dictionary ? std::vector<int32_t>{static_cast<int32_t>(Encoding::kPlain), static_cast<int32_t>(Encoding::kRle),
                                                           static_cast<int32_t>(Encoding::kRleDictionary)}
                                    : std::vector<int32_t>{static_cast<int32_t>(Encoding::kPlain), static_cast<int32_t>(Encoding::kRle)};
    meta.path_in_schema = {field.name};
    meta.codec = options_.codec;
    meta.num_values = static_cast<int64_t>(rows);
    meta.total_uncompressed_size = uncompressed_total;
    meta.total_compressed_size = static_cast<int64_t>(st.chunk.size());
    meta.data_page_offset = data_offset;
    meta.dictionary_page_offset = dictionary_offset;
    meta.statistics = stats;
    group.total_byte_size += uncompressed_total;
    write_bytes(st.chunk);
    group.columns.push_back(std::move(chunk));
  }
  st.metadata.num_rows += group.num_rows;
  st.metadata.row_groups.push_back(std::move(group));
  rows_written_ += static_cast<int64_t>(rows);
  st.buffer.clear();
}

}  // namespace idemload::formats::parquet
