#include <gtest/gtest.h>
#include "core/value_text.h"
#include "core/key_hash.h"
namespace idemload {
TEST(ValueText, ParsesIntegralDecimals) {
  EXPECT_EQ(parse_integral("200.0"), 200);
  EXPECT_EQ(parse_integral("1608552.0"), 1608552);
  EXPECT_EQ(parse_integral("-3"), -3);
  EXPECT_EQ(parse_integral("1.6e3"), 1600);
  EXPECT_EQ(parse_integral("0.0"), 0);
  EXPECT_FALSE(parse_integral("1.5"));
  EXPECT_FALSE(parse_integral("1.9617000089109215e+22"));
  EXPECT_FALSE(parse_integral("abc"));
  EXPECT_FALSE(parse_integral("."));
  EXPECT_EQ(parse_integral("9007199254740993.0"), 9007199254740993LL);
}
TEST(ValueText, DatesRoundTrip) {
  EXPECT_EQ(parse_date("1970-01-01"), 0);
  EXPECT_EQ(format_date(*parse_date("2017-06-30")), "2017-06-30");
  EXPECT_FALSE(parse_date("2017-02-30"));
  EXPECT_EQ(format_timestamp(*parse_timestamp("2009-03-01 00:01:00.5")), "2009-03-01 00:01:00.5");
  EXPECT_EQ(format_timestamp(*parse_timestamp("1969-12-31 23:59:59")), "1969-12-31 23:59:59");
  EXPECT_EQ(parse_time("00:00:01"), 1000000);
}
}  // namespace idemload

namespace idemload {
TEST(ValueText, ParsesDurations) {
  EXPECT_EQ(parse_duration_ms("500ms"), 500);
  EXPECT_EQ(parse_duration_ms("30s"), 30000);
  EXPECT_EQ(parse_duration_ms("2.5"), 2500);
  EXPECT_EQ(parse_duration_ms("5m"), 300000);
  EXPECT_EQ(parse_duration_ms("1d"), 86400000);
  EXPECT_FALSE(parse_duration_ms("-1s"));
  EXPECT_FALSE(parse_duration_ms("soon"));
  EXPECT_FALSE(parse_duration_ms(""));
}
}  // namespace idemload
