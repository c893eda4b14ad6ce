#include "formats/parquet/thrift_compact.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "formats/parquet/file_metadata.h"

namespace idemload::formats::parquet {
namespace {

TEST(ThriftCompact, WriterAndReaderAgreeAndUnknownFieldsAreSkipped) {
  std::string bytes;
  ThriftWriter writer(bytes);
  writer.begin_struct();
  writer.field_i32(1, -7);
  // Unknown fields of every shape before a known one: a nested struct, a list, a bool, a
  // binary, and a field whose id needs the long form (delta > 15).
  writer.field_struct_begin(2);
  writer.field_i64(1, 1LL << 40);
  writer.field_binary(3, "inner");
  writer.end_struct();
  writer.field_list_begin(3, ThriftType::kBinary, 20);
  for (int idx = 0; idx < 20; ++idx) writer.element_binary("x");
  writer.field_bool(4, true);
  writer.field_binary(40, "far");
  writer.field_i64(41, -123456789012345LL);
  writer.end_struct();

  ThriftReader reader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  reader.begin_struct();
  auto field = reader.next_field();
  EXPECT_EQ(field.id, 1);
  EXPECT_EQ(reader.read_i32(), -7);
  for (int16_t expected : {int16_t{2}, int16_t{3}, int16_t{4}, int16_t{40}}) {
    field = reader.next_field();
    EXPECT_EQ(field.id, expected);
    reader.skip(field.type);
  }
  field = reader.next_field();
  EXPECT_EQ(field.id, 41);
  EXPECT_EQ(reader.read_i64(), -123456789012345LL);
  EXPECT_EQ(reader.next_field().type, ThriftType::kStop);
  reader.end_struct();
  EXPECT_EQ(reader.consumed(reinterpret_cast<const uint8_t*>(bytes.data())), bytes.size());
}

TEST(ThriftCompact, TruncatedInputIsAnErrorNotACrash) {
  PageHeader header;
  header.type = 0;
  header.uncompressed_page_size = 100;
  header.compressed_page_size = 90;
  header.crc = 0xdeadbeef;
  header.data_page = DataPageHeader{10, 0, 3, 3};
  std::string bytes;
  write_page_header(header, bytes);
  size_t used = 0;
  PageHeader back = parse_page_header(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), used);
  EXPECT_EQ(used, bytes.size());
  EXPECT_EQ(back.compressed_page_size, 90);
  EXPECT_EQ(back.crc, 0xdeadbeefu);
  ASSERT_TRUE(back.data_page);
  EXPECT_EQ(back.data_page->num_values, 10);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    try {
      parse_page_header(reinterpret_cast<const uint8_t*>(bytes.data()), cut, used);
      FAIL() << "cut at " << cut;
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kCorruption);
    }
  }
}

TEST(ThriftCompact, DeepNestingIsRefused) {
  std::string bytes;
  for (int idx = 0; idx < 200; ++idx) bytes.push_back(0x1c);  // field 1 (delta 1), type struct
  ThriftReader reader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  EXPECT_THROW(reader.skip(ThriftType::kStruct), ThriftError);
}

}  // namespace
}  // namespace idemload::formats::parquet
