#include "formats/csv/type_inference.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace idemload::formats::csv {
namespace {

Type infer(std::initializer_list<std::string_view> values) {
  TypeInference inference;
  for (auto value : values) inference.observe(value);
  return inference.result();
}

TEST(CsvTypeInference, NarrowestTypeInOrder) {
  EXPECT_EQ(infer({"true", "false", "", "TRUE"}), Type::kBool);
  EXPECT_EQ(infer({"1", "0"}), Type::kInt64);  // 1/0 are numbers, not booleans
  EXPECT_EQ(infer({"1", "-20", "+3"}), Type::kInt64);
  EXPECT_EQ(infer({"1", "2.5"}), Type::kDouble);
  EXPECT_EQ(infer({"1e-3", "7"}), Type::kDouble);
  EXPECT_EQ(infer({"2017-06-30", "2003-02-20"}), Type::kDate);
  EXPECT_EQ(infer({"2017-06-30", "2017-06-30 00:00:01"}), Type::kTimestamp);
  EXPECT_EQ(infer({"2017-06-30T00:00:01Z"}), Type::kTimestamp);
  EXPECT_EQ(infer({"00:00:00", "23:59:58"}), Type::kTime);
  EXPECT_EQ(infer({"00:00:00", "x"}), Type::kString);
  EXPECT_EQ(infer({"true", "1"}), Type::kString);
}

TEST(CsvTypeInference, EmptyColumnIsString) {
  EXPECT_EQ(infer({}), Type::kString);
  EXPECT_EQ(infer({"", ""}), Type::kString);
}

// The SEC's files write integers as decimals; they are integers all the same.
TEST(CsvTypeInference, EdgarIntegralDecimalsAreInt64) {
  EXPECT_EQ(infer({"200.0", "304.0", "0.0"}), Type::kInt64);         // code
  EXPECT_EQ(infer({"500.0", "0.0"}), Type::kInt64);                   // zone
  EXPECT_EQ(infer({"1608552.0", "1027281.0"}), Type::kInt64);         // cik
  EXPECT_EQ(infer({"80251.0", ""}), Type::kInt64);                    // size, with NULLs
  EXPECT_EQ(infer({"101.81.133.jja"}), Type::kString);                // ip
  EXPECT_EQ(infer({"0001047469-17-004337"}), Type::kString);          // accession
}

TEST(CsvTypeInference, HugeIntegralValueMakesTheColumnDouble) {
  EXPECT_EQ(infer({"1608552.0", "1.9617000089109215e+22"}), Type::kDouble);
}

TEST(CsvTypeInference, LeadingZerosMeanIdentifiers) {
  EXPECT_EQ(infer({"08123", "12345"}), Type::kString);
  EXPECT_EQ(infer({"0", "0.5", "-0.25"}), Type::kDouble);
}

TEST(CsvTypeInference, WordsThatFromCharsReadAsNumbersStayText) {
  EXPECT_EQ(infer({"nan", "inf"}), Type::kString);
}

}  // namespace
}  // namespace idemload::formats::csv
