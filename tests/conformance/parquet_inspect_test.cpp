// `idemload inspect` over real fixture files, run as a child process: the JSON agrees with the
// fixture's expected shape (rows, row groups, codecs, column types), and a corrupt file exits
// with the source-data code and a message naming the file.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "test_util.h"

namespace idemload {
namespace {

using nlohmann::json;

std::string fixture(const std::string& name) { return (testing::fixtures_dir() / "parquet" / name).string(); }

TEST(ParquetInspect, JsonMatchesTheFixtureShape) {
  for (const std::string name : {"writers/edgar.duckdb-snappy-rowgroups", "parquet-testing/fixed_length_decimal",
                                 "parquet-testing/delta_length_byte_array"}) {
    std::string parquet = fixture(name + ".parquet");
    std::string expected_path = name.rfind("writers/", 0) == 0
                                    ? fixture(name + ".expected.json")
                                    : fixture("parquet-testing/expected/" + name.substr(name.find('/') + 1) + ".expected.json");
    json expected = json::parse(testing::read_file(expected_path));
    auto result = testing::run_idemload({"inspect", parquet, "--json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json doc = json::parse(result.out);
    EXPECT_EQ(doc["rows"], expected["rows"]) << name;
    EXPECT_EQ(doc["row_group_count"], expected["row_groups"]) << name;
    EXPECT_EQ(doc["codecs"].get<std::set<std::string>>(), expected["codecs"].get<std::set<std::string>>()) << name;
    EXPECT_EQ(doc["encodings"].get<std::set<std::string>>(), expected["chunk_encodings"].get<std::set<std::string>>()) << name;
    ASSERT_EQ(doc["columns"].size(), expected["columns"].size());
    for (size_t col = 0; col < doc["columns"].size(); ++col) {
      EXPECT_EQ(doc["columns"][col]["name"], expected["columns"][col]["name"]);
      EXPECT_EQ(doc["columns"][col]["physical_type"], expected["columns"][col]["physical_type"]);
      EXPECT_EQ(doc["columns"][col]["repetition"], expected["columns"][col]["repetition"]);
    }
    EXPECT_EQ(doc["bytes"], expected["bytes"]);
  }
}

TEST(ParquetInspect, HumanSummaryNamesTypesAndCodecs) {
  auto result = testing::run_idemload({"inspect", fixture("parquet-testing/fixed_length_decimal.parquet")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("24 rows in 1 row groups"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("FIXED_LEN_BYTE_ARRAY(11)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("decimal(25,2)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("UNCOMPRESSED"), std::string::npos) << result.out;
}

TEST(ParquetInspect, CorruptFooterExitsWithSourceDataCode) {
  auto result = testing::run_idemload({"inspect", fixture("parquet-testing/bad_data/PARQUET-1481.parquet")});
  EXPECT_EQ(result.exit_code, 6) << result.out << result.err;
  EXPECT_NE(result.err.find("PARQUET-1481.parquet"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace idemload
