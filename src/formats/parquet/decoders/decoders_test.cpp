#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.h"
#include "formats/parquet/decoders/byte_stream_split.h"
#include "formats/parquet/decoders/delta_binary_packed.h"
#include "formats/parquet/decoders/rle_bp.h"
#include "formats/parquet/value_conversion.h"

namespace idemload::formats::parquet {
namespace {

TEST(RleBp, EncodeThenDecodeRoundTripsEveryBitWidth) {
  std::mt19937 rng(7);
  for (int width = 1; width <= 20; ++width) {
    std::vector<uint32_t> values;
    // Long runs, short runs and noise, in lengths that are not multiples of 8.
    for (int block = 0; block < 40; ++block) {
      auto value = static_cast<uint32_t>(rng() & ((1u << width) - 1));
      size_t run = (block % 3 == 0) ? 50 + block : (block % 3 == 1 ? 3 : 1);
      for (size_t idx = 0; idx < run; ++idx) values.push_back(block % 3 == 2 ? static_cast<uint32_t>(rng() & ((1u << width) - 1)) : value);
    }
    std::string encoded;
    rle_bp_encode(values.data(), values.size(), width, encoded);
    RleBpDecoder decoder(reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size(), width);
    std::vector<uint32_t> decoded(values.size());
    // Decode in uneven slices to exercise resuming inside runs.
    size_t done = 0;
    while (done < values.size()) {
      size_t take = std::min<size_t>(values.size() - done, 1 + done % 13);
      ASSERT_EQ(decoder.get_batch(decoded.data() + done, take), take) << "width " << width;
      done += take;
    }
    EXPECT_EQ(decoded, values) << "width " << width;
    uint32_t extra;
    EXPECT_EQ(decoder.get_batch(&extra, 1), 0u);
  }
}

TEST(RleBp, TruncatedDataYieldsFewerValues) {
  const uint8_t data[] = {0x03, 0xff};  // a bit-packed run of 8 values at width 2, one byte short
  RleBpDecoder decoder(data, sizeof data, 2);
  uint32_t out[8];
  EXPECT_EQ(decoder.get_batch(out, 8), 4u);
}

TEST(DeltaBinaryPacked, DecodesTheSpecExample) {
  // Block size 128, 4 miniblocks, 5 values: 7 5 3 1 2 (deltas -2 -2 -2 1, min delta -2,
  // bit width 2 in the first miniblock).
  const uint8_t data[] = {0x80, 0x01, 0x04, 0x05, 0x0e, 0x03, 0x02, 0x00, 0x00, 0x00,
                          0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
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
