// Thrift compact protocol, just enough for Parquet's footer and page headers: a bounds-checked
// reader that can skip any field it does not know, and a writer for the structures we emit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace idemload::formats::parquet {

// Compact-protocol wire types.
enum class ThriftType : uint8_t {
  kStop = 0,
  kBoolTrue = 1,
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

// Reads compact-protocol values from a byte range it does not own. Every read is checked
// against the end of the range; a malformed encoding throws ThriftError (the caller turns it
// into Error(kCorruption) with the file in its context).
class ThriftReader {
 public:
  ThriftReader(const uint8_t* data, size_t size) : pos_(data), end_(data + size) {}

  struct FieldHeader {
    ThriftType type;
    int16_t id;
  };

  // Enters a struct: field ids restart from 0. Pair with end_struct().
  void begin_struct();
  void end_struct();
  // The next field header; type kStop ends the struct.
  FieldHeader next_field();

  bool read_bool(ThriftType type);  // a bool field's value lives in its header type
  int32_t read_i32();
  int64_t read_i64();
  int8_t read_byte();
  double read_double();
  std::string read_string();
  std::string_view read_binary_view();  // valid while the underlying buffer lives
  // A list header: element type and count; the count is checked against the bytes left.
  void read_list_header(ThriftType& element_type, uint32_t& size);
  // Skips one value of `type`, recursing into structs and containers (depth-limited).
  void skip(ThriftType type);

  size_t consumed(const uint8_t* start) const { return static_cast<size_t>(pos_ - start); }
  const uint8_t* position() const { return pos_; }

 private:
  uint64_t read_varint();
  void skip_depth(ThriftType type, int depth);
  void need(size_t bytes) const;

  const uint8_t* pos_;
  const uint8_t* end_;
  int16_t last_field_id_ = 0;
  int16_t saved_ids_[64] = {};
  int depth_ = 0;
};

// A malformed Thrift encoding; carries only a message.
struct ThriftError {
  std::string message;
};

// Appends compact-protocol values to a string.
class ThriftWriter {
 public:
  explicit ThriftWriter(std::string& out) : out_(out) {}

  void begin_struct();
  void end_struct();  // writes the STOP byte and restores the outer field id

  void field_i32(int16_t id, int32_t value);
  void field_i64(int16_t id, int64_t value);
  void field_bool(int16_t id, bool value);
  void field_binary(int16_t id, std::string_view value);
  void field_struct_begin(int16_t id);  // then fields, then end_struct()
  void field_list_begin(int16_t id, ThriftType element_type, uint32_t size);
  // List elements.
  void element_i32(int32_t value) { write_varint(zigzag(value)); }
  void element_binary(std::string_view value);
  void element_struct_begin() { begin_struct(); }

 private:
  static uint64_t zigzag(int64_t value) {
    return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  }
  void field_header(int16_t id, ThriftType type);
  void write_varint(uint64_t value);

  std::string& out_;
  int16_t last_field_id_ = 0;
  int16_t saved_ids_[64] = {};
  int depth_ = 0;
};

}  // namespace idemload::formats::parquet
