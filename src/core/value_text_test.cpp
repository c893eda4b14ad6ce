#include "core/value_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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

// Years outside 0000–9999 are written wider ("12345-12-31", "-005-03-01"); what a database
// returns of them reads back exactly (parse_wide_*, append_parsed). CSV's parse_date stays strict.
TEST(ValueTextTest, WideYearsReadBackExactlyAndOnlyWhereAsked) {
  for (int64_t days :
       {days_from_civil(10000, 1, 1), days_from_civil(-5, 3, 1), days_from_civil(-1, 12, 31),
        days_from_civil(0, 2, 29), days_from_civil(-1200, 2, 29), days_from_civil(-12345, 1, 1),
        days_from_civil(123456789, 12, 31), days_from_civil(9999, 12, 31), int64_t{0}}) {
    EXPECT_EQ(parse_wide_date(format_date(days)), days) << format_date(days);
    Column column(Type::kDate);
    ASSERT_TRUE(append_parsed(column, format_date(days))) << format_date(days);
    EXPECT_EQ(column.int_at(0), days);
  }
  for (int64_t micros : std::initializer_list<int64_t>{
           std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), int64_t{-1},
           int64_t{0}, days_from_civil(10000, 1, 1) * 86400000000LL + 500000,
           days_from_civil(-5, 3, 1) * 86400000000LL - 1}) {
    EXPECT_EQ(parse_wide_timestamp(format_timestamp(micros)), micros) << format_timestamp(micros);
    Column column(Type::kTimestamp);
    ASSERT_TRUE(append_parsed(column, format_timestamp(micros))) << format_timestamp(micros);
    EXPECT_EQ(column.int_at(0), micros);
  }
  EXPECT_EQ(parse_wide_timestamp("12345-12-31T10:00:00+02:00"),
            days_from_civil(12345, 12, 31) * 86400000000LL + 28800000000LL);
  EXPECT_EQ(parse_wide_date("2017-06-30"), parse_date("2017-06-30"));
  EXPECT_FALSE(parse_date("12345-12-31"));
  EXPECT_FALSE(parse_date("-005-03-01"));
  EXPECT_FALSE(parse_timestamp("12345-12-31 00:00:00"));
  for (const char* bad : {"999-01-01", "-05-03-01", "1234567890-01-01", "10000-02-30", "10000-1-01",
                          "10000-01-01x", "+10000-01-01", "--005-01-01", "10000-01", ""}) {
    EXPECT_FALSE(parse_wide_date(bad)) << bad;
  }
  EXPECT_FALSE(parse_wide_timestamp("294248-01-01 00:00:00"));  // past int64's microseconds
  EXPECT_FALSE(parse_wide_timestamp("-290309-01-01 00:00:00"));
  EXPECT_FALSE(parse_wide_timestamp("12345-12-31 25:00:00"));
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
