#include "formats/csv/converter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/value_text.h"

namespace idemload::formats::csv {
namespace {

std::vector<uint32_t> convert(Type type, const std::vector<std::string_view>& cells, Column& column) {
  column = Column(type);
  std::vector<uint32_t> bad;
  convert_cells(cells.data(), cells.size(), column, bad);
  EXPECT_EQ(column.size(), cells.size());
  return bad;
}

TEST(CsvConverter, Int64WithIntegralDecimalsAndNulls) {
  Column column;
  auto bad = convert(Type::kInt64, {"200.0", "", "-7", "1.6e3", "1.5", "1.9617000089109215e+22", "x"}, column);
  EXPECT_EQ(bad, (std::vector<uint32_t>{4, 5, 6}));
  EXPECT_EQ(column.int_at(0), 200);
  EXPECT_TRUE(column.is_null(1));
  EXPECT_EQ(column.int_at(2), -7);
  EXPECT_EQ(column.int_at(3), 1600);
  EXPECT_TRUE(column.is_null(4));
  EXPECT_EQ(column.ints().size(), 7u);
}

TEST(CsvConverter, EveryType) {
  Column column;
  EXPECT_TRUE(convert(Type::kBool, {"true", "false", ""}, column).empty());
  EXPECT_EQ(column.int_at(0), 1);
  EXPECT_EQ(column.int_at(1), 0);
  EXPECT_TRUE(column.is_null(2));

  EXPECT_EQ(convert(Type::kDouble, {"2.5", "+1", "-1e3", "abc", ""}, column), (std::vector<uint32_t>{3}));
  EXPECT_EQ(column.double_at(0), 2.5);
  EXPECT_EQ(column.double_at(1), 1.0);
  EXPECT_EQ(column.double_at(2), -1000.0);
  EXPECT_TRUE(column.is_null(4));

  EXPECT_EQ(convert(Type::kDate, {"2017-06-30", "2017-02-30"}, column), (std::vector<uint32_t>{1}));
  EXPECT_EQ(format_date(column.int_at(0)), "2017-06-30");

  EXPECT_TRUE(convert(Type::kTimestamp, {"2017-06-30 00:00:01"}, column).empty());
  EXPECT_EQ(format_timestamp(column.int_at(0)), "2017-06-30 00:00:01");

  EXPECT_EQ(convert(Type::kTime, {"23:59:58", "25:00:00"}, column), (std::vector<uint32_t>{1}));
  EXPECT_EQ(column.int_at(0), (23 * 3600 + 59 * 60 + 58) * 1000000LL);

  EXPECT_TRUE(convert(Type::kString, {"a", "", "ʤ"}, column).empty());
  EXPECT_EQ(column.bytes_at(0), "a");
  EXPECT_TRUE(column.is_null(1));
  EXPECT_EQ(column.bytes_at(2), "ʤ");

  EXPECT_EQ(convert(Type::kDecimal, {"-012.340", "+1", ".5", "-0.00", "1.2.3"}, column),
            (std::vector<uint32_t>{4}));
  EXPECT_EQ(column.bytes_at(0), "-12.340");
  EXPECT_EQ(column.bytes_at(1), "1");
  EXPECT_EQ(column.bytes_at(2), "0.5");
  EXPECT_EQ(column.bytes_at(3), "0.00");
  EXPECT_TRUE(column.is_null(4));
  EXPECT_EQ(column.bytes_at(4), "");
}

TEST(CsvConverter, AppendsAfterExistingRows) {
  Column column(Type::kString);
  column.append_bytes("first");
  std::vector<std::string_view> cells{"second", "third"};
  std::vector<uint32_t> bad;
  convert_cells(cells.data(), cells.size(), column, bad);
  ASSERT_EQ(column.size(), 3u);
  EXPECT_EQ(column.bytes_at(0), "first");
  EXPECT_EQ(column.bytes_at(2), "third");
}

TEST(CsvConverter, DropRowsKeepsTheOthersInOrder) {
  const std::vector<uint8_t> drop{0, 1, 0, 1};
  Column strings(Type::kString);
  strings.append_bytes("keep");
  std::vector<std::string_view> cells{"a", "bb", "", "dddd"};
  std::vector<uint32_t> bad;
  convert_cells(cells.data(), cells.size(), strings, bad);
  drop_rows(strings, 1, drop);
  ASSERT_EQ(strings.size(), 3u);
  EXPECT_EQ(strings.bytes_at(0), "keep");
  EXPECT_EQ(strings.bytes_at(1), "a");
  EXPECT_TRUE(strings.is_null(2));
  EXPECT_EQ(strings.offsets().size(), 4u);
  EXPECT_EQ(strings.bytes(), "keepa");

  Column ints(Type::kInt64);
  std::vector<std::string_view> numbers{"1", "2", "3", "4"};
  convert_cells(numbers.data(), numbers.size(), ints, bad);
  drop_rows(ints, 0, drop);
  EXPECT_EQ(ints.ints(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(ints.validity().size(), 2u);

  Column doubles(Type::kDouble);
  convert_cells(numbers.data(), numbers.size(), doubles, bad);
  drop_rows(doubles, 0, drop);
  EXPECT_EQ(doubles.doubles(), (std::vector<double>{1, 3}));
}

TEST(CsvConverter, FastIntegralAgreesWithTheCore) {
  for (std::string_view text :
       {"0", "-0", "+5", "200.0", "200.", "1608552.0", "80251.000", "1.5", "1.05", "1.6e3", "1.9617000089109215e+22",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "9223372036854775807.0", "99999999999999999999", "abc", "", "-", ".", ".0", "1..0", "1.0x", "0x10",
        "12a", " 1", "1 ", "1e", "5E1"}) {
    EXPECT_EQ(parse_integral_fast(text), parse_integral(text)) << "'" << text << "'";
  }
}

TEST(CsvConverter, DescribesBadValues) {
  EXPECT_EQ(describe_bad_value(Type::kInt64, "1.9617000089109215e+22"),
            "value '1.9617000089109215e+22' is not an integer in the int64 range");
  EXPECT_EQ(describe_bad_value(Type::kDate, "yesterday"), "value 'yesterday' is not a valid date");
}

}  // namespace
}  // namespace idemload::formats::csv
