#include "formats/parquet/thrift_compact.h"

#include <cstring>

namespace idemload::formats::parquet {

namespace {
constexpr int kMaxDepth = 64;

int64_t unzigzag(uint64_t value) { return static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1); }
}  // namespace

void ThriftReader::need(size_t bytes) const {
  if (static_cast<size_t>(end_ - pos_) < bytes) throw ThriftError{"Thrift structure runs past the end of its buffer"};
}

uint64_t ThriftReader::read_varint() {
  uint64_t result = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    need(1);
    uint8_t byte = *pos_++;
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return result;
  }
  throw ThriftError{"Thrift varint longer than 10 bytes"};
}

void ThriftReader::begin_struct() {
  if (depth_ >= kMaxDepth) throw ThriftError{"Thrift structures nested too deeply"};
  saved_ids_[depth_++] = last_field_id_;
  last_field_id_ = 0;
}

void ThriftReader::end_struct() { last_field_id_ = saved_ids_[--depth_]; }

ThriftReader::FieldHeader ThriftReader::next_field() {
  need(1);
  uint8_t byte = *pos_++;
  auto type = static_cast<ThriftType>(byte & 0x0f);
  if (type == ThriftType::kStop) return {type, 0};
  if ((byte & 0x0f) > 12) throw ThriftError{"invalid Thrift field type " + std::to_string(byte & 0x0f)};
  int delta = byte >> 4;
  int16_t id;
  if (delta != 0) {
    id = static_cast<int16_t>(last_field_id_ + delta);
  } else {
    id = static_cast<int16_t>(unzigzag(read_varint()));
  }
  last_field_id_ = id;
  return {type, id};
}

bool ThriftReader::read_bool(ThriftType type) {
  if (type == ThriftType::kBoolTrue) return true;
  if (type == ThriftType::kBoolFalse) return false;
  throw ThriftError{"Thrift field expected to be a bool has another type"};
}

int32_t ThriftReader::read_i32() {
  int64_t value = unzigzag(read_varint());
  if (value < INT32_MIN || value > INT32_MAX) throw ThriftError{"Thrift i32 out of range"};
  return static_cast<int32_t>(value);
}

int64_t ThriftReader::read_i64() { return unzigzag(read_varint()); }

int8_t ThriftReader::read_byte() {
  need(1);
  return static_cast<int8_t>(*pos_++);
}

double ThriftReader::read_double() {
  need(8);
  double value;
  std::memcpy(&value, pos_, 8);
  pos_ += 8;
  return value;
}

std::string_view ThriftReader::read_binary_view() {
  uint64_t size = read_varint();
  need(size);
  std::string_view view(reinterpret_cast<const char*>(pos_), size);
  pos_ += size;
  return view;
}

std::string ThriftReader::read_string() { return std::string(read_binary_view()); }

void ThriftReader::read_list_header(ThriftType& element_type, uint32_t& size) {
  need(1);
  uint8_t byte = *pos_++;
  element_type = static_cast<ThriftType>(byte & 0x0f);
  uint64_t count = byte >> 4;
  if (count == 15) count = read_varint();
  // Every element takes at least one byte on the wire, which bounds what a corrupt count can
  // make us allocate.
  if (count > static_cast<uint64_t>(end_ - pos_)) throw ThriftError{"Thrift list longer than its buffer"};
  if ((byte & 0x0f) > 12) throw ThriftError{"invalid Thrift list element type"};
  size = static_cast<uint32_t>(count);
}

void ThriftReader::skip(ThriftType type) { skip_depth(type, 0); }

void ThriftReader::skip_depth(ThriftType type, int depth) {
  if (depth > kMaxDepth) throw ThriftError{"Thrift structures nested too deeply"};
  switch (type) {
    case ThriftType::kBoolTrue:
    case ThriftType::kBoolFalse: return;
    case ThriftType::kByte: need(1); ++pos_; return;
    case ThriftType::kI16:
    case ThriftType::kI32:
    case ThriftType::kI64: read_varint(); return;
    case ThriftType::kDouble: need(8); pos_ += 8; return;
    case ThriftType::kBinary: read_binary_view(); return;
    case ThriftType::kList:
    case ThriftType::kSet: {
      ThriftType element;
      uint32_t size;
      read_list_header(element, size);
      for (uint32_t idx = 0; idx < size; ++idx) {
        // Inside containers a bool is a whole byte.
        if (element == ThriftType::kBoolTrue || element == ThriftType::kBoolFalse) {
          need(1);
          ++pos_;
        } else {
          skip_depth(element, depth + 1);
        }
      }
      return;
    }
    case ThriftType::kMap: {
      uint64_t size = read_varint();
      if (size == 0) return;
      if (size > static_cast<uint64_t>(end_ - pos_)) throw ThriftError{"Thrift map longer than its buffer"};
      need(1);
      uint8_t types = *pos_++;
      auto key = static_cast<ThriftType>(types >> 4);
      auto value = static_cast<ThriftType>(types & 0x0f);
      for (uint64_t idx = 0; idx < size; ++idx) {
        for (ThriftType part : {key, value}) {
          if (part == ThriftType::kBoolTrue || part == ThriftType::kBoolFalse) {
            need(1);
            ++pos_;
          } else {
            skip_depth(part, depth + 1);
          }
        }
      }
      return;
    }
    case ThriftType::kStruct: {
      begin_struct();
      while (true) {
        FieldHeader field = next_field();
        if (field.type == ThriftType::kStop) break;
        skip_depth(field.type, depth + 1);
      }
      end_struct();
      return;
    }
    case ThriftType::kStop: break;
  }
  throw ThriftError{"invalid Thrift type " + std::to_string(static_cast<int>(type))};
}

void ThriftWriter::write_varint(uint64_t value) {
  while (value >= 0x80) {
    out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out_.push_back(static_cast<char>(value));
}

void ThriftWriter::begin_struct() {
  saved_ids_[depth_++] = last_field_id_;
  last_field_id_ = 0;
}

void ThriftWriter::end_struct() {
  out_.push_back(0);
  last_field_id_ = saved_ids_[--depth_];
}

void ThriftWriter::field_header(int16_t id, ThriftType type) {
  int delta = id - last_field_id_;
  if (delta > 0 && delta <= 15) {
    out_.push_back(static_cast<char>((delta << 4) | static_cast<int>(type)));
  } else {
    out_.push_back(static_cast<char>(type));
    write_varint(zigzag(id));
  }
  last_field_id_ = id;
}

void ThriftWriter::field_i32(int16_t id, int32_t value) {
  field_header(id, ThriftType::kI32);
  write_varint(zigzag(value));
}

void ThriftWriter::field_i64(int16_t id, int64_t value) {
  field_header(id, ThriftType::kI64);
  write_varint(zigzag(value));
}

void ThriftWriter::field_bool(int16_t id, bool value) {
  field_header(id, value ? ThriftType::kBoolTrue : ThriftType::kBoolFalse);
}

void ThriftWriter::field_binary(int16_t id, std::string_view value) {
  field_header(id, ThriftType::kBinary);
  element_binary(value);
}

void ThriftWriter::element_binary(std::string_view value) {
  write_varint(value.size());
  out_.append(value);
}

void ThriftWriter::field_struct_begin(int16_t id) {
  field_header(id, ThriftType::kStruct);
  begin_struct();
}

void ThriftWriter::field_list_begin(int16_t id, ThriftType element_type, uint32_t size) {
  field_header(id, ThriftType::kList);
  if (size < 15) {
    out_.push_back(static_cast<char>((size << 4) | static_cast<uint32_t>(element_type)));
  } else {
    out_.push_back(static_cast<char>(0xf0 | static_cast<int>(element_type)));
    write_varint(size);
  }
}

}  // namespace idemload::formats::parquet
