#include "core/value_text.h"

#include <gtest/gtest.h>

#include <cmath>

namespace idemload {
namespace {

TEST(ValueTextTest, ParseIntegralTakesIntegralDecimals) {
  EXPECT_EQ(parse_integral("200"), 200);
  EXPECT_EQ(parse_integral("200.0"), 200);
  EXPECT_EQ(parse_integral("200."), 200);
  EXPECT_EQ(parse_integral("-7.000"), -7);
  EXPECT_EQ(parse_integral("+7.0"), 7);
  EXPECT_EQ(parse_integral("1608552.0"), 1608552);
  EXPECT_EQ(parse_integral("9007199254740993.0"), 9007199254740993LL);
  EXPECT_EQ(parse_integral("1.6e3"), 1600);
  EXPECT_EQ(parse_integral("-.0"), 0);
  EXPECT_EQ(parse_integral("0.0"), 0);
}

TEST(ValueTextTest, ParseIntegralRefusesFractionsAndJunk) {
  EXPECT_FALSE(parse_integral("200.5"));
  EXPECT_FALSE(parse_integral("200.01"));
  EXPECT_FALSE(parse_integral("."));
  EXPECT_FALSE(parse_integral("-."));
  EXPECT_FALSE(parse_integral("1.0x"));
  EXPECT_FALSE(parse_integral("x1.0"));
  EXPECT_FALSE(parse_integral("1.2.0"));
  EXPECT_FALSE(parse_integral(""));
  EXPECT_FALSE(parse_integral("99999999999999999999.0"));  // out of int64
}

TEST(ValueTextTest, ParseDouble) {
  EXPECT_EQ(parse_double("1.5"), 1.5);
  EXPECT_EQ(parse_double("+2e3"), 2000.0);
  EXPECT_EQ(parse_double("-0.25"), -0.25);
  EXPECT_TRUE(std::isnan(*parse_double("NaN")));
  EXPECT_EQ(parse_double("Infinity"), HUGE_VAL);
  EXPECT_EQ(parse_double("-inf"), -HUGE_VAL);
  EXPECT_FALSE(parse_double("1.5x"));
  EXPECT_FALSE(parse_double(""));
  EXPECT_FALSE(parse_double("+"));
}

TEST(ValueTextTest, FormatsDatesTimesAndTimestamps) {
  EXPECT_EQ(format_date(0), "1970-01-01");
  EXPECT_EQ(format_date(*parse_date("2017-06-30")), "2017-06-30");
  EXPECT_EQ(format_date(*parse_date("0001-01-01")), "0001-01-01");
  EXPECT_EQ(format_date(days_from_civil(-5, 3, 1)), "-005-03-01");
  EXPECT_EQ(format_date(days_from_civil(12345, 12, 31)), "12345-12-31");
  EXPECT_EQ(format_time(0), "00:00:00");
  EXPECT_EQ(format_time(*parse_time("23:59:07")), "23:59:07");
  EXPECT_EQ(format_time(*parse_time("01:02:03.25")), "01:02:03.25");
  EXPECT_EQ(format_time(1), "00:00:00.000001");
  EXPECT_EQ(format_timestamp(*parse_timestamp("2017-06-30 12:00:01")), "2017-06-30 12:00:01");
  EXPECT_EQ(format_timestamp(-1), "1969-12-31 23:59:59.999999");
}

TEST(ValueTextTest, AppendValueTextMatchesTheFormatters) {
  Column dates(Type::kDate), times(Type::kTime);
  dates.append_int(17347);
  dates.append_null();
  times.append_int(3723000000);
  std::string out = "x";
  append_value_text(dates, 0, out);
  append_value_text(dates, 1, out);
  append_value_text(times, 0, out);
  EXPECT_EQ(out, "x" + format_date(17347) + format_time(3723000000));
}

}  // namespace
}  // namespace idemload
