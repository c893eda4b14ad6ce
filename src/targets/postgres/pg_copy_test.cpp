#include "targets/postgres/pg_copy.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "targets/postgres/pg_connection.h"

namespace idemload::targets::postgres {
namespace {

// The big-endian int16 words of a binary NUMERIC after its int32 length.
std::vector<int> numeric_words(std::string_view text) {
  std::vector<int16_t> scratch;
  std::string out;
  EXPECT_TRUE(append_numeric_binary(text, scratch, out)) << text;
  std::vector<int> words;
  for (size_t pos = 4; pos + 1 < out.size(); pos += 2) {
    words.push_back(static_cast<int16_t>((static_cast<unsigned char>(out[pos]) << 8) | static_cast<unsigned char>(out[pos + 1])));
  }
  EXPECT_EQ(out.size(), 4 + 2 * words.size());
  return words;
}

TEST(NumericBinary, EncodesBase10000DigitsWeightSignAndScale) {
  // ndigits, weight, sign, dscale, digits…
  EXPECT_EQ(numeric_words("12.5"), (std::vector<int>{2, 0, 0, 1, 12, 5000}));
  EXPECT_EQ(numeric_words("-12345678.9"), (std::vector<int>{3, 1, 0x4000, 1, 1234, 5678, 9000}));
  EXPECT_EQ(numeric_words("0.0001"), (std::vector<int>{1, -1, 0, 4, 1}));
  EXPECT_EQ(numeric_words("0.00001"), (std::vector<int>{1, -2, 0, 5, 1000}));
  EXPECT_EQ(numeric_words("100000000"), (std::vector<int>{1, 2, 0, 0, 1}));
  EXPECT_EQ(numeric_words("-0.000"), (std::vector<int>{0, 0, 0, 3}));
  EXPECT_EQ(numeric_words("+007"), (std::vector<int>{1, 0, 0, 0, 7}));
}

TEST(NumericBinary, RefusesTextThatIsNotADecimal) {
  std::vector<int16_t> scratch;
  std::string out;
  for (std::string_view text : {"", "-", ".", "1e5", "12a", "1.2.3", " 1"}) {
    EXPECT_FALSE(append_numeric_binary(text, scratch, out)) << text;
  }
  EXPECT_TRUE(out.empty());
}

TEST(CopyText, EscapesBackslashTabNewlineAndCarriageReturn) {
  std::string out;
  append_copy_text_escaped("a\tb\nc\rd\\e", out);
  EXPECT_EQ(out, "a\\tb\\nc\\rd\\\\e");
}

TEST(CopyEncoder, BinaryRowsHaveHeaderFieldCountsAndTrailer) {
  Schema schema({Field{"k", Type::kInt64}, Field{"s", Type::kString}});
  Batch batch(std::make_shared<const Schema>(schema));
  batch.column(0).append_int(1);
  batch.column(1).append_null();
  CopyEncoder encoder({{0, "k", BinaryEncoding::kInt8}, {1, "s", BinaryEncoding::kBytes}}, std::string("b"), true);
  std::string out;
  encoder.encode(batch, out);
  std::string expected("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
  expected += std::string("\0\3", 2);                             // three fields
  expected += std::string("\0\0\0\x08\0\0\0\0\0\0\0\x01", 12);    // int8 1
  expected += std::string("\xFF\xFF\xFF\xFF", 4);                 // NULL
  expected += std::string("\0\0\0\x01", 4) + "b";                 // lineage
  expected += std::string("\xFF\xFF", 2);                         // trailer
  EXPECT_EQ(out, expected);
}

TEST(CopyEncoder, BinaryRowsLargerThanTheFirstEstimateAreWhole) {
  // Strings far longer than a fixed-width value, numerics, NULLs and empty strings: the output
  // grows as rows need it, and every byte is where the format puts it.
  Schema schema({Field{"s", Type::kString}, Field{"d", Type::kDecimal, true, 20, 4}});
  Batch batch(std::make_shared<const Schema>(schema));
  std::vector<std::optional<std::string>> strings = {std::string(100000, 'a'), std::nullopt, std::string(),
                                                     std::string(70000, 'b'), std::string("c")};
  std::vector<std::string> numerics = {"1", "-12345678901234.5678", "0.0001", "99", "7"};
  for (size_t row = 0; row < strings.size(); ++row) {
    if (strings[row]) {
      batch.column(0).append_bytes(*strings[row]);
    } else {
      batch.column(0).append_null();
    }
    batch.column(1).append_bytes(numerics[row]);
  }
  CopyEncoder encoder({{0, "s", BinaryEncoding::kBytes}, {1, "d", BinaryEncoding::kNumeric}}, std::nullopt, true);
  std::string out;
  encoder.encode(batch, out);

  std::string expected("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
  auto put32 = [&expected](uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) expected += static_cast<char>(value >> shift);
  };
  std::vector<int16_t> scratch;
  for (size_t row = 0; row < strings.size(); ++row) {
    expected += std::string("\0\2", 2);
    if (strings[row]) {
      put32(static_cast<uint32_t>(strings[row]->size()));
      expected += *strings[row];
    } else {
      put32(0xFFFFFFFFu);
    }
    ASSERT_TRUE(append_numeric_binary(numerics[row], scratch, expected));
  }
  expected += std::string("\xFF\xFF", 2);
  EXPECT_EQ(out.size(), expected.size());
  EXPECT_TRUE(out == expected);

  // The encoder's buffer is reused: a smaller batch afterwards is encoded exactly too.
  Batch small(batch.schema_ptr());
  small.column(0).append_bytes("z");
  small.column(1).append_bytes("5");
  encoder.encode(small, out);
  std::string expected_small("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
  expected_small += std::string("\0\2\0\0\0\1z", 7);
  ASSERT_TRUE(append_numeric_binary("5", scratch, expected_small));
  expected_small += std::string("\xFF\xFF", 2);
  EXPECT_TRUE(out == expected_small);
}

TEST(CopyEncoder, IntegerOutOfAColumnsRangeNamesTheSourceRow) {
  Schema schema({Field{"n", Type::kInt64}});
  Batch batch(std::make_shared<const Schema>(schema));
  batch.column(0).append_int(1);
  batch.column(0).append_int(int64_t{1} << 40);
  batch.source_file = "f.csv";
  batch.source_rows = {3, 4};
  CopyEncoder encoder({{0, "n", BinaryEncoding::kInt4}}, std::nullopt, true);
  std::string out;
  try {
    encoder.encode(batch, out);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
    EXPECT_EQ(error.context().row, 4);
    EXPECT_EQ(error.context().column, "n");
    EXPECT_EQ(error.context().file, "f.csv");
  }
}

TEST(Placeholders, NumbersQuestionMarksOutsideQuotesAndComments) {
  EXPECT_EQ(number_placeholders("SELECT ?, ? FROM t WHERE a = ?"), "SELECT $1, $2 FROM t WHERE a = $3");
  EXPECT_EQ(number_placeholders("SELECT '?', \"?\", ? -- ?\n, ?"), "SELECT '?', \"?\", $1 -- ?\n, $2");
  EXPECT_EQ(number_placeholders("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', $1");
  EXPECT_EQ(number_placeholders("SELECT E'\\' ?', ?"), "SELECT E'\\' ?', $1");
  EXPECT_EQ(number_placeholders("SELECT /* ? /* ? */ ? */ ?"), "SELECT /* ? /* ? */ ? */ $1");
  EXPECT_EQ(number_placeholders("SELECT $$ ? $$, $tag$ ?'$ $tag$, ?"), "SELECT $$ ? $$, $tag$ ?'$ $tag$, $1");
  EXPECT_EQ(number_placeholders("SELECT a$b, ?"), "SELECT a$b, $1");
}

TEST(Sqlstate, MapsClassesToErrorKinds) {
  EXPECT_EQ(kind_of_sqlstate("08006"), ErrorKind::kTargetUnavailable);
  EXPECT_EQ(kind_of_sqlstate("57P01"), ErrorKind::kTargetUnavailable);
  EXPECT_EQ(kind_of_sqlstate("23505"), ErrorKind::kTargetConflict);
  EXPECT_EQ(kind_of_sqlstate("40001"), ErrorKind::kTargetConflict);
  EXPECT_EQ(kind_of_sqlstate("40P01"), ErrorKind::kTargetConflict);
  EXPECT_EQ(kind_of_sqlstate("42703"), ErrorKind::kSchemaDrift);
  EXPECT_EQ(kind_of_sqlstate("42601"), ErrorKind::kInvalidInput);
  EXPECT_EQ(kind_of_sqlstate("22P02"), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace idemload::targets::postgres
