#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>

#include "core/error.h"
#include "formats/parquet/decoders/bit_unpack.h"
#include "formats/parquet/decoders/byte_stream_split.h"
#include "formats/parquet/decoders/delta_binary_packed.h"
#include "formats/parquet/decoders/plain.h"
#include "formats/parquet/decoders/rle_bp.h"
#include "formats/parquet/levels.h"
#include "formats/parquet/value_conversion.h"

namespace idemload::formats::parquet {
namespace {

// Encodes `values` with rle_bp_encode into `encoded` and decodes them back with get_batch in
// slices of slice(done) values (uneven, so decoding resumes inside runs). `decoder` is left at
// the end of `encoded` (which it reads), for callers to check that nothing more comes.
std::vector<uint32_t> round_trip(const std::vector<uint32_t>& values, int width,
                                 size_t (*slice)(size_t done), std::string& encoded,
                                 std::unique_ptr<RleBpDecoder>& decoder) {
  encoded.clear();
  rle_bp_encode(values.data(), values.size(), width, encoded);
  decoder = std::make_unique<RleBpDecoder>(reinterpret_cast<const uint8_t*>(encoded.data()),
                                           encoded.size(), width);
  std::vector<uint32_t> decoded(values.size());
  size_t done = 0;
  while (done < values.size()) {
    size_t take = std::min<size_t>(values.size() - done, slice(done));
    EXPECT_EQ(decoder->get_batch(decoded.data() + done, take), take) << "width " << width;
    done += take;
  }
  return decoded;
}

TEST(RleBp, EncodeThenDecodeRoundTripsEveryBitWidth) {
  std::mt19937 rng(7);
  for (int width = 1; width <= 20; ++width) {
    std::vector<uint32_t> values;
    // Long runs, short runs and noise, in lengths that are not multiples of 8.
    for (int block = 0; block < 40; ++block) {
      auto value = static_cast<uint32_t>(rng() & ((1u << width) - 1));
      size_t run = (block % 3 == 0) ? 50 + block : (block % 3 == 1 ? 3 : 1);
      for (size_t idx = 0; idx < run; ++idx)
        values.push_back(block % 3 == 2 ? static_cast<uint32_t>(rng() & ((1u << width) - 1))
                                        : value);
    }
    std::string encoded;
    std::unique_ptr<RleBpDecoder> decoder;
    auto decoded = round_trip(values, width, [](size_t done) { return 1 + done % 13; }, encoded, decoder);
    EXPECT_EQ(decoded, values) << "width " << width;
    uint32_t extra;
    EXPECT_EQ(decoder->get_batch(&extra, 1), 0u);
  }
}

TEST(RleBp, TruncatedDataYieldsFewerValues) {
  const uint8_t data[] = {0x03, 0xff};  // a bit-packed run of 8 values at width 2, one byte short
  RleBpDecoder decoder(data, sizeof data, 2);
  uint32_t out[8];
  EXPECT_EQ(decoder.get_batch(out, 8), 4u);
}

// Bit `bit` of data[0, size), zero past the end.
uint64_t reference_bits(const std::vector<uint8_t>& data, size_t size, uint64_t bit, int width) {
  uint64_t value = 0;
  for (int idx = 0; idx < width; ++idx) {
    uint64_t pos = bit + static_cast<uint64_t>(idx);
    uint64_t byte = pos / 8;
    uint64_t one = byte < size ? (data[byte] >> (pos % 8)) & 1u : 0;
    value |= one << idx;
  }
  return value;
}

template <typename T>
void check_unpack(int max_width) {
  std::mt19937_64 rng(3);
  std::vector<uint8_t> data(300);
  for (auto& byte : data) byte = static_cast<uint8_t>(rng());
  std::vector<T> out(400);
  for (int width = 0; width <= max_width; ++width) {
    for (uint64_t offset : {0, 1, 3, 8, 13, 64, 77}) {
      for (size_t size : {size_t{0}, size_t{5}, size_t{31}, size_t{200}, size_t{300}}) {
        // Counts that end inside the data, at its end and past it (those bits read as zero).
        for (size_t count : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{16},
                             size_t{100}, size_t{300}}) {
          if (offset + count * static_cast<uint64_t>(width) > (size + 16) * 8) continue;
          unpack_bits(data.data(), size, offset, width, count, out.data());
          for (size_t idx = 0; idx < count; ++idx) {
            ASSERT_EQ(
                static_cast<uint64_t>(out[idx]),
                reference_bits(data, size, offset + idx * static_cast<uint64_t>(width), width))
                << "width " << width << " offset " << offset << " size " << size << " value "
                << idx;
          }
        }
      }
    }
  }
}

TEST(BitUnpack, MatchesAReferenceForEveryWidthOffsetAndEnd) {
  check_unpack<uint8_t>(8);
  check_unpack<uint32_t>(32);
  check_unpack<uint64_t>(64);
}

TEST(RleBp, WideBitPackedRunsRoundTrip) {
  std::mt19937 rng(5);
  for (int width = 21; width <= 32; ++width) {
    std::vector<uint32_t> values(1003);
    const uint64_t mask = (uint64_t{1} << width) - 1;
    for (auto& value : values) value = static_cast<uint32_t>(rng() & mask);
    std::string encoded;
    std::unique_ptr<RleBpDecoder> decoder;
    auto decoded = round_trip(values, width, [](size_t done) { return 5 + done % 97; }, encoded, decoder);
    EXPECT_EQ(decoded, values) << "width " << width;
  }
}

TEST(DefinitionLevels, TurnIntoValidityAndCountValues) {
  std::vector<uint32_t> levels;
  for (size_t idx = 0; idx < 1000; ++idx)
    levels.push_back(idx % 7 == 0 || (idx > 300 && idx < 400) ? 0 : 1);
  std::string encoded;
  rle_bp_encode(levels.data(), levels.size(), 1, encoded);
  std::vector<uint8_t> valid;
  size_t non_null = 0;
  EXPECT_EQ(decode_definition_levels(LevelEncoding::kRleV2,
                                     reinterpret_cast<const uint8_t*>(encoded.data()),
                                     encoded.size(), levels.size(), 1, valid, non_null),
            encoded.size());
  size_t expected_non_null = 0;
  for (size_t idx = 0; idx < levels.size(); ++idx) {
    ASSERT_EQ(valid[idx], levels[idx]) << idx;
    expected_non_null += levels[idx];
  }
  EXPECT_EQ(non_null, expected_non_null);
}

TEST(DefinitionLevels, ALevelAboveTheMaximumIsCorruption) {
  // An RLE run of 20 levels of value 2 where the maximum is 1 (the run's value is a whole byte).
  const uint8_t rle_two[] = {20 << 1, 2};
  std::vector<uint8_t> valid;
  size_t non_null = 0;
  try {
    decode_definition_levels(LevelEncoding::kRleV2, rle_two, sizeof rle_two, 20, 1, valid,
                             non_null);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kCorruption);
    EXPECT_NE(error.message().find("definition level 2 above the maximum 1"), std::string::npos)
        << error.what();
  }
  // Maximum 2 (a column inside an optional group): level 3 at width 2.
  const uint8_t rle_three[] = {9 << 1, 3};
  EXPECT_THROW(decode_definition_levels(LevelEncoding::kRleV2, rle_three, sizeof rle_three, 9, 2,
                                        valid, non_null),
               Error);
  const uint8_t rle_mixed[] = {4 << 1, 2, 4 << 1, 1};
  decode_definition_levels(LevelEncoding::kRleV2, rle_mixed, sizeof rle_mixed, 8, 2, valid,
                           non_null);
  EXPECT_EQ(valid, (std::vector<uint8_t>{1, 1, 1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(non_null, 4u);
}

// PLAIN BYTE_ARRAY data: a 4-byte length before each value.
std::string plain_byte_arrays(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& value : values) {
    auto length = static_cast<uint32_t>(value.size());
    out.append(reinterpret_cast<const char*>(&length), 4);
    out += value;
  }
  return out;
}

TEST(PlainByteArrays, AppendStraightIntoAColumnAroundNulls) {
  std::vector<std::string> values;
  for (size_t idx = 0; idx < 60; ++idx)
    values.push_back(std::string(idx, static_cast<char>('A' + idx % 26)));
  const std::string data = plain_byte_arrays(values);
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  // Every third row NULL: 90 rows hold the 60 values.
  std::vector<uint8_t> valid(90);
  for (size_t row = 0; row < valid.size(); ++row) valid[row] = row % 3 != 1;
  Column column(Type::kString);
  column.append_bytes("before");
  // Two slices, as the column reader hands them out.
  size_t used = plain_append_byte_arrays(bytes, data.size(), valid.data(), 45, column);
  used += plain_append_byte_arrays(bytes + used, data.size() - used, valid.data() + 45, 45, column);
  EXPECT_EQ(used, data.size());
  ASSERT_EQ(column.size(), 91u);
  EXPECT_EQ(column.bytes_at(0), "before");
  size_t next = 0;
  for (size_t row = 0; row < valid.size(); ++row) {
    ASSERT_EQ(column.is_null(row + 1), valid[row] == 0) << row;
    if (valid[row]) {
      ASSERT_EQ(column.bytes_at(row + 1), values[next++]) << row;
    }
  }
  EXPECT_EQ(column.offsets().back(), column.bytes().size());

  Column dense(Type::kString);
  EXPECT_EQ(plain_append_byte_arrays(bytes, data.size(), nullptr, values.size(), dense),
            data.size());
  for (size_t idx = 0; idx < values.size(); ++idx) ASSERT_EQ(dense.bytes_at(idx), values[idx]);
}

TEST(PlainByteArrays, ShortDataIsCorruption) {
  const std::string data = plain_byte_arrays({"abc", "defgh"});
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  Column column(Type::kString);
  EXPECT_THROW(plain_append_byte_arrays(bytes, data.size(), nullptr, 3, column),
               Error);  // one value too many
  Column cut(Type::kString);
  EXPECT_THROW(plain_append_byte_arrays(bytes, data.size() - 1, nullptr, 2, cut),
               Error);  // the last value cut short
  Column no_length(Type::kString);
  EXPECT_THROW(plain_append_byte_arrays(bytes, 2, nullptr, 1, no_length),
               Error);  // not even a length
}

TEST(GatherAppend, CopiesDictionaryEntriesAndRefusesIndicesPastIt) {
  Column dictionary(Type::kString);
  for (size_t idx = 0; idx < 5; ++idx)
    dictionary.append_bytes(std::string(idx * 20, static_cast<char>('a' + idx)));
  const std::vector<uint32_t> indices = {4, 0, 3, 3, 1, 2, 4};
  const std::vector<uint8_t> valid = {1, 0, 1, 1, 0, 1, 1, 1, 1};
  Column out(Type::kString);
  gather_append(dictionary, indices.data(), valid.data(), valid.size(), out);
  ASSERT_EQ(out.size(), valid.size());
  size_t next = 0;
  for (size_t row = 0; row < valid.size(); ++row) {
    ASSERT_EQ(out.is_null(row), valid[row] == 0);
    if (valid[row]) {
      ASSERT_EQ(out.bytes_at(row), dictionary.bytes_at(indices[next++]));
    }
  }
  EXPECT_EQ(out.offsets().back(), out.bytes().size());

  Column ints_dictionary(Type::kInt64);
  ints_dictionary.append_int(10);
  ints_dictionary.append_int(20);
  const std::vector<uint32_t> bad = {1, 0, 2};
  Column ints(Type::kInt64);
  try {
    gather_append(ints_dictionary, bad.data(), nullptr, bad.size(), ints);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kCorruption);
    EXPECT_NE(error.message().find("dictionary index 2 out of range"), std::string::npos)
        << error.what();
  }
  const uint32_t past_strings = 5;
  Column strings(Type::kString);
  EXPECT_THROW(gather_append(dictionary, &past_strings, nullptr, 1, strings), Error);
  const uint8_t null_row = 0;  // a NULL row uses no index
  Column nulls(Type::kString);
  EXPECT_NO_THROW(gather_append(dictionary, &past_strings, &null_row, 1, nulls));
}

TEST(DeltaBinaryPacked, DecodesTheSpecExample) {
  // Block size 128, 4 miniblocks, 5 values: 7 5 3 1 2 (deltas -2 -2 -2 1, min delta -2,
  // bit width 2 in the first miniblock).
  const uint8_t data[] = {0x80, 0x01, 0x04, 0x05, 0x0e, 0x03, 0x02, 0x00, 0x00,
                          0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  std::vector<int64_t> out;
  EXPECT_EQ(delta_binary_packed_decode(data, sizeof data, 5, out), sizeof data);
  EXPECT_EQ(out, (std::vector<int64_t>{7, 5, 3, 1, 2}));
}

TEST(DeltaBinaryPacked, MoreValuesThanThePageAllowsIsCorruption) {
  const uint8_t data[] = {0x80, 0x01, 0x04, 0x7f, 0x00};
  std::vector<int64_t> out;
  EXPECT_THROW(delta_binary_packed_decode(data, sizeof data, 10, out), Error);
}

TEST(ByteStreamSplit, ReassemblesValues) {
  const uint8_t data[] = {1, 2, 3, 10, 20, 30};  // three 2-byte values
  uint8_t out[6];
  byte_stream_split_decode(data, sizeof data, 3, 2, out);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 6), (std::vector<uint8_t>{1, 10, 2, 20, 3, 30}));
  EXPECT_THROW(byte_stream_split_decode(data, 5, 2, 2, out), Error);
  // No values into the null data() of an empty buffer (a page of nulls only), as the column
  // reader passes them: nothing is written, and no offset is taken from the null pointer
  // (UBSan in `make check` and the fuzz build; found by the bounded fuzz run).
  std::vector<uint8_t> none;
  byte_stream_split_decode(data, sizeof data, 0, 2, none.data());
  byte_stream_split_decode(nullptr, 0, 0, 4, none.data());
  EXPECT_TRUE(none.empty());
}

TEST(DecimalText, KeepsEveryScaleDigit) {
  std::string out;
  append_decimal_text(-12340, 3, out);
  EXPECT_EQ(out, "-12.340");
  out.clear();
  append_decimal_text(5, 3, out);
  EXPECT_EQ(out, "0.005");
  out.clear();
  append_decimal_text(INT64_MIN, 0, out);
  EXPECT_EQ(out, "-9223372036854775808");
  out.clear();
  const uint8_t minus_one[] = {0xff, 0xff, 0xff};
  append_decimal_text(minus_one, 3, 2, out);
  EXPECT_EQ(out, "-0.01");
  out.clear();
  // 2^136 as a 20-byte big-endian integer: the wide path.
  std::vector<uint8_t> wide(20, 0);
  wide[2] = 1;
  append_decimal_text(wide.data(), wide.size(), 4, out);
  EXPECT_EQ(out, "8711228593176024664662389950253266213.2736");
}

TEST(Float16, ConvertsNormalsSubnormalsAndSpecials) {
  EXPECT_EQ(float16_to_double(0x3c00), 1.0);
  EXPECT_EQ(float16_to_double(0xc000), -2.0);
  EXPECT_EQ(float16_to_double(0x0001), std::ldexp(1.0, -24));
  EXPECT_TRUE(std::isinf(float16_to_double(0x7c00)));
  EXPECT_TRUE(std::isnan(float16_to_double(0x7e00)));
  EXPECT_TRUE(std::signbit(float16_to_double(0x8000)));
}

}  // namespace
}  // namespace idemload::formats::parquet
