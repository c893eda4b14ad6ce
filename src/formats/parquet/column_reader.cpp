#include "formats/parquet/column_reader.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "formats/parquet/codecs/codec.h"
#include "formats/parquet/decoders/byte_stream_split.h"
#include "formats/parquet/decoders/delta_binary_packed.h"
#include "formats/parquet/decoders/delta_length_byte_array.h"
#include "formats/parquet/decoders/plain.h"
#include "formats/parquet/levels.h"

namespace idemload::formats::parquet {

namespace {

[[noreturn]] void corrupt(const std::string& message) { throw Error::Corruption({}, message); }

// A page of more than this many values is not something a real writer produces; refusing it
// keeps a corrupt count from making us allocate gigabytes.
constexpr int64_t kMaxPageValues = int64_t{1} << 24;

void check_page_rows(size_t rows, int64_t rows_left, int32_t page_size) {
  if (static_cast<int64_t>(rows) > rows_left) {
    corrupt(fmt::format("page holds {} values, only {} rows of the row group are left", rows,
                        rows_left));
  }
  if (static_cast<int64_t>(rows) > kMaxPageValues &&
      static_cast<int64_t>(rows) > int64_t{page_size} * 8) {
    corrupt(fmt::format("page of {} bytes claims {} values", page_size, rows));
  }
}

// The number of ones among validity bytes (each 0 or 1), eight at a time.
size_t count_valid(const uint8_t* valid, size_t rows) {
  size_t count = 0;
  size_t row = 0;
  for (; row + 8 <= rows; row += 8) {
    uint64_t word;
    std::memcpy(&word, valid + row, 8);
    count += static_cast<size_t>((word * 0x0101010101010101ULL) >> 56);
  }
  for (; row < rows; ++row) count += valid[row];
  return count;
}

}  // namespace

ColumnReader::ColumnReader(const ColumnDescriptor& column)
    : column_(column), dictionary_(column.field.type), skipped_(column.field.type) {}

void ColumnReader::start_chunk(Codec codec, int64_t num_rows, int64_t first_row,
                               ErrorContext context) {
  codec_ = codec;
  chunk_pos_ = 0;
  rows_left_ = num_rows;
  num_rows_ = num_rows;
  first_row_ = first_row;
  page_idx_ = -1;
  page_first_row_ = first_row;
  context_ = std::move(context);
  dictionary_.clear();
  has_dictionary_ = false;
  page_rows_ = 0;
  page_pos_ = 0;
  page_valid_ = nullptr;
}

void ColumnReader::read(size_t rows, Column& out) {
  try {
    while (rows > 0) {
      if (page_pos_ == page_rows_) {
        if (!next_data_page()) {
          corrupt(fmt::format("column chunk ends after {} of its row group's {} rows",
                              num_rows_ - rows_left_, num_rows_));
        }
        continue;
      }
      size_t take = std::min(rows, page_rows_ - page_pos_);
      append_slice(take, out);
      page_pos_ += take;
      rows -= take;
    }
  } catch (const Error& error) {
    throw in_context(error);
  }
}

Error ColumnReader::in_context(const Error& error) const {
  ErrorContext context = context_;
  if (page_idx_ >= 0) {
    // Values are decoded a slice at a time: the row is the first of the slice that failed (the
    // page's first row for a page that could not be opened).
    context.page = page_idx_;
    context.row = page_first_row_ + static_cast<int64_t>(page_pos_);
  }
  return error.with_context(context);
}

void ColumnReader::skip(size_t rows) {
  try {
    while (rows > 0) {
      if (page_pos_ == page_rows_) {
        if (skip_data_page(rows)) continue;
        if (!next_data_page()) {
          corrupt(fmt::format("column chunk ends after {} of its row group's {} rows",
                              num_rows_ - rows_left_, num_rows_));
        }
        continue;
      }
      // Part of a page: its values are decoded and dropped, which moves every decoder (levels,
      // dictionary indices, byte arrays) past them as read() would.
      const size_t take = std::min(rows, page_rows_ - page_pos_);
      skipped_.clear();
      append_slice(take, skipped_);
      page_pos_ += take;
      rows -= take;
    }
  } catch (const Error& error) {
    throw in_context(error);
  }
}

bool ColumnReader::skip_data_page(size_t& rows) {
  if (rows_left_ <= 0 || chunk_pos_ >= chunk_.size()) return false;
  size_t header_size = 0;
  const PageHeader header =
      parse_page_header(reinterpret_cast<const uint8_t*>(chunk_.data()) + chunk_pos_,
                        chunk_.size() - chunk_pos_, header_size);
  int64_t page_rows = -1;
  if (header.type == static_cast<int32_t>(PageType::kDataPage) && header.data_page) {
    page_rows = header.data_page->num_values;
  } else if (header.type == static_cast<int32_t>(PageType::kDataPageV2) && header.data_page_v2) {
    page_rows = header.data_page_v2->num_values;
  }
  // Other pages, and pages that claim what they cannot hold, are next_data_page()'s to read
  // (and to report).
  if (page_rows < 0 || static_cast<uint64_t>(page_rows) > rows || page_rows > rows_left_ ||
      header.compressed_page_size < 0 ||
      static_cast<size_t>(header.compressed_page_size) > chunk_.size() - chunk_pos_ - header_size) {
    return false;
  }
  ++page_idx_;
  page_first_row_ = first_row_ + (num_rows_ - rows_left_);
  chunk_pos_ += header_size + static_cast<size_t>(header.compressed_page_size);
  rows_left_ -= page_rows;
  rows -= static_cast<size_t>(page_rows);
  page_rows_ = 0;
  page_pos_ = 0;
  page_valid_ = nullptr;
  return true;
}

// Converts the next `rows` rows of the current page into `out`.
void ColumnReader::append_slice(size_t rows, Column& out) {
  const uint8_t* valid = page_valid_ == nullptr ? nullptr : page_valid_ + page_pos_;
  const size_t values = valid == nullptr ? rows : count_valid(valid, rows);
  switch (source_) {
    case Source::kDense: {
      convert_append(column_, dense_, valid, rows, out);
      if (dense_.fixed != nullptr) dense_.fixed += values * dense_.width;
      if (dense_.views != nullptr) dense_.views += values;
      return;
    }
    case Source::kDictionary: {
      if (indices_.size() < values) indices_.resize(values);
      if (indices_decoder_.get_batch(indices_.data(), values) != values) {
        corrupt("page holds fewer dictionary indices than it has values");
      }
      gather_append(dictionary_, indices_.data(), valid, rows, out);
      return;
    }
    case Source::kPlainBytes: {
      if (column_.conversion == Conversion::kBytes) {
        values_pos_ += plain_append_byte_arrays(values_ + values_pos_, values_size_ - values_pos_,
                                                valid, rows, out);
        return;
      }
      // Decimals stored as BYTE_ARRAY: the slice's values as views, then the conversion.
      if (views_.size() < values) views_.resize(values);
      values_pos_ += plain_decode_byte_array(values_ + values_pos_, values_size_ - values_pos_,
                                             values, views_.data());
      DenseValues dense;
      dense.views = views_.data();
      convert_append(column_, dense, valid, rows, out);
      return;
    }
  }
}

const uint8_t* ColumnReader::decompress_into_buffer(std::string_view compressed,
                                                    size_t uncompressed_size) {
  if (codec_ == Codec::kUncompressed) {
    if (compressed.size() != uncompressed_size) {
      corrupt(fmt::format("uncompressed page holds {} bytes, its header says {}", compressed.size(),
                          uncompressed_size));
    }
    return reinterpret_cast<const uint8_t*>(compressed.data());
  }
  // The buffer only grows: a scan decompresses every page into the same memory.
  if (buffer_.size() < uncompressed_size) buffer_.resize(uncompressed_size);
  if (uncompressed_size == 0 && compressed.empty()) return buffer_.data();
  decompress(codec_, compressed, buffer_.data(), uncompressed_size);
  return buffer_.data();
}

bool ColumnReader::next_data_page() {
  page_rows_ = 0;
  page_pos_ = 0;
  page_valid_ = nullptr;
  while (rows_left_ > 0 && chunk_pos_ < chunk_.size()) {
    ++page_idx_;
    page_first_row_ = first_row_ + (num_rows_ - rows_left_);
    const auto* base = reinterpret_cast<const uint8_t*>(chunk_.data());
    size_t header_size = 0;
    PageHeader header =
        parse_page_header(base + chunk_pos_, chunk_.size() - chunk_pos_, header_size);
    chunk_pos_ += header_size;
    size_t payload_size = static_cast<size_t>(header.compressed_page_size);
    if (payload_size > chunk_.size() - chunk_pos_) {
      corrupt(fmt::format("page of {} bytes runs past the end of the column chunk ({} bytes left)",
                          payload_size, chunk_.size() - chunk_pos_));
    }
    std::string_view payload(chunk_.data() + chunk_pos_, payload_size);
    chunk_pos_ += payload_size;
    if (header.crc) {
      uint32_t actual =
          static_cast<uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(payload.data()),
                                        static_cast<z_size_t>(payload.size())));
      if (actual != *header.crc) {
        corrupt(
            fmt::format("page CRC mismatch: the header says {:08x}, the page's bytes give {:08x}",
                        *header.crc, actual));
      }
    }
    switch (static_cast<PageType>(header.type)) {
      case PageType::kDictionaryPage:
        decode_dictionary_page(header, payload);
        continue;
      case PageType::kDataPage:
      case PageType::kDataPageV2:
        decode_data_page(header, payload);
        if (page_rows_ == 0) continue;  // an empty page
        return true;
      default:
        continue;  // index pages and kinds we do not know carry no rows
    }
  }
  return false;
}

void ColumnReader::decode_dictionary_page(const PageHeader& header, std::string_view payload) {
  if (!header.dictionary_page) corrupt("dictionary page without a dictionary page header");
  if (has_dictionary_) corrupt("a second dictionary page in one column chunk");
  const auto& dict = *header.dictionary_page;
  if (dict.encoding != static_cast<int32_t>(Encoding::kPlain) &&
      dict.encoding != static_cast<int32_t>(Encoding::kPlainDictionary)) {
    throw Error::NotSupported(
        fmt::format("dictionary page encoding {}", encoding_name(dict.encoding)));
  }
  const size_t size = static_cast<size_t>(header.uncompressed_page_size);
  const uint8_t* data = decompress_into_buffer(payload, size);
  const size_t count = static_cast<size_t>(dict.num_values);
  const size_t min_width = column_.physical == PhysicalType::kByteArray ? 4
                           : column_.physical == PhysicalType::kBoolean
                               ? 1
                               : physical_width(column_.physical, column_.type_length);
  if (count > kMaxPageValues ||
      (min_width > 0 &&
       count > size / min_width + (column_.physical == PhysicalType::kBoolean ? size * 8 : 0))) {
    corrupt(fmt::format("dictionary page of {} bytes cannot hold {} values", size, count));
  }
  dictionary_.clear();
  DenseValues dense;
  switch (column_.physical) {
    case PhysicalType::kByteArray:
      views_.resize(count);
      plain_decode_byte_array(data, size, count, views_.data());
      dense.views = views_.data();
      break;
    case PhysicalType::kFixedLenByteArray:
      views_.resize(count);
      plain_decode_flba(data, size, count, static_cast<size_t>(column_.type_length), views_.data());
      dense.views = views_.data();
      break;
    case PhysicalType::kBoolean:
      fixed_.resize(count);
      plain_decode_bool(data, size, count, fixed_.data());
      dense.fixed = fixed_.data();
      dense.width = 1;
      break;
    default: {
      size_t width = physical_width(column_.physical, column_.type_length);
      if (count > size / width) {
        corrupt(fmt::format("dictionary page of {} bytes is too short for {} values", size, count));
      }
      dense.fixed = data;
      dense.width = width;
      break;
    }
  }
  convert_append(column_, dense, nullptr, count, dictionary_);
  // 32 spare bytes past the last entry let gather_append copy every short entry (up to 32
  // bytes) with one fixed-size copy; the dictionary is ours, nothing else reads its bytes.
  if (dictionary_.storage() == Storage::kBytes) dictionary_.bytes().append(32, '\0');
  has_dictionary_ = true;
}

void ColumnReader::decode_data_page(const PageHeader& header, std::string_view payload) {
  const bool is_v1 = header.type == static_cast<int32_t>(PageType::kDataPage);
  size_t rows = 0, values = 0;
  if (is_v1) {
    if (!header.data_page) corrupt("data page without a data page header");
    const auto& page = *header.data_page;
    rows = static_cast<size_t>(page.num_values);
    check_page_rows(rows, rows_left_, header.uncompressed_page_size);
    if (rows == 0) return;
    const size_t size = static_cast<size_t>(header.uncompressed_page_size);
    const uint8_t* data = decompress_into_buffer(payload, size);
    size_t pos = 0;
    values = rows;
    if (column_.max_definition_level > 0) {
      LevelEncoding encoding;
      if (page.definition_level_encoding == static_cast<int32_t>(Encoding::kRle)) {
        encoding = LevelEncoding::kRleV1;
      } else if (page.definition_level_encoding == static_cast<int32_t>(Encoding::kBitPacked)) {
        encoding = LevelEncoding::kBitPacked;
      } else {
        corrupt(fmt::format("definition levels in encoding {}",
                            encoding_name(page.definition_level_encoding)));
      }
      pos = decode_definition_levels(encoding, data, size, rows, column_.max_definition_level,
                                     valid_, values);
    }
    rows_left_ -= static_cast<int64_t>(rows);
    open_values(page.encoding, data + pos, size - pos, values);
  } else {
    if (!header.data_page_v2) corrupt("data page v2 without its header");
    const auto& page = *header.data_page_v2;
    rows = static_cast<size_t>(page.num_values);
    check_page_rows(rows, rows_left_, header.uncompressed_page_size);
    const size_t levels_size = static_cast<size_t>(page.repetition_levels_byte_length) +
                               static_cast<size_t>(page.definition_levels_byte_length);
    if (levels_size > payload.size() ||
        levels_size > static_cast<size_t>(header.uncompressed_page_size)) {
      corrupt(fmt::format("levels of {} bytes do not fit in a page of {} bytes", levels_size,
                          payload.size()));
    }
    if (rows == 0) return;
    values = rows;
    const auto* levels =
        reinterpret_cast<const uint8_t*>(payload.data()) + page.repetition_levels_byte_length;
    if (column_.max_definition_level > 0) {
      decode_definition_levels(LevelEncoding::kRleV2, levels,
                               static_cast<size_t>(page.definition_levels_byte_length), rows,
                               column_.max_definition_level, valid_, values);
      if (rows - values != static_cast<size_t>(page.num_nulls)) {
        corrupt(fmt::format("page header says {} NULLs, its definition levels {}", page.num_nulls,
                            rows - values));
      }
    }
    std::string_view compressed = payload.substr(levels_size);
    const size_t size = static_cast<size_t>(header.uncompressed_page_size) - levels_size;
    const uint8_t* data;
    if (!page.is_compressed || codec_ == Codec::kUncompressed) {
      if (compressed.size() != size) {
        corrupt(fmt::format("uncompressed page values hold {} bytes, the header says {}",
                            compressed.size(), size));
      }
      data = reinterpret_cast<const uint8_t*>(compressed.data());
    } else if (size == 0) {
      data = reinterpret_cast<const uint8_t*>(compressed.data());  // no values: nothing to
                                                                   // decompress
    } else {
      data = decompress_into_buffer(compressed, size);
    }
    rows_left_ -= static_cast<int64_t>(rows);
    open_values(page.encoding, data, size, values);
  }
  // A page whose rows all have values needs no validity: its slices take the dense paths.
  page_valid_ = column_.max_definition_level > 0 && values < rows ? valid_.data() : nullptr;
  page_rows_ = rows;
  page_pos_ = 0;
}

// Prepares the page's `values` values (data[0, size)) for append_slice: checks what can be
// checked up front, decodes the encodings that are not streamed.
void ColumnReader::open_values(int32_t encoding, const uint8_t* data, size_t size, size_t values) {
  const PhysicalType physical = column_.physical;
  const size_t width = physical_width(physical, column_.type_length);
  const bool is_bytes =
      physical == PhysicalType::kByteArray || physical == PhysicalType::kFixedLenByteArray;
  source_ = Source::kDense;
  dense_ = DenseValues{};
  switch (static_cast<Encoding>(encoding)) {
    case Encoding::kPlain:
      if (physical == PhysicalType::kByteArray) {
        source_ = Source::kPlainBytes;
        values_ = data;
        values_size_ = size;
        values_pos_ = 0;
      } else if (physical == PhysicalType::kFixedLenByteArray) {
        views_.resize(values);
        plain_decode_flba(data, size, values, width, views_.data());
        dense_.views = views_.data();
      } else if (physical == PhysicalType::kBoolean) {
        fixed_.resize(values);
        plain_decode_bool(data, size, values, fixed_.data());
        dense_.fixed = fixed_.data();
        dense_.width = 1;
      } else {
        if (values > size / width) {
          corrupt(fmt::format("PLAIN data of {} bytes is too short for {} values of {} bytes", size,
                              values, width));
        }
        dense_.fixed = data;
        dense_.width = width;
      }
      return;
    case Encoding::kPlainDictionary:
    case Encoding::kRleDictionary: {
      if (!has_dictionary_) corrupt("dictionary-encoded page without a dictionary page");
      source_ = Source::kDictionary;
      indices_decoder_ = RleBpDecoder();
      if (values > 0) {
        if (size < 1) corrupt("dictionary-encoded page without its bit width");
        int bit_width = data[0];
        if (bit_width > 32) corrupt(fmt::format("dictionary index bit width {}", bit_width));
        indices_decoder_ = RleBpDecoder(data + 1, size - 1, bit_width);
      }
      return;
    }
    case Encoding::kRle: {
      if (physical != PhysicalType::kBoolean) {
        throw Error::NotSupported(
            fmt::format("RLE encoding of {} values", physical_type_name(physical)));
      }
      // Booleans in RLE carry a 4-byte length prefix (v1 and v2 alike).
      if (size < 4) corrupt("RLE boolean data without its length");
      uint32_t length;
      std::memcpy(&length, data, 4);
      if (length > size - 4) {
        corrupt(fmt::format("RLE boolean data of {} bytes runs past the page", length));
      }
      fixed_.resize(values);
      RleBpDecoder decoder(data + 4, length, 1);
      if (decoder.get_batch(fixed_.data(), values) != values) {
        corrupt("RLE boolean data holds fewer values than the page");
      }
      dense_.fixed = fixed_.data();
      dense_.width = 1;
      return;
    }
    case Encoding::kDeltaBinaryPacked: {
      if (physical != PhysicalType::kInt32 && physical != PhysicalType::kInt64) {
        throw Error::NotSupported(
            fmt::format("DELTA_BINARY_PACKED encoding of {} values", physical_type_name(physical)));
      }
      delta_binary_packed_decode(data, size, values, ints_);
      if (ints_.size() != values) {
        corrupt(fmt::format("DELTA_BINARY_PACKED data holds {} values, the page needs {}",
                            ints_.size(), values));
      }
      fixed_.resize(values * width);
      if (width == 8) {
        if (values > 0) std::memcpy(fixed_.data(), ints_.data(), values * 8);
      } else {
        for (size_t idx = 0; idx < values; ++idx) {
          auto value =
              static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(ints_[idx])));
          std::memcpy(fixed_.data() + idx * 4, &value, 4);
        }
      }
      dense_.fixed = fixed_.data();
      dense_.width = width;
      return;
    }
    case Encoding::kDeltaLengthByteArray:
      if (physical != PhysicalType::kByteArray) {
        throw Error::NotSupported(fmt::format("DELTA_LENGTH_BYTE_ARRAY encoding of {} values",
                                              physical_type_name(physical)));
      }
      delta_length_byte_array_decode(data, size, values, ints_, views_);
      dense_.views = views_.data();
      return;
    case Encoding::kDeltaByteArray:
      if (!is_bytes) {
        throw Error::NotSupported(
            fmt::format("DELTA_BYTE_ARRAY encoding of {} values", physical_type_name(physical)));
      }
      delta_byte_array_decode(data, size, values, delta_scratch_, storage_, views_);
      if (physical == PhysicalType::kFixedLenByteArray) {
        for (size_t idx = 0; idx < values; ++idx) {
          if (views_[idx].size() != width) {
            corrupt(fmt::format("DELTA_BYTE_ARRAY value of {} bytes in a {}-byte column",
                                views_[idx].size(), width));
          }
        }
      }
      dense_.views = views_.data();
      return;
    case Encoding::kByteStreamSplit:
      if (physical == PhysicalType::kBoolean || physical == PhysicalType::kByteArray ||
          physical == PhysicalType::kInt96) {
        throw Error::NotSupported(
            fmt::format("BYTE_STREAM_SPLIT encoding of {} values", physical_type_name(physical)));
      }
      fixed_.resize(values * width);
      byte_stream_split_decode(data, size, values, width, fixed_.data());
      if (physical == PhysicalType::kFixedLenByteArray) {
        views_.resize(values);
        for (size_t idx = 0; idx < values; ++idx) {
          views_[idx] =
              std::string_view(reinterpret_cast<const char*>(fixed_.data() + idx * width), width);
        }
        dense_.views = views_.data();
      } else {
        dense_.fixed = fixed_.data();
        dense_.width = width;
      }
      return;
    default:
      throw Error::NotSupported(fmt::format("data page encoding {}", encoding_name(encoding)));
  }
}

}  // namespace idemload::formats::parquet
