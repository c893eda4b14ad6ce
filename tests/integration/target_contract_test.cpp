// The Target contract (src/targets/target.h), checked the same way on every database: SQLite (a
// file in a temporary folder), PostgreSQL and MariaDB (the servers of with-test-servers.sh).
// Everything goes through open_target(); no test knows which dialect it runs on, except where
// the contract itself allows a dialect's own text form.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <variant>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/value_text.h"
#include "targets/target.h"
#include "test_util.h"

namespace idemload::targets {
namespace {

using idemload::testing::TempDir;

// One cell: NULL, an int-stored value (bool, int64, date, timestamp, time), a double, or bytes.
using Value = std::variant<std::monostate, int64_t, double, std::string>;
using Row = std::vector<Value>;
const Value kNull{};

Value str(std::string_view text) { return Value(std::string(text)); }

Batch make_batch(const Schema& schema, const std::vector<Row>& rows) {
  Batch batch(std::make_shared<const Schema>(schema));
  for (const Row& row : rows) {
    for (size_t col = 0; col < schema.size(); ++col) {
      Column& column = batch.column(col);
      const Value& value = row.at(col);
      if (std::holds_alternative<std::monostate>(value)) {
        column.append_null();
      } else if (column.storage() == Storage::kInts) {
        column.append_int(std::get<int64_t>(value));
      } else if (column.storage() == Storage::kDoubles) {
        column.append_double(std::get<double>(value));
      } else {
        column.append_bytes(std::get<std::string>(value));
      }
    }
  }
  return batch;
}

Row row_of(const Batch& batch, size_t row) {
  Row out;
  for (size_t col = 0; col < batch.num_columns(); ++col) {
    const Column& column = batch.column(col);
    if (column.is_null(row)) {
      out.emplace_back();
    } else if (column.storage() == Storage::kInts) {
      out.emplace_back(column.int_at(row));
    } else if (column.storage() == Storage::kDoubles) {
      out.emplace_back(column.double_at(row));
    } else {
      out.emplace_back(std::string(column.bytes_at(row)));
    }
  }
  return out;
}

struct ScanResult {
  std::vector<Row> rows;          // sorted
  std::vector<size_t> batch_sizes;
};

ScanResult scan_all(Target& target, std::string_view table, const Schema& columns, const Scope& scope,
                    size_t batch_rows = 1000) {
  ScanResult result;
  target.scan(table, columns, scope, batch_rows, [&](const Batch& batch) {
    EXPECT_EQ(batch.num_columns(), columns.size());
    result.batch_sizes.push_back(batch.num_rows());
    for (size_t row = 0; row < batch.num_rows(); ++row) result.rows.push_back(row_of(batch, row));
  });
  std::sort(result.rows.begin(), result.rows.end());
  return result;
}

Field field(std::string name, Type type) { return Field{std::move(name), type}; }

using idemload::testing::error_of;

class TargetContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    url_ = url_for(GetParam());
    target_ = open_target(url_);
  }

  void TearDown() override {
    if (!target_) return;
    target_->rollback();
    for (const auto& table : tables_) {
      try {
        target_->drop_table(table);
      } catch (const Error&) {
        // a test that broke the connection; its tables go with the test server
      }
    }
  }

  std::string url_for(const std::string& name) {
    if (name == "sqlite") return "sqlite:" + dir_.file("contract.db");
    if (name == "postgres") return idemload::testing::require_url("IDEMLOAD_TEST_PG_URL");
    return idemload::testing::require_url("IDEMLOAD_TEST_MYSQL_URL");
  }

  // A table name no other test (or parallel test process) uses; dropped after the test.
  std::string table_name() {
    static std::atomic<int> counter{0};
    std::string name = fmt::format("ct_{}_{}", ::getpid(), counter++);
    tables_.push_back(name);
    return name;
  }

  // A table (k int64 primary key, s string) with `lineage`.
  std::string keyed_table(bool lineage = true) {
    std::string table = table_name();
    target_->create_table(table, key_schema_, CreateOptions{{"k"}, lineage});
    return table;
  }

  int64_t write(const std::string& table, const std::vector<Row>& rows, WriteOptions options = {},
                const Schema* schema = nullptr) {
    const Schema& source = schema ? *schema : key_schema_;
    auto writer = target_->writer(table, source, options);
    int64_t written = writer->write(make_batch(source, rows));
    return written + writer->flush();
  }

  TempDir dir_;
  std::string url_;
  std::unique_ptr<Target> target_;
  std::vector<std::string> tables_;
  Schema key_schema_{{field("k", Type::kInt64), field("s", Type::kString)}};
};

Schema all_types_schema() {
  Schema schema({field("k", Type::kInt64), field("flag", Type::kBool), field("real", Type::kDouble),
                 field("text", Type::kString), field("blob", Type::kBinary), field("day", Type::kDate),
                 field("at", Type::kTimestamp), field("tod", Type::kTime), field("amount", Type::kDecimal)});
  return schema;
}

Schema with_decimal(Schema schema) {
  std::vector<Field> fields = schema.fields();
  for (auto& f : fields) {
    if (f.type == Type::kDecimal) {
      f.precision = 12;
      f.scale = 3;
    }
  }
  return Schema(fields);
}

std::vector<Row> all_types_rows() {
  return {
      {int64_t{1}, int64_t{1}, 0.1, str("h\xC3\xA9llo\tworld\n\\ 'q' \"dq\" "), str(std::string("\0\x01\xFF", 3)),
       int64_t{-1}, int64_t{1700000000123456}, int64_t{45296789012}, str("-12.340")},
      {int64_t{2}, int64_t{0}, -1e300, str(""), str(""), int64_t{20000}, int64_t{0}, int64_t{0}, str("0.000")},
      {int64_t{3}, kNull, kNull, kNull, kNull, kNull, kNull, kNull, kNull},
  };
}

TEST_P(TargetContract, CreateTableMapsEveryTypeAndTableSchemaMapsThemBack) {
  std::string table = table_name();
  Schema schema = with_decimal(all_types_schema());
  target_->create_table(table, schema, CreateOptions{{"k"}, true});
  auto got = target_->table_schema(table);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), schema.size() + 1) << got->to_string();
  for (size_t idx = 0; idx < schema.size(); ++idx) {
    EXPECT_EQ(got->field(idx).name, schema.field(idx).name);
    EXPECT_EQ(got->field(idx).type, schema.field(idx).type) << schema.field(idx).name << ": " << got->to_string();
  }
  EXPECT_EQ(got->field(8).precision, 12);
  EXPECT_EQ(got->field(8).scale, 3);
  EXPECT_EQ(got->field(schema.size()).name, kLineageColumn);
  EXPECT_EQ(got->field(schema.size()).type, Type::kString);
  EXPECT_FALSE(target_->table_schema(table + "_absent").has_value());
}

TEST_P(TargetContract, CreateTableWithoutLineageHasNoBatchColumnAndIsIdempotent) {
  std::string table = table_name();
  target_->create_table(table, key_schema_, CreateOptions{{}, false});
  target_->create_table(table, key_schema_, CreateOptions{{}, false});  // exists: no error
  auto got = target_->table_schema(table);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size(), 2u);
  EXPECT_FALSE(got->index_of(kLineageColumn).has_value());
  EXPECT_FALSE(target_->has_unique_key(table, {"k"}));
}

TEST_P(TargetContract, EveryTypeRoundTripsExactlyThroughWriterAndScan) {
  std::string table = table_name();
  Schema schema = with_decimal(all_types_schema());
  target_->create_table(table, schema, CreateOptions{{"k"}, true});
  auto rows = all_types_rows();
  EXPECT_EQ(write(table, rows, {.lineage = "b1"}, &schema), 3);
  ScanResult scanned = scan_all(*target_, table, schema, Scope::all());
  ASSERT_EQ(scanned.rows.size(), rows.size());
  for (size_t row = 0; row < rows.size(); ++row) {
    for (size_t col = 0; col < schema.size(); ++col) {
      EXPECT_EQ(scanned.rows[row][col], rows[row][col]) << "row " << row << " column " << schema.field(col).name;
    }
  }
  // The lineage label went into _batch of every row.
  EXPECT_EQ(target_->count(table, Scope::lineage("b1")), 3);
}

TEST_P(TargetContract, ScanConvertsToTheRequestedTypes) {
  std::string table = table_name();
  Schema schema = with_decimal(all_types_schema());
  target_->create_table(table, schema, CreateOptions{{"k"}, false});
  write(table, all_types_rows(), {}, &schema);
  // A DATE column requested as kDate gives days since 1970; as kString its text form.
  Schema wanted({field("k", Type::kString), field("day", Type::kDate), field("amount", Type::kString)});
  ScanResult scanned = scan_all(*target_, table, wanted, Scope::all());
  ASSERT_EQ(scanned.rows.size(), 3u);
  EXPECT_EQ(scanned.rows[0], (Row{str("1"), int64_t{-1}, str("-12.340")}));
  EXPECT_EQ(scanned.rows[1], (Row{str("2"), int64_t{20000}, str("0.000")}));
  EXPECT_EQ(scanned.rows[2], (Row{str("3"), kNull, kNull}));
  Schema as_text({field("day", Type::kString)});
  ScanResult days = scan_all(*target_, table, as_text, Scope::where(target_->quote("k") + " = 1"));
  ASSERT_EQ(days.rows.size(), 1u);
  EXPECT_EQ(days.rows[0][0], str("1969-12-31"));
}

TEST_P(TargetContract, ScanStreamsInBatchesOfTheRequestedSizeAndHonoursScope) {
  std::string table = keyed_table();
  std::vector<Row> b1, b2;
  for (int64_t k = 0; k < 25; ++k) b1.push_back({k, str(fmt::format("v{}", k))});
  for (int64_t k = 100; k < 104; ++k) b2.push_back({k, str("other")});
  write(table, b1, {.lineage = "b1"});
  write(table, b2, {.lineage = "b2"});

  ScanResult all = scan_all(*target_, table, key_schema_, Scope::lineage("b1"), 10);
  EXPECT_EQ(all.batch_sizes, (std::vector<size_t>{10, 10, 5}));
  ASSERT_EQ(all.rows.size(), 25u);
  EXPECT_EQ(all.rows[7], (Row{int64_t{7}, str("v7")}));

  EXPECT_EQ(scan_all(*target_, table, key_schema_, Scope::all()).rows.size(), 29u);
  auto where = scan_all(*target_, table, key_schema_, Scope::where(target_->quote("k") + " >= 102"));
  EXPECT_EQ(where.rows, (std::vector<Row>{{int64_t{102}, str("other")}, {int64_t{103}, str("other")}}));
  EXPECT_TRUE(scan_all(*target_, table, key_schema_, Scope::lineage("nope")).batch_sizes.empty());
}

TEST_P(TargetContract, ScanInsideTheCallersTransactionSeesItsRowsAndLeavesItOpen) {
  std::string table = keyed_table();
  target_->begin();
  write(table, {{int64_t{1}, str("a")}}, {.lineage = "b"});
  EXPECT_EQ(scan_all(*target_, table, key_schema_, Scope::all()).rows.size(), 1u);
  // Still the caller's transaction: a rollback takes the row away.
  target_->rollback();
  EXPECT_EQ(target_->count(table, Scope::all()), 0);
}

// A caller may stop a scan by throwing from the sink (the key scan does when the load stops).
// The batches still being read ahead (PostgreSQL pipelines its FETCHes) are dropped, and the
// connection and the caller's transaction are left usable.
TEST_P(TargetContract, ScanStoppedBySinkLeavesTheConnectionUsable) {
  struct Stop {};
  std::string table = keyed_table();
  std::vector<Row> rows;
  for (int64_t k = 0; k < 40; ++k) rows.push_back({k, str(fmt::format("v{}", k))});
  write(table, rows, {.lineage = "b"});

  auto stop_at_second_batch = [&] {
    int batches = 0;
    EXPECT_THROW(target_->scan(table, key_schema_, Scope::lineage("b"), 5,
                               [&](const Batch&) {
                                 if (++batches == 2) throw Stop{};
                               }),
                 Stop);
    EXPECT_EQ(batches, 2);
  };
  stop_at_second_batch();
  EXPECT_EQ(target_->count(table, Scope::all()), 40);
  EXPECT_EQ(scan_all(*target_, table, key_schema_, Scope::lineage("b"), 5).rows.size(), 40u);

  // Inside the caller's transaction: still open afterwards, and its rows still its own.
  target_->begin();
  write(table, {{int64_t{100}, str("x")}}, {.lineage = "b"});
  stop_at_second_batch();
  EXPECT_EQ(target_->count(table, Scope::all()), 41);
  target_->rollback();
  EXPECT_EQ(target_->count(table, Scope::all()), 40);
}

TEST_P(TargetContract, StringKeysCompareExactly) {
  Schema schema({field("s", Type::kString), field("n", Type::kInt64)});
  std::string strings = table_name();
  target_->create_table(strings, schema, CreateOptions{{"s"}, true});
  std::vector<Row> rows = {{str("a"), int64_t{1}}, {str("A"), int64_t{2}}, {str("a "), int64_t{3}},
                           {str("\xC3\xA4"), int64_t{4}}, {str("a\xCC\x88"), int64_t{5}}};
  EXPECT_EQ(write(strings, rows, {.lineage = "b"}, &schema), 5);  // no key collides with another
  EXPECT_EQ(target_->count(strings, Scope::all()), 5);
  // Each key matches only itself.
  EXPECT_EQ(write(strings, {{str("a"), int64_t{9}}}, {.mode = WriteMode::kInsertIgnore, .key = {"s"}, .lineage = "b"},
                  &schema),
            0);
  EXPECT_EQ(write(strings, {{str("a  "), int64_t{9}}},
                  {.mode = WriteMode::kInsertIgnore, .key = {"s"}, .lineage = "b"}, &schema),
            1);
  auto found = target_->query(fmt::format("SELECT {} FROM {} WHERE {} = ?", target_->quote("n"),
                                          target_->quote(strings), target_->quote("s")),
                              {std::string("A")});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0][0], "2");
}

TEST_P(TargetContract, IdentifiersAreQuoted) {
  std::string table = table_name() + " Odd \"name\"";
  tables_.push_back(table);
  Schema schema({field("select", Type::kInt64), field("Mixed Case", Type::kString), field("quo\"te", Type::kString)});
  target_->create_table(table, schema, CreateOptions{{"select"}, true});
  EXPECT_EQ(write(table, {{int64_t{1}, str("x"), str("y")}}, {.lineage = "b"}, &schema), 1);
  auto got = target_->table_schema(table);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->field(1).name, "Mixed Case");
  EXPECT_EQ(got->field(2).name, "quo\"te");
  auto scanned = scan_all(*target_, table, schema, Scope::lineage("b"));
  EXPECT_EQ(scanned.rows, (std::vector<Row>{{int64_t{1}, str("x"), str("y")}}));
  EXPECT_TRUE(target_->has_unique_key(table, {"select"}));
  EXPECT_EQ(target_->delete_scope(table, Scope::all()), 1);
}

TEST_P(TargetContract, ExecuteAndQueryBindValues) {
  std::string table = keyed_table(false);
  std::string insert = fmt::format("INSERT INTO {} ({}, {}) VALUES (?, ?)", target_->quote(table), target_->quote("k"),
                                   target_->quote("s"));
  EXPECT_EQ(target_->execute(insert, {int64_t{1}, std::string("it's; DROP TABLE x; --")}), 1);
  EXPECT_EQ(target_->execute(insert, {int64_t{2}, nullptr}), 1);
  EXPECT_EQ(target_->execute(insert, {int64_t{3}, std::string("?")}), 1);
  auto rows = target_->query(
      fmt::format("SELECT {}, {} FROM {} WHERE {} <= ? ORDER BY {}", target_->quote("k"), target_->quote("s"),
                  target_->quote(table), target_->quote("k"), target_->quote("k")),
      {int64_t{2}});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], "1");
  EXPECT_EQ(rows[0][1], "it's; DROP TABLE x; --");
  EXPECT_EQ(rows[1][1], std::nullopt);
  // A '?' inside a string literal is not a placeholder.
  auto literal = target_->query(fmt::format("SELECT '?', {} FROM {} WHERE {} = ?", target_->quote("s"),
                                            target_->quote(table), target_->quote("k")),
                                {int64_t{3}});
  ASSERT_EQ(literal.size(), 1u);
  EXPECT_EQ(literal[0][0], "?");
  EXPECT_EQ(literal[0][1], "?");
  // execute returns affected rows.
  EXPECT_EQ(target_->execute(fmt::format("UPDATE {} SET {} = ? WHERE {} >= ?", target_->quote(table),
                                         target_->quote("s"), target_->quote("k")),
                             {std::string("z"), int64_t{2}}),
            2);
  auto doubled = target_->query("SELECT ?", {2.5});
  ASSERT_EQ(doubled.size(), 1u);
  EXPECT_EQ(parse_double(doubled[0][0].value_or("")), 2.5);
}

TEST_P(TargetContract, TransactionsCommitAndRollBack) {
  std::string table = keyed_table();
  target_->rollback();  // no transaction: nothing happens, nothing thrown
  target_->begin();
  write(table, {{int64_t{1}, str("a")}, {int64_t{2}, str("b")}}, {.lineage = "b"});
  target_->rollback();
  EXPECT_EQ(target_->count(table, Scope::all()), 0);

  auto other = target_->reconnect();
  target_->begin();
  write(table, {{int64_t{1}, str("a")}}, {.lineage = "b"});
  EXPECT_EQ(other->count(table, Scope::all()), 0);  // not visible before the commit
  target_->commit();
  EXPECT_EQ(other->count(table, Scope::all()), 1);

  // Autocommit: a write is visible at once from another connection.
  write(table, {{int64_t{2}, str("b")}}, {.lineage = "b"});
  EXPECT_EQ(other->count(table, Scope::all()), 2);
}

TEST_P(TargetContract, CountAndDeleteScope) {
  std::string table = keyed_table();
  write(table, {{int64_t{1}, str("a")}, {int64_t{2}, str("b")}, {int64_t{3}, str("c")}}, {.lineage = "b1"});
  write(table, {{int64_t{4}, str("d")}, {int64_t{5}, str("e")}}, {.lineage = "b2"});
  EXPECT_EQ(target_->count(table, Scope::all()), 5);
  EXPECT_EQ(target_->count(table, Scope::lineage("b1")), 3);
  EXPECT_EQ(target_->count(table, Scope::lineage("B1")), 0);
  Scope where = Scope::where(target_->quote("k") + " IN (1, 4)");
  EXPECT_EQ(target_->count(table, where), 2);
  EXPECT_EQ(target_->delete_scope(table, where), 2);
  EXPECT_EQ(target_->delete_scope(table, Scope::lineage("b1")), 2);
  EXPECT_EQ(target_->count(table, Scope::all()), 1);
  EXPECT_EQ(target_->delete_scope(table, Scope::all()), 1);
  EXPECT_EQ(target_->count(table, Scope::all()), 0);
}

TEST_P(TargetContract, InsertOfADuplicateKeyIsAConflict) {
  std::string table = keyed_table();
  write(table, {{int64_t{1}, str("a")}}, {.lineage = "b"});
  Error error = error_of([&] { write(table, {{int64_t{2}, str("b")}, {int64_t{1}, str("again")}}, {.lineage = "b"}); });
  EXPECT_EQ(error.kind(), ErrorKind::kTargetConflict) << error.what();
  target_->rollback();
  EXPECT_EQ(target_->count(table, Scope::where(target_->quote("s") + " = 'again'")), 0);
  // Inside a transaction, a rollback takes back whatever part of the batch went in.
  target_->begin();
  EXPECT_THROW(write(table, {{int64_t{3}, str("c")}, {int64_t{1}, str("again")}}, {.lineage = "b"}), Error);
  target_->rollback();
  EXPECT_EQ(target_->count(table, Scope::all()), target_->count(table, Scope::where(target_->quote("k") + " <> 3")));
  EXPECT_EQ(target_->count(table, Scope::where(target_->quote("k") + " = 3")), 0);
}

TEST_P(TargetContract, InsertIgnoreSkipsExistingKeysAndCountsInserted) {
  std::string table = keyed_table();
  WriteOptions ignore{.mode = WriteMode::kInsertIgnore, .key = {"k"}, .lineage = "b"};
  EXPECT_EQ(write(table, {{int64_t{1}, str("a")}, {int64_t{2}, str("b")}}, ignore), 2);
  EXPECT_EQ(write(table, {{int64_t{2}, str("changed")}, {int64_t{3}, str("c")}}, ignore), 1);
  auto rows = scan_all(*target_, table, key_schema_, Scope::all()).rows;
  EXPECT_EQ(rows, (std::vector<Row>{{int64_t{1}, str("a")}, {int64_t{2}, str("b")}, {int64_t{3}, str("c")}}));
  // Inside a transaction too.
  target_->begin();
  EXPECT_EQ(write(table, {{int64_t{3}, str("x")}, {int64_t{4}, str("d")}}, ignore), 1);
  target_->commit();
  EXPECT_EQ(target_->count(table, Scope::lineage("b")), 4);
}

TEST_P(TargetContract, UpsertReplacesNonKeyColumnsAndCountsEachRowOnce) {
  std::string table = keyed_table();
  WriteOptions upsert{.mode = WriteMode::kUpsert, .key = {"k"}, .lineage = "b1"};
  EXPECT_EQ(write(table, {{int64_t{1}, str("a")}, {int64_t{2}, str("b")}}, upsert), 2);
  upsert.lineage = "b2";
  // One update and one insert: two rows, each counted once.
  EXPECT_EQ(write(table, {{int64_t{2}, str("B")}, {int64_t{3}, str("c")}}, upsert), 2);
  auto rows = scan_all(*target_, table, key_schema_, Scope::all()).rows;
  EXPECT_EQ(rows, (std::vector<Row>{{int64_t{1}, str("a")}, {int64_t{2}, str("B")}, {int64_t{3}, str("c")}}));
  EXPECT_EQ(target_->count(table, Scope::lineage("b2")), 2);  // the updated row took the new label
  target_->begin();
  EXPECT_EQ(write(table, {{int64_t{1}, str("A")}}, upsert), 1);
  target_->commit();
  EXPECT_EQ(scan_all(*target_, table, key_schema_, Scope::where(target_->quote("k") + " = 1")).rows,
            (std::vector<Row>{{int64_t{1}, str("A")}}));
}

TEST_P(TargetContract, WriterLeavesColumnsTheSourceLacksNullAndManyBatchesAddUp) {
  std::string table = table_name();
  Schema wide({field("k", Type::kInt64), field("s", Type::kString), field("extra", Type::kDouble)});
  target_->create_table(table, wide, CreateOptions{{"k"}, true});
  auto writer = target_->writer(table, key_schema_, {.lineage = "b"});
  int64_t written = 0;
  for (int64_t chunk = 0; chunk < 3; ++chunk) {
    std::vector<Row> rows;
    for (int64_t k = chunk * 1000; k < chunk * 1000 + 1000; ++k) rows.push_back({k, str(std::to_string(k))});
    written += writer->write(make_batch(key_schema_, rows));
  }
  written += writer->flush();
  writer.reset();
  EXPECT_EQ(written, 3000);
  EXPECT_EQ(target_->count(table, Scope::where(target_->quote("extra") + " IS NULL")), 3000);
}

TEST_P(TargetContract, HasUniqueKeyMatchesExactlyTheColumnsInAnyOrder) {
  std::string table = table_name();
  Schema schema({field("a", Type::kInt64), field("b", Type::kString), field("c", Type::kInt64)});
  target_->create_table(table, schema, CreateOptions{{"a", "b"}, true});
  EXPECT_TRUE(target_->has_unique_key(table, {"a", "b"}));
  EXPECT_TRUE(target_->has_unique_key(table, {"b", "a"}));
  EXPECT_FALSE(target_->has_unique_key(table, {"a"}));
  EXPECT_FALSE(target_->has_unique_key(table, {"a", "b", "c"}));
  EXPECT_FALSE(target_->has_unique_key(table, {"c"}));
  target_->execute(fmt::format("CREATE INDEX {} ON {} ({})", target_->quote(table + "_plain"), target_->quote(table),
                               target_->quote("c")));
  EXPECT_FALSE(target_->has_unique_key(table, {"c"}));
  target_->execute(fmt::format("CREATE UNIQUE INDEX {} ON {} ({}, {})", target_->quote(table + "_uq"),
                               target_->quote(table), target_->quote("c"), target_->quote("a")));
  EXPECT_TRUE(target_->has_unique_key(table, {"a", "c"}));
}

TEST_P(TargetContract, AddColumnAndDropTable) {
  std::string table = keyed_table();
  target_->add_column(table, field("more", Type::kDate));
  auto got = target_->table_schema(table);
  ASSERT_TRUE(got.has_value());
  auto idx = got->index_of("more");
  ASSERT_TRUE(idx.has_value());
  EXPECT_EQ(got->field(*idx).type, Type::kDate);
  target_->drop_table(table);
  EXPECT_FALSE(target_->table_schema(table).has_value());
  target_->drop_table(table);  // IF EXISTS
}

TEST_P(TargetContract, ReplaceTableSwapsAndDropsTheOldOne) {
  std::string table = keyed_table();
  std::string replacement = keyed_table();
  write(table, {{int64_t{1}, str("old")}, {int64_t{2}, str("old")}}, {.lineage = "b"});
  write(replacement, {{int64_t{7}, str("new")}}, {.lineage = "b"});
  target_->replace_table(table, replacement);
  EXPECT_FALSE(target_->table_schema(replacement).has_value());
  auto rows = scan_all(*target_, table, key_schema_, Scope::all()).rows;
  EXPECT_EQ(rows, (std::vector<Row>{{int64_t{7}, str("new")}}));
  EXPECT_TRUE(target_->has_unique_key(table, {"k"}));
  // The replaced table still takes lineage writes and a fresh table of the old name can be made.
  write(table, {{int64_t{8}, str("more")}}, {.lineage = "b2"});
  EXPECT_EQ(target_->count(table, Scope::lineage("b2")), 1);
  target_->create_table(replacement, key_schema_, CreateOptions{{"k"}, true});
  EXPECT_TRUE(target_->table_schema(replacement).has_value());
}

TEST_P(TargetContract, InsertMissingAddsOnlyKeysNotInScopeWithNullSafeKeys) {
  std::string table = table_name();
  Schema schema({field("a", Type::kInt64), field("b", Type::kString), field("v", Type::kString)});
  target_->create_table(table, schema, CreateOptions{{}, true});
  write(table, {{int64_t{1}, str("x"), str("in scope")}, {int64_t{2}, kNull, str("in scope, null b")}},
        {.lineage = "b1"}, &schema);
  write(table, {{int64_t{3}, str("x"), str("other batch")}}, {.lineage = "b2"}, &schema);

  std::string temp = target_->create_temp_table(schema);
  EXPECT_FALSE(temp.empty());
  EXPECT_NE(temp, target_->create_temp_table(schema));  // a fresh name each time
  write(temp, {{int64_t{1}, str("x"), str("dup")},
               {int64_t{2}, kNull, str("dup null")},
               {int64_t{3}, str("x"), str("new here")},
               {int64_t{4}, kNull, str("new null")},
               {int64_t{1}, str("X"), str("new case")}},
        {}, &schema);
  std::vector<std::string> key = {"a", "b"};
  EXPECT_EQ(target_->insert_missing(table, temp, schema, key, Scope::lineage("b1"), std::string("b1")), 3);
  EXPECT_EQ(target_->count(table, Scope::lineage("b1")), 5);
  EXPECT_EQ(target_->count(table, Scope::lineage("b2")), 1);
  // Again: everything is there now.
  EXPECT_EQ(target_->insert_missing(table, temp, schema, key, Scope::lineage("b1"), std::string("b1")), 0);
  auto rows = scan_all(*target_, table, schema, Scope::lineage("b1")).rows;
  EXPECT_EQ(rows, (std::vector<Row>{{int64_t{1}, str("X"), str("new case")},
                                    {int64_t{1}, str("x"), str("in scope")},
                                    {int64_t{2}, kNull, str("in scope, null b")},
                                    {int64_t{3}, str("x"), str("new here")},
                                    {int64_t{4}, kNull, str("new null")}}));
  // Scope all: key 3 of b2 now counts as present.
  std::string temp2 = target_->create_temp_table(schema);
  write(temp2, {{int64_t{3}, str("x"), str("z")}, {int64_t{5}, str("y"), str("z")}}, {}, &schema);
  EXPECT_EQ(target_->insert_missing(table, temp2, schema, key, Scope::all(), std::nullopt), 1);
  // The temporary table belongs to this session.
  auto other = target_->reconnect();
  EXPECT_FALSE(other->table_schema(temp).has_value());
}

TEST_P(TargetContract, LockIsExclusiveNamedAndIndependentOfTransactions) {
  auto other = target_->reconnect();
  std::string name = fmt::format("contract-lock-{}", ::getpid());
  auto held = target_->lock(name, std::chrono::milliseconds(1000));
  target_->begin();
  target_->rollback();  // a transaction ending does not release it
  Error error = error_of([&] { other->lock(name, std::chrono::milliseconds(300)); });
  EXPECT_EQ(error.kind(), ErrorKind::kTargetConflict);
  EXPECT_NE(std::string(error.what()).find(name), std::string::npos) << error.what();
  auto unrelated = other->lock(name + "-other", std::chrono::milliseconds(1000));
  held.reset();
  auto taken = other->lock(name, std::chrono::milliseconds(5000));
  EXPECT_NE(taken, nullptr);
}

TEST_P(TargetContract, LockIsReleasedWhenItsProcessDies) {
  std::string name = fmt::format("contract-dying-lock-{}", ::getpid());
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child takes the lock on connections of its own, says so, and waits to be killed.
    ::close(ready[0]);
    try {
      auto target = open_target(url_);
      auto held = target->lock(name, std::chrono::milliseconds(5000));
      char byte = 'L';
      if (::write(ready[1], &byte, 1) != 1) ::_exit(2);
      for (;;) ::pause();
    } catch (...) {
      ::_exit(1);
    }
  }
  ::close(ready[1]);
  char byte = 0;
  ssize_t got = ::read(ready[0], &byte, 1);
  ::close(ready[0]);
  ASSERT_EQ(got, 1) << "the child could not take the lock";
  EXPECT_EQ(error_of([&] { target_->lock(name, std::chrono::milliseconds(100)); }).kind(),
            ErrorKind::kTargetConflict);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  // The server (or the kernel, for SQLite's file lock) lets go once the process is gone.
  auto taken = target_->lock(name, std::chrono::milliseconds(20000));
  EXPECT_NE(taken, nullptr);
}

TEST_P(TargetContract, TableSchemaMapsUnknownTypesToString) {
  std::string table = table_name();
  std::string unknown = target_->dialect() == DialectKind::kPostgres ? "uuid"
                        : target_->dialect() == DialectKind::kMysql  ? "SET('x','y')"
                                                                     : "SOMETHING_ODD";
  target_->execute(fmt::format("CREATE TABLE {} ({} {}, {} BIGINT)", target_->quote(table), target_->quote("odd"),
                               unknown, target_->quote("n")));
  auto got = target_->table_schema(table);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ(got->field(0).type, Type::kString);
  EXPECT_EQ(got->field(1).type, Type::kInt64);
}

TEST_P(TargetContract, ReconnectAndDisplayUrl) {
  EXPECT_EQ(target_->display_url(), redact_url(url_));
  std::string table = keyed_table();
  write(table, {{int64_t{1}, str("a")}}, {.lineage = "b"});
  auto other = target_->reconnect();
  EXPECT_EQ(other->dialect(), target_->dialect());
  EXPECT_EQ(other->display_url(), target_->display_url());
  EXPECT_EQ(other->count(table, Scope::all()), 1);
}

TEST_P(TargetContract, UnreachableTargetIsUnavailableAndHidesThePassword) {
  std::string url;
  if (GetParam() == "sqlite") {
    url = "sqlite:" + dir_.file("no/such/dir/x.db");
  } else {
    std::string scheme = GetParam() == "postgres" ? "postgresql" : "mysql";
    url = scheme + "://someone:Sup3rSecretPw@127.0.0.1:1/nothing";
  }
  Error error = error_of([&] { open_target(url); });
  EXPECT_EQ(error.kind(), ErrorKind::kTargetUnavailable) << error.what();
  EXPECT_EQ(std::string(error.what()).find("Sup3rSecretPw"), std::string::npos) << error.what();
  EXPECT_EQ(error.context().target, redact_url(url));
}

TEST_P(TargetContract, SqlErrorsCarryTheServersMessageAndRollbackNeverThrows) {
  Error syntax = error_of([&] { target_->execute("SELEC nonsense FROM"); });
  EXPECT_TRUE(syntax.kind() == ErrorKind::kInvalidInput || syntax.kind() == ErrorKind::kTargetConflict)
      << syntax.what();
  EXPECT_FALSE(syntax.message().empty());
  EXPECT_FALSE(syntax.context().target.empty());
  target_->begin();
  EXPECT_THROW(target_->execute("SELEC nonsense FROM"), Error);
  target_->rollback();
  target_->rollback();
  std::string table = keyed_table();
  EXPECT_EQ(target_->count(table, Scope::all()), 0);  // the connection still works
  Error missing = error_of([&] { target_->count(table + "_absent", Scope::all()); });
  EXPECT_NE(missing.kind(), ErrorKind::kTargetUnavailable);
}

INSTANTIATE_TEST_SUITE_P(Targets, TargetContract, ::testing::Values("sqlite", "postgres", "mysql"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) { return param_info.param; });

}  // namespace
}  // namespace idemload::targets
