#include "formats/csv/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace idemload::formats::csv {
namespace {

struct Rec {
  std::vector<std::string> fields;
  int64_t line;
  RecordStatus status;
  bool operator==(const Rec&) const = default;
};

std::vector<Rec> collect(const ParsedRecords& records) {
  std::vector<Rec> out;
  for (size_t record = 0; record < records.size(); ++record) {
    Rec rec{{}, records.lines[record], records.status[record]};
    for (size_t idx = records.field_begin(record); idx < records.field_end[record]; ++idx) {
      rec.fields.emplace_back(records.fields[idx]);
    }
    out.push_back(rec);
  }
  return out;
}

std::vector<Rec> parse_all(std::string_view text, char delimiter = ',') {
  Parser parser(delimiter);
  ParsedRecords records;
  size_t used = parser.parse(text, true, 1000000, records);
  EXPECT_EQ(used, text.size());
  return collect(records);
}

// Parses `text` as a chunker would hand it over: first the bytes up to `split` (not final),
// then everything that was not consumed, as the end of the file.
std::vector<Rec> parse_split(std::string_view text, size_t split) {
  Parser parser(',');
  ParsedRecords first;
  size_t used = parser.parse(text.substr(0, split), false, 1000000, first);
  EXPECT_LE(used, split);
  std::vector<Rec> out = collect(first);
  ParsedRecords rest;
  size_t used_rest = parser.parse(text.substr(used), true, 1000000, rest);
  EXPECT_EQ(used + used_rest, text.size());
  for (auto& rec : collect(rest)) out.push_back(rec);
  return out;
}

constexpr RecordStatus kOk = RecordStatus::kOk;

TEST(CsvParser, SplitsSimpleRecords) {
  auto recs = parse_all("a,b,c\n1,2,3\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0], (Rec{{"a", "b", "c"}, 1, kOk}));
  EXPECT_EQ(recs[1], (Rec{{"1", "2", "3"}, 2, kOk}));
}

TEST(CsvParser, LastRecordNeedsNoNewlineAtEndOfFile) {
  auto recs = parse_all("a,b\r\n1,2");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1], (Rec{{"1", "2"}, 2, kOk}));
}

TEST(CsvParser, QuotedFieldsWithEscapesAndNewlines) {
  auto recs = parse_all("x,y\n\"a,b\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\r\n\"cr\r\nlf\",w\nlast,1\n");
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[1], (Rec{{"a,b", "say \"hi\""}, 2, kOk}));
  EXPECT_EQ(recs[2], (Rec{{"two\nlines", "z"}, 3, kOk}));
  EXPECT_EQ(recs[3], (Rec{{"cr\r\nlf", "w"}, 5, kOk}));
  EXPECT_EQ(recs[4], (Rec{{"last", "1"}, 7, kOk}));
}

TEST(CsvParser, EmptyFieldsQuotedOrNot) {
  auto recs = parse_all("1,\"\",\n,,\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].fields, (std::vector<std::string>{"1", "", ""}));
  EXPECT_EQ(recs[1].fields, (std::vector<std::string>{"", "", ""}));
  Parser parser;
  ParsedRecords records;
  parser.parse("1,\"\",\n", true, 10, records);
  EXPECT_EQ(records.quoted, (std::vector<uint8_t>{0, 1, 0}));
}

TEST(CsvParser, SkipsBlankLinesButCountsThem) {
  auto recs = parse_all("a\n\n\r\n1\n\n2");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1], (Rec{{"1"}, 4, kOk}));
  EXPECT_EQ(recs[2], (Rec{{"2"}, 6, kOk}));
}

TEST(CsvParser, LoneCarriageReturnIsData) {
  auto recs = parse_all("a\rb,c\n");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].fields, (std::vector<std::string>{"a\rb", "c"}));
}

TEST(CsvParser, OtherDelimiter) {
  auto recs = parse_all("a;\"b;c\"\n", ';');
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].fields, (std::vector<std::string>{"a", "b;c"}));
}

TEST(CsvParser, MalformedRecordsComeBackWithAStatus) {
  auto recs = parse_all("\"ab\"c,d\nok,1\n\"open,2\nmore\n");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].status, RecordStatus::kTextAfterQuote);
  EXPECT_EQ(recs[0].fields.size(), 2u);
  EXPECT_EQ(recs[1], (Rec{{"ok", "1"}, 2, kOk}));
  EXPECT_EQ(recs[2].status, RecordStatus::kUnterminated);
  EXPECT_EQ(recs[2].line, 3);
}

TEST(CsvParser, LeavesACutRecordForTheNextCall) {
  Parser parser;
  ParsedRecords records;
  const std::string text = "1,2\n3,\"x\ny";
  size_t used = parser.parse(text, false, 100, records);
  EXPECT_EQ(used, 4u);
  EXPECT_EQ(records.size(), 1u);
  EXPECT_EQ(parser.next_line(), 2);
}

TEST(CsvParser, StopsAtMaxRecords) {
  Parser parser;
  ParsedRecords records;
  const std::string text = "1\n2\n3\n";
  size_t used = parser.parse(text, true, 2, records);
  EXPECT_EQ(used, 4u);
  EXPECT_EQ(records.size(), 2u);
  records.clear();
  used = parser.parse(std::string_view(text).substr(4), true, 2, records);
  EXPECT_EQ(used, 2u);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records.lines[0], 3);
}

TEST(CsvParser, RawTextOfEachRecord) {
  Parser parser;
  ParsedRecords records;
  parser.parse("a,\"b\"\"\"\r\nc,d\n", true, 10, records);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records.raw[0], "a,\"b\"\"\"");
  EXPECT_EQ(records.raw[1], "c,d");
}

// Whatever byte a block ends at, the records, fields and lines are those of a one-shot parse.
TEST(CsvParser, AnySplitPointGivesTheSameRecords) {
  const std::string text =
      "h1,h2,h3\r\n1,\"a \"\"q\"\" b\",3\r\n\r\n\"multi\nline\r\nfield\",,\"\"\r\nx\ry,\"\",z\n\"end\"\"\",2,3";
  const auto expected = parse_all(text);
  ASSERT_EQ(expected.size(), 5u);
  EXPECT_EQ(expected[2], (Rec{{"multi\nline\r\nfield", "", ""}, 4, kOk}));
  EXPECT_EQ(expected[3], (Rec{{"x\ry", "", "z"}, 7, kOk}));
  EXPECT_EQ(expected[4], (Rec{{"end\"", "2", "3"}, 8, kOk}));
  for (size_t split = 0; split <= text.size(); ++split) {
    EXPECT_EQ(parse_split(text, split), expected) << "split at " << split;
  }
}

}  // namespace
}  // namespace idemload::formats::csv
