// PostgreSQL-specific behaviour of the target, against a real server (IDEMLOAD_TEST_PG_URL):
// the COPY paths (binary encodings per column type, the text fallback, errors that point at the
// source row), libpq environment variables, a backend terminated from another connection,
// advisory locks from two connections, and passwords kept out of every message.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "integration/halved_scan_checks.h"
#include "targets/target.h"
#include "targets/url.h"
#include "test_util.h"

namespace idemload::targets {
namespace {

Field field(std::string name, Type type) { return Field{std::move(name), type}; }

using idemload::testing::error_of;

class PostgresTarget : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = idemload::testing::require_url("IDEMLOAD_TEST_PG_URL");
    target_ = open_target(url_);
  }
  void TearDown() override {
    if (!target_) return;
    target_->rollback();
    for (const auto& table : tables_) {
      try {
        target_->drop_table(table);
      } catch (const Error&) {
      }
    }
  }

  std::string table_name() {
    static std::atomic<int> counter{0};
    std::string name = fmt::format("pg_{}_{}", ::getpid(), counter++);
    tables_.push_back(name);
    return name;
  }

  std::string one(const std::string& sql, const Params& params = {}) {
    auto rows = target_->query(sql, params);
    EXPECT_EQ(rows.size(), 1u) << sql;
    return rows.empty() ? "" : rows[0].at(0).value_or("NULL");
  }

  std::string url_;
  std::unique_ptr<Target> target_;
  std::vector<std::string> tables_;
};

TEST_F(PostgresTarget, DecimalsTravelExactlyAsBinaryNumeric) {
  std::string table = table_name();
  Schema schema({field("k", Type::kInt64), Field{"fixed", Type::kDecimal, true, 30, 4}, field("free", Type::kDecimal)});
  target_->create_table(table, schema, CreateOptions{{"k"}, false});
  const std::vector<std::string> values = {"0",      "0.0001", "-0.5",       "12345678.9", "100000000",
                                           "-10000", "1.2300", "-987654.3210", "99999999999999999999999999.9999"};
  Batch batch(std::make_shared<const Schema>(schema));
  for (size_t idx = 0; idx < values.size(); ++idx) {
    batch.column(0).append_int(static_cast<int64_t>(idx));
    batch.column(1).append_bytes(values[idx]);
    batch.column(2).append_bytes(values[idx]);
  }
  auto writer = target_->writer(table, schema, {});
  EXPECT_EQ(writer->write(batch), static_cast<int64_t>(values.size()));
  // The server's own text of each value: the constrained column shows its scale.
  for (size_t idx = 0; idx < values.size(); ++idx) {
    auto rows = target_->query(fmt::format("SELECT fixed::text, free::text, fixed = ?::numeric, free = ?::numeric FROM {} WHERE k = ?",
                                           target_->quote(table)),
                               {values[idx], values[idx], static_cast<int64_t>(idx)});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][1], values[idx]) << "unconstrained numeric keeps the text exactly";
    EXPECT_EQ(rows[0][2], "t") << values[idx] << " became " << rows[0][0].value_or("NULL");
    EXPECT_EQ(rows[0][3], "t") << values[idx];
  }
  EXPECT_EQ(one(fmt::format("SELECT fixed::text FROM {} WHERE k = 2", target_->quote(table))), "-0.5000");
}

TEST_F(PostgresTarget, CreateTableIndexesTheLineageColumnOnce) {
  std::string table = table_name();
  Schema schema({field("k", Type::kInt64)});
  target_->create_table(table, schema, CreateOptions{{"k"}, true});
  target_->create_table(table, schema, CreateOptions{{"k"}, true});
  std::string sql = "SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
                    "a.attnum = i.indkey[0] WHERE i.indrelid = to_regclass(?) AND a.attname = '_batch'";
  EXPECT_EQ(one(sql, {target_->quote(table)}), "1");
  // A BRIN index: a B-tree entry per row cost seconds on a load of millions of rows.
  EXPECT_EQ(one("SELECT am.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON "
                "am.oid = c.relam WHERE i.indrelid = to_regclass(?) AND i.indkey[0] = (SELECT attnum FROM "
                "pg_attribute WHERE attrelid = i.indrelid AND attname = '_batch')",
                {target_->quote(table)}),
            "brin");
  // The replacement keeps its index under the table's new name.
  std::string replacement = table_name();
  target_->create_table(replacement, schema, CreateOptions{{"k"}, true});
  target_->replace_table(table, replacement);
  EXPECT_EQ(one(sql, {target_->quote(table)}), "1");
}

TEST_F(PostgresTarget, NarrowerColumnTypesTakeBinaryValuesAndRejectOutOfRange) {
  std::string table = table_name();
  target_->execute(fmt::format("CREATE TABLE {} (k int4 PRIMARY KEY, small int2, r real, name varchar(10), "
                               "at timestamptz, label char(3))",
                               target_->quote(table)));
  Schema schema({field("k", Type::kInt64), field("small", Type::kInt64), field("r", Type::kDouble),
                 field("name", Type::kString), field("at", Type::kTimestamp), field("label", Type::kString)});
  Batch batch(std::make_shared<const Schema>(schema));
  batch.column(0).append_int(1);
  batch.column(1).append_int(-32768);
  batch.column(2).append_double(0.5);
  batch.column(3).append_bytes("ten chars!");
  batch.column(4).append_int(86400LL * 1000000LL + 1);  // 1970-01-02 00:00:00.000001 UTC
  batch.column(5).append_bytes("ab");
  auto writer = target_->writer(table, schema, {});
  EXPECT_EQ(writer->write(batch), 1);
  auto rows = target_->query(fmt::format("SELECT k, small, r, name, at::text, label FROM {}", target_->quote(table)));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (ResultRow{"1", "-32768", "0.5", "ten chars!", "1970-01-02 00:00:00.000001+00", "ab "}));

  // The scan reads them back as our types.
  std::vector<int64_t> ats;
  target_->scan(table, Schema({field("small", Type::kInt64), field("at", Type::kTimestamp), field("r", Type::kDouble)}),
                Scope::all(), 100, [&](const Batch& got) {
                  EXPECT_EQ(got.column(0).int_at(0), -32768);
                  EXPECT_EQ(got.column(2).double_at(0), 0.5);
                  ats.push_back(got.column(1).int_at(0));
                });
  EXPECT_EQ(ats, (std::vector<int64_t>{86400LL * 1000000LL + 1}));

  Batch bad(std::make_shared<const Schema>(schema));
  for (int64_t k = 2; k <= 4; ++k) {
    bad.column(0).append_int(k);
    bad.column(1).append_int(k == 4 ? 40000 : 0);  // 40000 does not fit int2
    for (size_t col = 2; col < schema.size(); ++col) bad.column(col).append_null();
  }
  bad.source_file = "input.csv";
  bad.source_rows = {10, 11, 12};
  Error error = error_of([&] { writer->write(bad); });
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput) << error.what();
  EXPECT_EQ(error.context().file, "input.csv");
  EXPECT_EQ(error.context().row, 12);
  EXPECT_EQ(error.context().column, "small");
  EXPECT_EQ(one(fmt::format("SELECT count(*) FROM {}", target_->quote(table))), "1");
}

TEST_F(PostgresTarget, TextCopyCarriesEveryCharacterAndErrorsNameTheSourceRow) {
  std::string table = table_name();
  // A string into an integer column has no binary encoding: the whole COPY goes as text.
  target_->execute(fmt::format("CREATE TABLE {} (n integer, s text, b bytea, d double precision, f boolean, "
                               "\"_batch\" text)",
                               target_->quote(table)));
  Schema schema({field("n", Type::kString), field("s", Type::kString), field("b", Type::kBinary),
                 field("d", Type::kDouble), field("f", Type::kBool)});
  const std::string tricky = "tab\there\nnew line\\back\rslash \\N \xE2\x82\xAC";
  Batch batch(std::make_shared<const Schema>(schema));
  batch.column(0).append_bytes("42");
  batch.column(1).append_bytes(tricky);
  batch.column(2).append_bytes(std::string("\0\\\xFF\n", 4));
  batch.column(3).append_double(-0.125);
  batch.column(4).append_int(1);
  batch.column(0).append_bytes("7");
  batch.column(1).append_bytes("");
  batch.column(2).append_null();
  batch.column(3).append_double(1e300);
  batch.column(4).append_null();
  auto writer = target_->writer(table, schema, {.lineage = "batch\twith tab"});
  EXPECT_EQ(writer->write(batch), 2);
  auto rows = target_->query(fmt::format("SELECT n, s, encode(b, 'hex'), d, f, \"_batch\" FROM {} ORDER BY n DESC",
                                         target_->quote(table)));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (ResultRow{"42", tricky, "005cff0a", "-0.125", "t", "batch\twith tab"}));
  EXPECT_EQ(rows[1], (ResultRow{"7", "", std::nullopt, "1e+300", std::nullopt, "batch\twith tab"}));

  Batch bad(std::make_shared<const Schema>(schema));
  for (const char* n : {"1", "2", "three", "4"}) {
    bad.column(0).append_bytes(n);
    for (size_t col = 1; col < schema.size(); ++col) bad.column(col).append_null();
  }
  bad.source_file = "logs.csv";
  bad.source_rows = {5, 6, 7, 8};
  Error error = error_of([&] { writer->write(bad); });
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput) << error.what();
  EXPECT_EQ(error.context().file, "logs.csv");
  EXPECT_EQ(error.context().row, 7);
  EXPECT_EQ(error.context().column, "n");
  EXPECT_NE(error.message().find("three"), std::string::npos) << error.message();
}

TEST_F(PostgresTarget, UpsertKeepsTheFirstRowOfAKeySentTwiceInOneBatch) {
  std::string table = table_name();
  Schema schema({field("k", Type::kInt64), field("v", Type::kString)});
  target_->create_table(table, schema, CreateOptions{{"k"}, true});
  Batch batch(std::make_shared<const Schema>(schema));
  for (auto [k, v] : std::vector<std::pair<int64_t, const char*>>{{1, "first"}, {2, "only"}, {1, "second"}}) {
    batch.column(0).append_int(k);
    batch.column(1).append_bytes(v);
  }
  auto writer = target_->writer(table, schema, {.mode = WriteMode::kUpsert, .key = {"k"}, .lineage = "b"});
  EXPECT_EQ(writer->write(batch), 2);
  EXPECT_EQ(one(fmt::format("SELECT v FROM {} WHERE k = 1", target_->quote(table))), "first");
  // The writer's temporary table does not outlive it.
  writer.reset();
  EXPECT_EQ(one("SELECT count(*) FROM pg_class WHERE relpersistence = 't' AND relname LIKE 'idemload_write_%'"), "0");
}

TEST_F(PostgresTarget, LargeBatchesGoInSeveralCopyChunksAndScanBack) {
  std::string table = table_name();
  Schema schema({field("k", Type::kInt64), field("payload", Type::kString), field("day", Type::kDate)});
  target_->create_table(table, schema, CreateOptions{{"k"}, true});
  const int64_t kRows = 60000;  // each batch is several MB of COPY data
  auto make = [&](int64_t first, int64_t count) {
    Batch batch(std::make_shared<const Schema>(schema));
    for (int64_t k = first; k < first + count; ++k) {
      batch.column(0).append_int(k);
      batch.column(1).append_bytes(std::string(100, static_cast<char>('a' + k % 26)));
      batch.column(2).append_int(k % 20000);
    }
    return batch;
  };
  auto insert = target_->writer(table, schema, {.lineage = "big"});
  EXPECT_EQ(insert->write(make(0, kRows)), kRows);
  // Half of these keys exist: only the other half goes in.
  auto ignore = target_->writer(table, schema, {.mode = WriteMode::kInsertIgnore, .key = {"k"}, .lineage = "big"});
  EXPECT_EQ(ignore->write(make(kRows / 2, kRows)), kRows / 2);
  int64_t rows = 0, key_sum = 0, day_sum = 0;
  target_->scan(table, schema, Scope::lineage("big"), 8192, [&](const Batch& batch) {
    for (size_t row = 0; row < batch.num_rows(); ++row) {
      ++rows;
      key_sum += batch.column(0).int_at(row);
      day_sum += batch.column(2).int_at(row);
      ASSERT_EQ(batch.column(1).bytes_at(row)[0], static_cast<char>('a' + batch.column(0).int_at(row) % 26));
    }
  });
  const int64_t total = kRows * 3 / 2;
  EXPECT_EQ(rows, total);
  EXPECT_EQ(key_sum, total * (total - 1) / 2);
  int64_t expected_days = 0;
  for (int64_t k = 0; k < total; ++k) expected_days += k % 20000;
  EXPECT_EQ(day_sum, expected_days);
}

// The lineage index is BRIN, which is lossy: it names page ranges, and the server must recheck
// each row. Batches here share page ranges (their rows alternate), ranges are summarized and
// then more rows arrive unsummarized; counts, scans and deletes of a batch must stay exact when
// the planner is made to go through the index.
TEST_F(PostgresTarget, BatchesThatShareIndexRangesAreCountedScannedAndDeletedExactly) {
  std::string table = table_name();
  Schema schema({field("k", Type::kInt64), field("payload", Type::kString)});
  target_->create_table(table, schema, CreateOptions{{"k"}, true});
  auto write = [&](int64_t first, int64_t count, const std::string& batch_name) {
    Batch batch(std::make_shared<const Schema>(schema));
    for (int64_t k = first; k < first + count; ++k) {
      batch.column(0).append_int(k);
      batch.column(1).append_bytes(std::string(200, 'p'));
    }
    auto writer = target_->writer(table, schema, {.lineage = batch_name});
    EXPECT_EQ(writer->write(batch), count);
  };
  // 300 small writes alternate between batches a and b, then c arrives after a summary.
  for (int64_t round = 0; round < 300; ++round) write(round * 100, 100, round % 2 == 0 ? "a" : "b");
  EXPECT_NE(one("SELECT brin_summarize_new_values(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = "
                "i.indexrelid JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = to_regclass(?) AND am.amname = 'brin'",
                {target_->quote(table)}),
            "0");
  write(30000, 5000, "c");
  write(35000, 100, "a");
  target_->execute("SET enable_seqscan = off");
  auto plan = target_->query(fmt::format("EXPLAIN SELECT count(*) FROM {} WHERE _batch = 'a'", target_->quote(table)), {});
  std::string plan_text;
  for (const auto& row : plan) plan_text += row.at(0).value_or("") + "\n";
  EXPECT_NE(plan_text.find("Bitmap Index Scan"), std::string::npos) << plan_text;
  EXPECT_EQ(target_->count(table, Scope::lineage("a")), 15100);
  EXPECT_EQ(target_->count(table, Scope::lineage("b")), 15000);
  EXPECT_EQ(target_->count(table, Scope::lineage("c")), 5000);
  EXPECT_EQ(target_->count(table, Scope::lineage("d")), 0);
  int64_t rows = 0;
  target_->scan(table, Schema({field("k", Type::kInt64)}), Scope::lineage("b"), 1000, [&](const Batch& batch) {
    for (size_t row = 0; row < batch.num_rows(); ++row) {
      ++rows;
      int64_t k = batch.column(0).int_at(row);
      ASSERT_TRUE(k < 30000 && (k / 100) % 2 == 1) << k << " is not in batch b";
    }
  });
  EXPECT_EQ(rows, 15000);
  EXPECT_EQ(target_->delete_scope(table, Scope::lineage("a")), 15100);
  EXPECT_EQ(target_->count(table, Scope::all()), 20000);
  EXPECT_EQ(target_->count(table, Scope::lineage("b")), 15000);
  target_->execute("RESET enable_seqscan");
}

TEST_F(PostgresTarget, ScanOutsideATransactionLeavesTheSessionIdle) {
  std::string table = table_name();
  Schema schema({field("k", Type::kInt64)});
  target_->create_table(table, schema, CreateOptions{{"k"}, false});
  target_->execute(fmt::format("INSERT INTO {} SELECT generate_series(1, 2500)", target_->quote(table)));
  std::string pid = one("SELECT pg_backend_pid()");
  int64_t sum = 0;
  size_t batches = 0;
  target_->scan(table, schema, Scope::all(), 1000, [&](const Batch& batch) {
    ++batches;
    for (size_t row = 0; row < batch.num_rows(); ++row) sum += batch.column(0).int_at(row);
  });
  EXPECT_EQ(batches, 3u);
  EXPECT_EQ(sum, 2500LL * 2501 / 2);
  auto observer = target_->reconnect();
  auto state = observer->query("SELECT state FROM pg_stat_activity WHERE pid = ?", {std::stoll(pid)});
  ASSERT_EQ(state.size(), 1u);
  EXPECT_EQ(state[0][0], "idle");
}

TEST_F(PostgresTarget, LargeTableIsScannedInTwoHalvesInOneSnapshot) {
  std::string table = table_name();
  Schema schema({field("k", Type::kInt64), field("payload", Type::kString)});
  target_->create_table(table, schema, CreateOptions{{"k"}, true});
  const std::string quoted = target_->quote(table);
  // About 1 300 pages (the halves start at 1 024): hundreds of k alternate between batches a
  // and b, and every seventh row is deleted, leaving holes in both halves.
  target_->execute(fmt::format("INSERT INTO {} SELECT k, repeat('p', 200), CASE WHEN (k / 100) % 2 = 0 THEN 'a' ELSE "
                               "'b' END FROM generate_series(0, 39999) AS k",
                               quoted));
  target_->execute(fmt::format("DELETE FROM {} WHERE k % 7 = 0", quoted));
  ASSERT_GE(std::stoll(one("SELECT pg_relation_size(to_regclass(?)) / 8192", {quoted})), 1024);
  std::string pid = one("SELECT pg_backend_pid()");

  auto observer = target_->reconnect();
  // Sessions of this process fetching from a scan's cursor (the cursor names hold our pid).
  const std::string fetching = fmt::format(
      "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'FETCH FORWARD % FROM idemload\\_scan\\_{}\\_%' "
      "AND state <> 'idle'",
      ::getpid());
  // Meanwhile another connection keeps moving rows of batch a from the first half of the table
  // to its end (the second half), a row per transaction: k becomes k + 1 000 000. Halves read
  // in one snapshot see each row once, moved or not; halves read in two would see some twice
  // or not at all.
  idemload::testing::RowMover mover(*target_, quoted, 20000);
  mover.wait_for(5);
  int64_t most_fetching = 0;
  std::vector<int64_t> seen;
  target_->scan(table, Schema({field("k", Type::kInt64)}), Scope::lineage("a"), 1000, [&](const Batch& batch) {
    for (size_t row = 0; row < batch.num_rows(); ++row) seen.push_back(batch.column(0).int_at(row) % 1000000);
    auto count = observer->query(fetching);
    most_fetching = std::max<int64_t>(most_fetching, std::stoll(count.at(0).at(0).value_or("0")));
  });
  const int moved = mover.stop();
  EXPECT_EQ(most_fetching, 2) << "the two halves were not read at once";
  idemload::testing::expect_each_row_once(std::move(seen), 40000, moved);
  EXPECT_EQ(target_->count(table, Scope::lineage("a")),
            static_cast<int64_t>(idemload::testing::batch_a_keys(40000).size()));

  // A sink that stops the scan: the session is left idle and the second connection is gone.
  idemload::testing::expect_sink_error_stops_scan(*target_, table);
  auto state = observer->query("SELECT state FROM pg_stat_activity WHERE pid = ?", {std::stoll(pid)});
  ASSERT_EQ(state.size(), 1u);
  EXPECT_EQ(state[0][0], "idle");
  EXPECT_EQ(observer->query(fetching).at(0).at(0), "0");
  EXPECT_EQ(target_->count(table, Scope::all()), 40000 - 5715);
}

TEST_F(PostgresTarget, LibpqEnvironmentVariablesFillAnEmptyUrl) {
  ParsedUrl parsed = parse_url(url_);
  std::map<std::string, std::string> env = {{"PGHOST", parsed.host}, {"PGPORT", std::to_string(parsed.port)},
                                            {"PGUSER", parsed.user}, {"PGDATABASE", parsed.database}};
  ASSERT_FALSE(parsed.port == 0 || parsed.host.empty() || parsed.user.empty() || parsed.database.empty())
      << "IDEMLOAD_TEST_PG_URL must name host, port, user and database (as scripts/with-test-servers.sh does)";
  std::map<std::string, std::optional<std::string>> saved;
  for (const auto& [name, value] : env) {
    const char* old = std::getenv(name.c_str());
    saved[name] = old ? std::optional<std::string>(old) : std::nullopt;
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  std::unique_ptr<Target> from_env;
  std::vector<ResultRow> rows;
  try {
    from_env = open_target("postgresql://");
    rows = from_env->query("SELECT current_user, current_database(), inet_server_port()::text");
  } catch (const Error& error) {
    ADD_FAILURE() << error.what();
  }
  for (const auto& [name, value] : saved) {
    if (value) ::setenv(name.c_str(), value->c_str(), 1);
    else ::unsetenv(name.c_str());
  }
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (ResultRow{parsed.user, parsed.database, std::to_string(parsed.port)}));
  EXPECT_EQ(from_env->display_url(), "postgresql://");
}

TEST_F(PostgresTarget, TerminatedBackendIsUnavailable) {
  std::string table = table_name();
  Schema schema({field("k", Type::kInt64)});
  target_->create_table(table, schema, CreateOptions{{"k"}, false});
  auto writer = target_->writer(table, schema, {});
  int64_t pid = std::stoll(one("SELECT pg_backend_pid()"));
  auto killer = target_->reconnect();
  // Waits (up to 10 s) until the backend is gone.
  EXPECT_EQ(killer->query("SELECT pg_terminate_backend(?::int4, 10000)", {pid}).at(0).at(0), "t");

  Error error = error_of([&] { target_->count(table, Scope::all()); });
  EXPECT_EQ(error.kind(), ErrorKind::kTargetUnavailable) << error.what();
  EXPECT_EQ(error.context().target, redact_url(url_));
  Batch batch(std::make_shared<const Schema>(schema));
  batch.column(0).append_int(1);
  EXPECT_EQ(error_of([&] { writer->write(batch); }).kind(), ErrorKind::kTargetUnavailable);
  target_->rollback();  // never throws
  writer.reset();

  // A fresh connection works; a transaction cut off before COMMIT reports an unknown outcome.
  target_ = target_->reconnect();
  target_->begin();
  target_->execute(fmt::format("INSERT INTO {} VALUES (5)", target_->quote(table)));
  pid = std::stoll(one("SELECT pg_backend_pid()"));
  killer->query("SELECT pg_terminate_backend(?::int4, 10000)", {pid});
  Error commit = error_of([&] { target_->commit(); });
  EXPECT_EQ(commit.kind(), ErrorKind::kInDoubt) << commit.what();
  target_->rollback();
  target_ = target_->reconnect();
  EXPECT_EQ(target_->count(table, Scope::all()), 0);
}

TEST_F(PostgresTarget, AdvisoryLockLivesOnItsOwnConnection) {
  auto other = target_->reconnect();
  std::string name = fmt::format("pg-lock-{}", ::getpid());
  auto held = target_->lock(name, std::chrono::milliseconds(1000));
  // A dedicated session holds it: not this one, whose transactions must not touch it.
  EXPECT_EQ(one("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"), "0");
  target_->begin();
  target_->rollback();

  Error error = error_of([&] { other->lock(name, std::chrono::milliseconds(200)); });
  EXPECT_EQ(error.kind(), ErrorKind::kTargetConflict);
  EXPECT_NE(error.message().find(name), std::string::npos) << error.message();
  EXPECT_EQ(error.context().target, redact_url(url_));
  // Another name is another lock.
  auto second = other->lock(name + "-b", std::chrono::milliseconds(0));
  // Releasing is synchronous: the very first try of the next holder succeeds.
  held.reset();
  auto taken = other->lock(name, std::chrono::milliseconds(0));
  EXPECT_NE(taken, nullptr);
}

TEST_F(PostgresTarget, PasswordsNeverAppearInUrlsOrMessages) {
  // The test server trusts local connections, so any password is accepted and ignored.
  ParsedUrl parsed = parse_url(url_);
  std::string secret = "Hunter2Secret";
  std::string with_password =
      fmt::format("postgresql://{}:{}@{}:{}/{}", parsed.user, secret, parsed.host, parsed.port, parsed.database);
  auto target = open_target(with_password);
  EXPECT_EQ(target->display_url().find(secret), std::string::npos);
  EXPECT_NE(target->display_url().find("***"), std::string::npos);
  Error sql = error_of([&] { target->execute(fmt::format("SELECT \"no_such_column_{}\"", secret)); });
  EXPECT_EQ(sql.kind(), ErrorKind::kSchemaDrift) << sql.what();
  EXPECT_EQ(std::string(sql.what()).find(secret), std::string::npos) << sql.what();
  EXPECT_EQ(target->reconnect()->display_url(), target->display_url());

  for (const std::string& bad : {fmt::format("postgresql://{}:{}@127.0.0.1:1/x", parsed.user, secret),
                                 fmt::format("postgresql://127.0.0.1:1/x?user={}&password={}", parsed.user, secret),
                                 fmt::format("postgresql://{}:{}@{}:{}/no_such_database_here", parsed.user, secret,
                                             parsed.host, parsed.port)}) {
    Error error = error_of([&] { open_target(bad); });
    EXPECT_EQ(error.kind(), ErrorKind::kTargetUnavailable) << error.what();
    EXPECT_EQ(std::string(error.what()).find(secret), std::string::npos) << error.what();
    EXPECT_NE(error.context().target.find("***"), std::string::npos) << error.context().target;
  }
}

}  // namespace
}  // namespace idemload::targets
