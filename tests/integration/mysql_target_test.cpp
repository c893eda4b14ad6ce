// MySQL/MariaDB-specific behaviour of the target, against a real server (IDEMLOAD_TEST_MYSQL_URL):
// the exact collation and key types it creates, LOAD DATA's silent skips and warnings turned
// into errors, upsert counting, long values read in pieces, tables made by others, a
// connection killed from another session, GET_LOCK with long names, passwords kept out of
// every message, and a large batch counted in two pieces (alone and at the end of a job).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/failpoint.h"
#include "strategies/pipeline.h"
#include "targets/target.h"
#include "targets/url.h"
#include "halved_scan_checks.h"
#include "test_util.h"

namespace idemload::targets {
namespace {

Field field(std::string name, Type type) { return Field{std::move(name), type}; }

using idemload::testing::error_of;

class MysqlTarget : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = idemload::testing::require_url("IDEMLOAD_TEST_MYSQL_URL");
    target_ = open_target(url_);
  }
  void TearDown() override {
    if (!target_) return;
    target_->rollback();
    auto cleaner = target_->reconnect();  // target_ may be a killed connection
    for (const auto& table : tables_) {
      try {
        cleaner->drop_table(table);
      } catch (const Error&) {
      }
    }
  }

  std::string table_name() {
    static std::atomic<int> counter{0};
    std::string name = fmt::format("my_{}_{}", ::getpid(), counter++);
    tables_.push_back(name);
    return name;
  }

  std::string one(const std::string& sql, const Params& params = {}) {
    auto rows = target_->query(sql, params);
    EXPECT_EQ(rows.size(), 1u) << sql;
    if (rows.empty() || rows[0].empty()) return "";
    return rows[0][0].value_or("NULL");
  }

  // A batch of (k int64, s string) rows.
  Batch key_batch(const std::vector<std::pair<int64_t, std::string>>& rows) {
    Batch batch(std::make_shared<const Schema>(key_schema_));
    for (const auto& [k, s] : rows) {
      batch.column(0).append_int(k);
      batch.column(1).append_bytes(s);
    }
    return batch;
  }

  int64_t write(const std::string& table, const Batch& batch, const WriteOptions& options) {
    auto writer = target_->writer(table, batch.schema(), options);
    int64_t written = writer->write(batch);
    return written + writer->flush();
  }

  std::string url_;
  std::unique_ptr<Target> target_;
  std::vector<std::string> tables_;
  Schema key_schema_{{field("k", Type::kInt64), field("s", Type::kString)}};
};

TEST_F(MysqlTarget, CreatesInnodbTablesWithAnExactCollationAndIndexableKeys) {
  std::string table = table_name();
  Schema schema({field("ip", Type::kString), field("day", Type::kDate), field("note", Type::kString),
                 field("raw", Type::kBinary)});
  target_->create_table(table, schema, CreateOptions{{"ip", "day"}, true});
  auto rows = target_->query(
      "SELECT COLUMN_NAME, COLUMN_TYPE, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
      "AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
      {table});
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0][1], "varchar(255)");  // a string key must be indexable
  EXPECT_EQ(rows[0][2], "utf8mb4_nopad_bin");
  EXPECT_EQ(rows[1][1], "date");
  EXPECT_EQ(rows[2][1], "longtext");
  EXPECT_EQ(rows[2][2], "utf8mb4_nopad_bin");
  EXPECT_EQ(rows[3][1], "longblob");
  EXPECT_EQ(rows[4][0], "_batch");
  EXPECT_EQ(one("SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
                {table}),
            "InnoDB");
  // _batch is indexed (scope queries), and the key is the primary key.
  EXPECT_EQ(one("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
                "AND TABLE_NAME = ? AND COLUMN_NAME = '_batch'",
                {table}),
            "1");
  EXPECT_TRUE(target_->has_unique_key(table, {"day", "ip"}));
}

TEST_F(MysqlTarget, TrailingSpacesAndCaseMakeDifferentKeysInsideTheDatabaseToo) {
  std::string table = table_name();
  Schema schema({field("s", Type::kString)});
  target_->create_table(table, schema, CreateOptions{{"s"}, false});
  for (std::string_view value : {"x", "x ", "X"}) {
    target_->execute(fmt::format("INSERT INTO {} VALUES (?)", target_->quote(table)), {std::string(value)});
  }
  EXPECT_EQ(one(fmt::format("SELECT COUNT(*) FROM {} WHERE {} = ?", target_->quote(table), target_->quote("s")),
                {std::string("x")}),
            "1");
  EXPECT_EQ(one(fmt::format("SELECT COUNT(DISTINCT {}) FROM {}", target_->quote("s"), target_->quote(table))), "3");
}

TEST_F(MysqlTarget, ABatchsRowsAreCountedAndScannedThroughTheBatchIndex) {
  // After a large load InnoDB's optimizer may read a batch that is most of the table by a full
  // scan of the clustered index; count and scan name the _batch index instead, which holds the
  // key columns too. Handler_read_next counts rows read along an index, a full scan none.
  std::string table = table_name();
  target_->create_table(table, key_schema_, CreateOptions{{"k"}, true});
  std::vector<std::pair<int64_t, std::string>> rows;
  for (int64_t k = 0; k < 3000; ++k) rows.emplace_back(k, "v");
  write(table, key_batch(rows), {.lineage = "b1"});
  write(table, key_batch({{5000, "other"}}), {.lineage = "b2"});
  auto read_next = [&] {
    auto status = target_->query("SHOW SESSION STATUS LIKE 'Handler_read_next'");
    return std::stoll(status.at(0).at(1).value_or("0"));
  };
  Schema keys({field("k", Type::kInt64)});
  auto scanned = [&](const std::string& on) {
    int64_t count = 0;
    target_->scan(on, keys, Scope::lineage("b1"), 1000, [&](const Batch& batch) {
      count += static_cast<int64_t>(batch.num_rows());
    });
    return count;
  };
  int64_t before = read_next();
  EXPECT_EQ(target_->count(table, Scope::lineage("b1")), 3000);
  EXPECT_GE(read_next() - before, 3000);
  before = read_next();
  EXPECT_EQ(scanned(table), 3000);
  EXPECT_GE(read_next() - before, 3000);

  // Without the index (dropped by someone), or with one that lacks a scanned column (no primary
  // key: InnoDB's secondary index then holds a hidden row id), they read the table as before.
  target_->execute(fmt::format("ALTER TABLE {} DROP INDEX {}", target_->quote(table), target_->quote("idemload_batch")));
  EXPECT_EQ(target_->count(table, Scope::lineage("b1")), 3000);
  EXPECT_EQ(scanned(table), 3000);
  std::string no_key = table_name();
  target_->create_table(no_key, key_schema_, CreateOptions{{}, true});
  write(no_key, key_batch(rows), {.lineage = "b1"});
  EXPECT_EQ(target_->count(no_key, Scope::lineage("b1")), 3000);
  EXPECT_EQ(scanned(no_key), 3000);
}

// count_with counts a lineage scope in two pieces at once, cut at a value of the primary key's
// first column, and both pieces in one snapshot. The table holds k = 0 … 19 999, hundreds of k
// alternating between batches a and b, without every seventh. While it counts, another
// connection moves rows of batch a below the cut to above it (k becomes k + 1 000 000), a row
// per transaction, and the failpoint pauses between the pieces' snapshots: pieces counted in
// two snapshots would count the rows moved in the pause twice.
TEST_F(MysqlTarget, ALargeScopeIsCountedInTwoPiecesInOneSnapshot) {
  std::string table = table_name();
  const Schema schema({field("k", Type::kInt64), field("payload", Type::kString)});
  target_->create_table(table, schema, CreateOptions{{"k"}, true});
  int64_t written = 0;
  for (const char* batch_name : {"a", "b"}) {
    Batch rows(std::make_shared<const Schema>(schema));
    for (int64_t k = 0; k < 20000; ++k) {
      if (k % 7 == 0 || ((k / 100) % 2 == 0) != (batch_name == std::string("a"))) continue;
      rows.column(0).append_int(k);
      rows.column(1).append_bytes("p");
    }
    written += write(table, rows, {.lineage = batch_name});
  }
  const auto expected = static_cast<int64_t>(idemload::testing::batch_a_keys(20000).size());
  const Scope scope = Scope::lineage("a");
  for (int64_t at : {int64_t{-5}, int64_t{0}, int64_t{10000}, int64_t{19999}, int64_t{50000}}) {
    EXPECT_EQ(target_->count_with(table, scope, CountSplit{"K", at}), expected) << "cut at " << at;
  }
  EXPECT_EQ(target_->count_with(table, scope, CountSplit{"k", std::string("10000")}), expected);

  // The pieces are counted where a split applies, and only there: a failing pause between the
  // snapshots fails the count, and the connection is left out of any transaction.
  failpoints::configure("between_count_snapshots=error@1+");
  EXPECT_THROW(target_->count_with(table, scope, CountSplit{"k", int64_t{10000}}), Error);
  EXPECT_EQ(target_->count_with(table, scope, CountSplit{"k", std::nullopt}), expected) << "no cut";
  EXPECT_EQ(target_->count_with(table, scope, CountSplit{"payload", std::string("p")}), expected)
      << "not the primary key's first column";
  EXPECT_EQ(target_->count_with(table, Scope::all(), CountSplit{"k", int64_t{10000}}), written)
      << "no lineage scope";
  target_->begin();
  EXPECT_EQ(target_->count_with(table, scope, CountSplit{"k", int64_t{10000}}), expected) << "in a transaction";
  target_->rollback();
  failpoints::reset();

  idemload::testing::RowMover mover(*target_, target_->quote(table), 10000);
  mover.wait_for(5);
  failpoints::configure("between_count_snapshots=sleep:200");
  const int64_t counted = target_->count_with(table, scope, CountSplit{"k", int64_t{10000}});
  failpoints::reset();
  const int moved = mover.stop();
  EXPECT_EQ(counted, expected) << moved << " rows moved";
  EXPECT_EQ(target_->count(table, scope), expected);
  EXPECT_EQ(target_->count_with(table, scope, CountSplit{"k", int64_t{10000}}), expected);
}

// The same split, reached through a whole job: a load of at least kCountSplitKeys keys (here
// 1.15 M EDGAR rows) cuts its count at the end in two, and one of fewer keys does not. A failing
// pause between the two snapshots fails the big job after its chunks are committed; its re-run
// inserts nothing and counts the batch exactly, in two pieces again.
TEST_F(MysqlTarget, AJobOfOverAMillionKeysCountsItsBatchInTwoPieces) {
  using idemload::testing::run_idemload;
  idemload::testing::TempDir dir;
  const std::string table = table_name();
  const std::string small = table_name();
  for (auto [name, rows] : {std::pair{"big", "1150000"}, std::pair{"small", "2000"}}) {
    auto gen = run_idemload({"gen", "edgar", "--rows", rows, "--seed", "3", "--out",
                             dir.file(std::string(name) + ".parquet")});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
  }
  auto load = [&](const std::string& file, const std::string& into, const std::string& failpoint) {
    auto result = run_idemload({"load", dir.file(file), "--target", url_, "--table", into, "--key",
                                "ip,date,time", "--batch", "b1", "--primary-key", "--json"},
                               {{"IDEMLOAD_FAILPOINTS", failpoint}});
    return std::pair{
        result, result.out.empty() ? nlohmann::json::object() : nlohmann::json::parse(result.out)};
  };
  auto [small_run, small_doc] = load("small.parquet", small, "between_count_snapshots=error");
  EXPECT_EQ(small_run.exit_code, 0) << small_run.err << small_run.out;

  auto [failed, failed_doc] = load("big.parquet", table, "between_count_snapshots=error");
  EXPECT_EQ(failed.exit_code, 1) << failed.err << failed.out;
  EXPECT_EQ(failed_doc["state"], "failed") << failed.out;
  EXPECT_NE(failed_doc["error"].get<std::string>().find("between_count_snapshots"),
            std::string::npos)
      << failed.out;
  const int64_t distinct = failed_doc["rows_distinct"].get<int64_t>();
  ASSERT_GE(distinct, static_cast<int64_t>(strategies::kCountSplitKeys));
  EXPECT_EQ(failed_doc["rows_inserted"].get<int64_t>(), distinct);
  EXPECT_EQ(target_->count(table, Scope::lineage("b1")), distinct);

  auto [again, again_doc] = load("big.parquet", table, "between_count_snapshots=error");
  EXPECT_EQ(again.exit_code, 1) << "the re-run's count is split too: " << again.out;
  auto [rerun, rerun_doc] = load("big.parquet", table, "");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err << rerun.out;
  EXPECT_EQ(rerun_doc["rows_inserted"].get<int64_t>(), 0);
  EXPECT_EQ(rerun_doc["rows_after"].get<int64_t>(), distinct);
  EXPECT_EQ(one(fmt::format("SELECT COUNT(*) FROM {}", target_->quote(table))),
            std::to_string(distinct));
}

TEST_F(MysqlTarget, PlainInsertRefusesAKeyThatLoadDataLocalWouldSkipSilently) {
  std::string table = table_name();
  target_->create_table(table, key_schema_, CreateOptions{{"k"}, true});
  EXPECT_EQ(write(table, key_batch({{1, "a"}}), {.lineage = "b"}), 1);
  Error error = error_of([&] { write(table, key_batch({{2, "b"}, {1, "again"}, {3, "c"}}), {.lineage = "b"}); });
  EXPECT_EQ(error.kind(), ErrorKind::kTargetConflict) << error.what();
  EXPECT_NE(error.message().find("1 rows have a key"), std::string::npos) << error.what();
  EXPECT_NE(error.message().find("Duplicate"), std::string::npos) << error.what();
}

TEST_F(MysqlTarget, ValuesTheColumnCannotHoldFailTheWriteInEveryMode) {
  std::string table = table_name();
  Schema typed({field("k", Type::kInt64), field("n", Type::kInt64)});
  target_->create_table(table, typed, CreateOptions{{"k"}, false});
  // The source says string; the table says BIGINT: "abc" must not become 0.
  Schema source({field("k", Type::kInt64), field("n", Type::kString)});
  for (WriteMode mode : {WriteMode::kInsert, WriteMode::kInsertIgnore, WriteMode::kUpsert}) {
    Batch batch(std::make_shared<const Schema>(source));
    batch.column(0).append_int(static_cast<int64_t>(mode) + 10);
    batch.column(1).append_bytes("abc");
    Error error = error_of([&] { write(table, batch, {.mode = mode, .key = {"k"}}); });
    EXPECT_TRUE(error.kind() == ErrorKind::kInvalidInput) << error.what();
    EXPECT_EQ(target_->count(table, Scope::where("`n` = 0")), 0) << "mode " << static_cast<int>(mode);
  }
  // A string too long for a VARCHAR key is refused too, not cut to a key that may collide.
  std::string keyed = table_name();
  Schema strings({field("s", Type::kString)});
  target_->create_table(keyed, strings, CreateOptions{{"s"}, false});
  Batch long_key(std::make_shared<const Schema>(strings));
  long_key.column(0).append_bytes(std::string(300, 'k'));
  Error error = error_of([&] { write(keyed, long_key, {.mode = WriteMode::kInsertIgnore, .key = {"s"}}); });
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput) << error.what();
  EXPECT_EQ(target_->count(keyed, Scope::all()), 0);
}

TEST_F(MysqlTarget, UnknownSourceColumnIsSchemaDrift) {
  std::string table = table_name();
  target_->create_table(table, key_schema_, CreateOptions{{"k"}, false});
  Schema source({field("k", Type::kInt64), field("missing", Type::kString)});
  Batch batch(std::make_shared<const Schema>(source));
  batch.column(0).append_int(1);
  batch.column(1).append_bytes("x");
  Error error = error_of([&] { write(table, batch, {}); });
  EXPECT_EQ(error.kind(), ErrorKind::kSchemaDrift) << error.what();
  EXPECT_NE(error.message().find("missing"), std::string::npos) << error.what();
}

TEST_F(MysqlTarget, UpsertCountsEveryRowOnceChangedOrNotAndKeyOnlyUpsertCountsInserts) {
  std::string table = table_name();
  target_->create_table(table, key_schema_, CreateOptions{{"k"}, true});
  WriteOptions upsert{.mode = WriteMode::kUpsert, .key = {"k"}, .lineage = "b"};
  EXPECT_EQ(write(table, key_batch({{1, "a"}, {2, "b"}}), upsert), 2);
  // Row 1 unchanged (MySQL reports 0 affected), row 2 changed (MySQL reports 2), row 3 new.
  EXPECT_EQ(write(table, key_batch({{1, "a"}, {2, "B"}, {3, "c"}}), upsert), 3);
  EXPECT_EQ(one(fmt::format("SELECT {} FROM {} WHERE {} = 2", target_->quote("s"), target_->quote(table),
                            target_->quote("k"))),
            "B");

  // Only key columns: nothing to update, so existing keys are left alone and not counted.
  std::string keys = table_name();
  Schema key_only({field("k", Type::kInt64)});
  target_->create_table(keys, key_only, CreateOptions{{"k"}, false});
  Batch batch(std::make_shared<const Schema>(key_only));
  for (int64_t k : {1, 2}) batch.column(0).append_int(k);
  EXPECT_EQ(write(keys, batch, {.mode = WriteMode::kUpsert, .key = {"k"}}), 2);
  batch.column(0).append_int(3);
  EXPECT_EQ(write(keys, batch, {.mode = WriteMode::kUpsert, .key = {"k"}}), 1);
}

TEST_F(MysqlTarget, LongValuesAreReadWhole) {
  std::string table = table_name();
  Schema schema({field("k", Type::kInt64), field("text", Type::kString), field("blob", Type::kBinary)});
  target_->create_table(table, schema, CreateOptions{{"k"}, false});
  Batch batch(std::make_shared<const Schema>(schema));
  std::vector<size_t> sizes = {10, 100, 70000, 5, 1 << 20};
  for (size_t idx = 0; idx < sizes.size(); ++idx) {
    batch.column(0).append_int(static_cast<int64_t>(idx));
    std::string text(sizes[idx], 'a');
    for (size_t pos = 0; pos < text.size(); pos += 7) text[pos] = static_cast<char>('a' + (pos % 26));
    batch.column(1).append_bytes(text);
    std::string bytes(sizes[idx], '\0');
    for (size_t pos = 0; pos < bytes.size(); ++pos) bytes[pos] = static_cast<char>(pos * 31 % 256);
    batch.column(2).append_bytes(bytes);
  }
  EXPECT_EQ(write(table, batch, {}), 5);
  size_t seen = 0;
  target_->scan(table, schema, Scope::all(), 2, [&](const Batch& got) {
    for (size_t row = 0; row < got.num_rows(); ++row, ++seen) {
      auto k = static_cast<size_t>(got.column(0).int_at(row));
      ASSERT_LT(k, sizes.size());
      EXPECT_EQ(got.column(1).bytes_at(row), batch.column(1).bytes_at(k)) << "k " << k;
      EXPECT_EQ(got.column(2).bytes_at(row), batch.column(2).bytes_at(k)) << "k " << k;
    }
  });
  EXPECT_EQ(seen, sizes.size());
  auto rows = target_->query(fmt::format("SELECT {} FROM {} WHERE {} >= ? ORDER BY {}", target_->quote("text"),
                                         target_->quote(table), target_->quote("k"), target_->quote("k")),
                             {int64_t{2}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0], std::string(batch.column(1).bytes_at(2)));
  EXPECT_EQ(rows[2][0], std::string(batch.column(1).bytes_at(4)));
}

TEST_F(MysqlTarget, TablesMadeByOthersMapToOurTypesAndReadInUtc) {
  std::string table = table_name();
  target_->execute(fmt::format(
      "CREATE TABLE {} (u INT UNSIGNED, big BIGINT UNSIGNED, y YEAR, f FLOAT, b BIT(1), c CHAR(3), e ENUM('x','y'), "
      "j JSON, ts TIMESTAMP(3) NULL, bl BLOB, d DECIMAL(5,2)) ENGINE=InnoDB",
      target_->quote(table)));
  auto schema = target_->table_schema(table);
  ASSERT_TRUE(schema.has_value());
  std::vector<Type> expected = {Type::kInt64,  Type::kInt64,     Type::kInt64,  Type::kDouble,
                                Type::kBool,   Type::kString,    Type::kString, Type::kString,
                                Type::kTimestamp, Type::kBinary, Type::kDecimal};
  ASSERT_EQ(schema->size(), expected.size()) << schema->to_string();
  for (size_t idx = 0; idx < expected.size(); ++idx) {
    EXPECT_EQ(schema->field(idx).type, expected[idx]) << schema->field(idx).name;
  }
  target_->execute(fmt::format("INSERT INTO {} VALUES (4000000000, 18446744073709551615, 2024, 1.5, b'1', 'abc', 'y', "
                               "'{{\"a\": 1}}', '2020-01-02 03:04:05.123', x'00ff', 123.45)",
                               target_->quote(table)));
  Schema wanted({field("u", Type::kInt64), field("y", Type::kInt64), field("f", Type::kDouble),
                 field("e", Type::kString), field("ts", Type::kTimestamp), field("bl", Type::kBinary),
                 field("d", Type::kDecimal), field("big", Type::kString)});
  int rows = 0;
  target_->scan(table, wanted, Scope::all(), 10, [&](const Batch& got) {
    ASSERT_EQ(got.num_rows(), 1u);
    ++rows;
    EXPECT_EQ(got.column(0).int_at(0), 4000000000LL);
    EXPECT_EQ(got.column(1).int_at(0), 2024);
    EXPECT_EQ(got.column(2).double_at(0), 1.5);
    EXPECT_EQ(got.column(3).bytes_at(0), "y");
    // The session is UTC: the TIMESTAMP reads back as written.
    EXPECT_EQ(got.column(4).int_at(0), 1577934245123000LL);
    EXPECT_EQ(got.column(5).bytes_at(0), std::string("\0\xff", 2));
    EXPECT_EQ(got.column(6).bytes_at(0), "123.45");
    EXPECT_EQ(got.column(7).bytes_at(0), "18446744073709551615");
  });
  EXPECT_EQ(rows, 1);
  // An unsigned value past int64 does not silently wrap.
  Error error = error_of([&] {
    target_->scan(table, Schema({field("big", Type::kInt64)}), Scope::all(), 10, [](const Batch&) {});
  });
  EXPECT_EQ(error.kind(), ErrorKind::kSchemaDrift) << error.what();
  EXPECT_EQ(error.context().column, "big");
}

TEST_F(MysqlTarget, AConnectionKilledFromAnotherSessionIsUnavailableAndRollbackStaysQuiet) {
  std::string table = table_name();
  target_->create_table(table, key_schema_, CreateOptions{{"k"}, true});
  std::string id = one("SELECT CONNECTION_ID()");
  auto killer = target_->reconnect();
  target_->begin();
  EXPECT_EQ(write(table, key_batch({{1, "a"}}), {.lineage = "b"}), 1);
  killer->execute("KILL " + id);
  Error error = error_of([&] { write(table, key_batch({{2, "b"}}), {.lineage = "b"}); });
  EXPECT_EQ(error.kind(), ErrorKind::kTargetUnavailable) << error.what();
  EXPECT_EQ(error.context().target, redact_url(url_));
  target_->rollback();  // never throws, even on a dead connection
  Error after = error_of([&] { target_->count(table, Scope::all()); });
  EXPECT_EQ(after.kind(), ErrorKind::kTargetUnavailable) << after.what();
  // The transaction died with the connection: nothing of it is in the table.
  EXPECT_EQ(killer->count(table, Scope::all()), 0);
  // A fresh connection works.
  auto fresh = target_->reconnect();
  EXPECT_EQ(fresh->count(table, Scope::all()), 0);
}

TEST_F(MysqlTarget, AConnectionKilledDuringAScanIsUnavailable) {
  std::string table = table_name();
  target_->create_table(table, key_schema_, CreateOptions{{"k"}, false});
  std::vector<std::pair<int64_t, std::string>> rows;
  for (int64_t k = 0; k < 50000; ++k) rows.emplace_back(k, std::string(100, 'v'));
  write(table, key_batch(rows), {});
  std::string id = one("SELECT CONNECTION_ID()");
  auto killer = target_->reconnect();
  bool killed = false;
  Error error = error_of([&] {
    target_->scan(table, key_schema_, Scope::all(), 100, [&](const Batch&) {
      if (!killed) killer->execute("KILL " + id);
      killed = true;
    });
  });
  EXPECT_TRUE(killed);
  EXPECT_EQ(error.kind(), ErrorKind::kTargetUnavailable) << error.what();
}

TEST_F(MysqlTarget, LongLockNamesAreHashedAndStillExclusive) {
  auto other = target_->reconnect();
  std::string base = fmt::format("idemload:{}:{}:", ::getpid(), std::string(90, 'n'));
  auto held = target_->lock(base + "a", std::chrono::milliseconds(1000));
  // Same first 64 characters, different lock.
  auto unrelated = other->lock(base + "b", std::chrono::milliseconds(1000));
  Error error = error_of([&] { other->lock(base + "a", std::chrono::milliseconds(0)); });
  EXPECT_EQ(error.kind(), ErrorKind::kTargetConflict);
  EXPECT_NE(error.message().find(base + "a"), std::string::npos) << error.what();
  held.reset();
  EXPECT_NE(other->lock(base + "a", std::chrono::milliseconds(2000)), nullptr);
}

TEST_F(MysqlTarget, PasswordsStayOutOfMessagesAndUrls) {
  ParsedUrl parsed = parse_url(url_);
  std::string with_password = fmt::format("mysql://{}:N0tThePassw0rd@{}:{}/{}", parsed.user, parsed.host, parsed.port,
                                          parsed.database);
  Error error = error_of([&] { open_target(with_password); });
  EXPECT_EQ(error.kind(), ErrorKind::kTargetUnavailable) << error.what();
  EXPECT_EQ(std::string(error.what()).find("N0tThePassw0rd"), std::string::npos) << error.what();
  EXPECT_NE(std::string(error.what()).find("***"), std::string::npos) << error.what();

  Error no_database = error_of([&] {
    open_target(fmt::format("mariadb://{}:Secr3tPw@{}:{}", parsed.user, parsed.host, parsed.port));
  });
  EXPECT_EQ(std::string(no_database.what()).find("Secr3tPw"), std::string::npos) << no_database.what();
}

TEST_F(MysqlTarget, ReplaceTableOntoAMissingNameRenamesAndLeavesNoOrphans) {
  std::string table = table_name();
  std::string replacement = table_name();
  target_->create_table(replacement, key_schema_, CreateOptions{{"k"}, true});
  write(replacement, key_batch({{1, "a"}}), {.lineage = "b"});
  target_->replace_table(table, replacement);
  EXPECT_EQ(target_->count(table, Scope::lineage("b")), 1);
  EXPECT_FALSE(target_->table_schema(replacement).has_value());
  std::string again = table_name();
  target_->create_table(again, key_schema_, CreateOptions{{"k"}, true});
  target_->replace_table(table, again);
  EXPECT_EQ(target_->count(table, Scope::all()), 0);
  EXPECT_EQ(one(fmt::format("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                            "AND TABLE_NAME LIKE 'idemload\\_old\\_{}\\_%'",
                            ::getpid())),
            "0");
}

// A server that refuses LOAD DATA LOCAL (MySQL 8's default), here asked for by the URL: the
// writer falls back to multi-row prepared INSERTs with the same results, counts and errors.
TEST_F(MysqlTarget, WithoutLocalInfileMultiRowInsertsBehaveTheSame) {
  std::string url = url_ + (url_.find('?') == std::string::npos ? "?" : "&") + "local-infile=0";
  target_ = open_target(url);
  std::string table = table_name();
  target_->create_table(table, key_schema_, CreateOptions{{"k"}, true});
  std::vector<std::pair<int64_t, std::string>> rows;
  for (int64_t k = 0; k < 1234; ++k) rows.emplace_back(k, fmt::format("v\t{}\n'", k));
  EXPECT_EQ(write(table, key_batch(rows), {.lineage = "b1"}), 1234);
  EXPECT_EQ(target_->count(table, Scope::lineage("b1")), 1234);
  EXPECT_EQ(one(fmt::format("SELECT {} FROM {} WHERE {} = 7", target_->quote("s"), target_->quote(table),
                            target_->quote("k"))),
            "v\t7\n'");

  Error duplicate = error_of([&] { write(table, key_batch({{5000, "new"}, {1, "dup"}}), {.lineage = "b1"}); });
  EXPECT_EQ(duplicate.kind(), ErrorKind::kTargetConflict) << duplicate.what();
  EXPECT_EQ(target_->count(table, Scope::all()), 1234);  // the batch was taken back whole

  WriteOptions ignore{.mode = WriteMode::kInsertIgnore, .key = {"k"}, .lineage = "b2"};
  EXPECT_EQ(write(table, key_batch({{1, "dup"}, {5000, "new"}}), ignore), 1);
  WriteOptions upsert{.mode = WriteMode::kUpsert, .key = {"k"}, .lineage = "b3"};
  EXPECT_EQ(write(table, key_batch({{1, "changed"}, {2, "v2"}, {6000, "new"}}), upsert), 3);
  EXPECT_EQ(target_->count(table, Scope::lineage("b3")), 3);
  EXPECT_EQ(target_->count(table, Scope::all()), 1236);

  std::string typed = table_name();
  target_->create_table(typed, Schema({field("k", Type::kInt64), field("s", Type::kInt64)}), CreateOptions{{"k"}, false});
  Error bad = error_of([&] { write(typed, key_batch({{1, "12"}, {2, "abc"}}), {.mode = WriteMode::kInsertIgnore, .key = {"k"}}); });
  EXPECT_EQ(bad.kind(), ErrorKind::kInvalidInput) << bad.what();
  EXPECT_EQ(target_->count(typed, Scope::all()), 0);
}

// 100k rows through the bulk path, in batches as a source delivers them (the count is the
// assertion; the time is printed for the record, never asserted).
TEST_F(MysqlTarget, HundredThousandRowsLoadInBatches) {
  std::string table = table_name();
  Schema schema({field("ip", Type::kString), field("at", Type::kTimestamp), field("size", Type::kDouble),
                 field("code", Type::kInt64)});
  target_->create_table(table, schema, CreateOptions{{"ip", "at"}, true});
  auto writer = target_->writer(table, schema, {.lineage = "b"});
  auto start = std::chrono::steady_clock::now();
  int64_t written = 0;
  const int64_t total = 100000;
  for (int64_t first = 0; first < total; first += 8192) {
    Batch batch(std::make_shared<const Schema>(schema));
    for (int64_t row = first; row < std::min(first + 8192, total); ++row) {
      batch.column(0).append_bytes(fmt::format("10.0.{}.{}", row / 256 % 256, row % 256));
      batch.column(1).append_int(1490745600000000LL + row * 1000003);
      batch.column(2).append_double(static_cast<double>(row) * 1.25);
      batch.column(3).append_int(200 + row % 3);
    }
    written += writer->write(batch);
  }
  written += writer->flush();
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ info ] 100000 rows via LOAD DATA LOCAL: %.3f s\n", elapsed);
  EXPECT_EQ(written, total);
  EXPECT_EQ(target_->count(table, Scope::lineage("b")), total);
}

}  // namespace
}  // namespace idemload::targets
