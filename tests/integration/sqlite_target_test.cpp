// SQLite-specific behaviour of the target: a large scope's scan read by two connections at once,
// over the pieces of its rowids, in one snapshot; dates and timestamps, which SQLite keeps as
// text, of every year; a writer's WAL checkpointed on a thread of its own.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/failpoint.h"
#include "core/value_text.h"
#include "integration/halved_scan_checks.h"
#include "targets/target.h"
#include "test_util.h"

namespace idemload::targets {
namespace {

Field field(std::string name, Type type) { return Field{std::move(name), type}; }

// Runs `insert`, which selects from c(k): k = 0 … rows - 1 (by default more rowids than a
// halved scan needs).
void fill(Target& target, const std::string& insert, int64_t rows = 300000) {
  target.execute("WITH RECURSIVE c(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM c WHERE k < ?) " + insert,
                 {Param(rows - 1)});
}

// The rows a scan of the whole of `table` streams.
int64_t rows_scanned(Target& target, const std::string& table) {
  int64_t rows = 0;
  target.scan(table, Schema({field("k", Type::kInt64)}), Scope::all(), 1000,
              [&](const Batch& batch) { rows += static_cast<int64_t>(batch.num_rows()); });
  return rows;
}

class SqliteTarget : public ::testing::Test {
 protected:
  void SetUp() override { target_ = open_target("sqlite:" + dir_.file("t.sqlite")); }

  idemload::testing::TempDir dir_;
  std::unique_ptr<Target> target_;
};

// 400 000 rows (the halved scan starts at 2^18 rowids): hundreds of k alternate between batches
// a and b, and every seventh row is deleted. While the scan runs, another connection keeps moving
// rows of batch a from the first half of the rowids to the end of the table (the last piece), a
// row per transaction: k becomes k + 1 000 000. Pieces read in one snapshot see each row once,
// moved or not; pieces read in two would see some twice or not at all.
TEST_F(SqliteTarget, LargeScopeIsScannedInTwoHalvesInOneSnapshot) {
  const std::string table = "t";
  target_->create_table(table, Schema({field("k", Type::kInt64), field("payload", Type::kString)}),
                        CreateOptions{{"k"}, true});
  fill(*target_,
       "INSERT INTO t (k, payload, _batch) SELECT k, 'p', CASE WHEN (k / 100) % 2 = 0 THEN 'a' ELSE 'b' END FROM c",
       400000);
  target_->execute("DELETE FROM t WHERE k % 7 = 0", {});

  idemload::testing::RowMover mover(*target_, "t", 200000);
  mover.wait_for(5);
  // Between the starts of the two connections' reads, a pause: a mover free to commit then would
  // move hundreds of rows from one snapshot to the other.
  failpoints::configure("between_scan_halves=sleep:100");
  std::vector<int64_t> seen;
  // k grows with the rowid (a moved row gets k + 1 000 000 and the next rowid): one connection
  // reading the rowids in order would hand over k in ascending order. Two connections reading
  // the pieces of the rowids at once hand over a lower k after a higher one somewhere.
  bool k_went_down = false;
  int64_t last_k = -1;
  target_->scan(table, Schema({field("k", Type::kInt64)}), Scope::lineage("a"), 1000, [&](const Batch& batch) {
    for (size_t row = 0; row < batch.num_rows(); ++row) {
      const int64_t k = batch.column(0).int_at(row);
      if (k < last_k) k_went_down = true;
      last_k = k;
      seen.push_back(k % 1000000);
    }
  });
  failpoints::reset();
  const int moved = mover.stop();
  EXPECT_TRUE(k_went_down) << "the pieces were not read by two connections at once";
  idemload::testing::expect_each_row_once(std::move(seen), 400000, moved);
  EXPECT_EQ(target_->count(table, Scope::lineage("a")),
            static_cast<int64_t>(idemload::testing::batch_a_keys(400000).size()));

  // A sink that stops the scan: the connection is left out of any transaction (a new one
  // begins and commits).
  idemload::testing::expect_sink_error_stops_scan(*target_, table);
  target_->begin();
  target_->execute("INSERT INTO t (k, payload, _batch) VALUES (-1, 'after', 'c')", {});
  target_->commit();
  EXPECT_EQ(target_->count(table, Scope::lineage("c")), 1);
}

// What a scan of the keys (s, k) of table w hands over: each row's k, and whether some batch
// handed k in descending order.
struct KeysScanned {
  std::vector<int64_t> ks;
  bool k_went_down = false;
};
KeysScanned scan_keys(Target& target, const Scope& scope) {
  KeysScanned scanned;
  target.scan("w", Schema({field("s", Type::kString), field("k", Type::kInt64)}), scope, 1000,
              [&](const Batch& batch) {
                for (size_t row = 0; row < batch.num_rows(); ++row) {
                  const int64_t k = batch.column(1).int_at(row);
                  if (row > 0 && k < batch.column(1).int_at(row - 1)) scanned.k_went_down = true;
                  scanned.ks.push_back(k);
                }
              });
  std::sort(scanned.ks.begin(), scanned.ks.end());
  return scanned;
}

std::vector<int64_t> zero_to(int64_t end) {
  std::vector<int64_t> ks(static_cast<size_t>(end));
  for (int64_t k = 0; k < end; ++k) ks[static_cast<size_t>(k)] = k;
  return ks;
}

// When every row of the table is in scope, the scan of a key reads its pieces from the key's
// index, as ranges of its first column (s). Rows are inserted with s descending as k and the
// rowid ascend: a batch read from the index hands k in descending order, one read by rowid in
// ascending order. Every row is handed over once: those whose s is NULL (no range holds them),
// a number or a blob (s has no type, so no affinity turns them into text: the ranges meet
// values of every storage class), and text. With one row of another batch, or one without a
// batch, the scope is no longer the whole table: the pieces are rowids again, and that row is
// not handed over. So they are when most rows share their first key column's value.
TEST_F(SqliteTarget, AWholeTableScopeIsScannedOverTheKeysIndex) {
  target_->execute("CREATE TABLE w (s, k INTEGER, payload TEXT, _batch TEXT, PRIMARY KEY (s, k))",
                   {});
  target_->execute("CREATE INDEX w_batch ON w (_batch)", {});
  fill(*target_,
       "INSERT INTO w (s, k, payload, _batch) SELECT CASE WHEN k % 97 = 0 THEN NULL WHEN k % 89 = "
       "0 THEN 1000000 - k "
       "WHEN k % 83 = 0 THEN CAST(printf('%07d', 1000000 - k) AS BLOB) ELSE printf('%07d', 1000000 "
       "- k) END, k, "
       "'p', 'a' FROM c");
  ASSERT_EQ(target_->query("SELECT count(*) FROM w WHERE s IS NULL", {}).at(0).at(0), "3093");
  ASSERT_EQ(target_->query("SELECT count(*) FROM w WHERE typeof(s) = 'blob'", {}).at(0).at(0),
            "3537");

  KeysScanned whole = scan_keys(*target_, Scope::lineage("a"));
  EXPECT_TRUE(whole.k_went_down) << "the pieces were not read from the key's index";
  EXPECT_TRUE(whole.ks == zero_to(300000)) << whole.ks.size() << " rows handed over";
  whole = scan_keys(*target_, Scope::all());
  EXPECT_TRUE(whole.k_went_down) << "the pieces were not read from the key's index";
  EXPECT_TRUE(whole.ks == zero_to(300000)) << whole.ks.size() << " rows handed over";

  for (const char* other : {"'b'", "NULL"}) {
    SCOPED_TRACE(other);
    target_->execute(
        fmt::format("INSERT INTO w (s, k, payload, _batch) VALUES ('0000000', 300000, 'p', {})",
                    other),
        {});
    const KeysScanned part = scan_keys(*target_, Scope::lineage("a"));
    EXPECT_FALSE(part.k_went_down)
        << "read from the key's index, which holds rows of no batch or another";
    EXPECT_TRUE(part.ks == zero_to(300000)) << part.ks.size() << " rows handed over";
    EXPECT_EQ(scan_keys(*target_, Scope::all()).ks, zero_to(300001));
    target_->execute("DELETE FROM w WHERE k = 300000", {});
  }

  // When one value fills a quarter of the rows or more, no bound could cut its piece, which
  // one connection would read alone: the pieces are rowids again.
  target_->execute("UPDATE w SET s = 'same' WHERE k % 3 <> 0", {});
  const KeysScanned uncut = scan_keys(*target_, Scope::lineage("a"));
  EXPECT_FALSE(uncut.k_went_down) << "read from the key's index, in a piece no bound cuts";
  EXPECT_TRUE(uncut.ks == zero_to(300000)) << uncut.ks.size() << " rows handed over";
}

// A batch that is the whole table is counted as the table (COUNT(*), from an index's pages);
// with one row of another batch, of no batch, or whose batch is a value of another storage
// class (_batch has no type here, so no affinity makes 7 or X'61' text), the batch's rows are
// counted. So inside a transaction that has added such a row, and in a read transaction of its
// own: a row of batch b committed by another connection between the check and the count is
// not counted. Each count leaves the connection as it found it (a transaction can begin), an
// error at the failpoint between the two as well.
TEST_F(SqliteTarget, ABatchThatIsTheWholeTableIsCountedExactly) {
  target_->execute("CREATE TABLE w (k INTEGER PRIMARY KEY, payload TEXT, _batch)", {});
  target_->execute("CREATE INDEX w_batch ON w (_batch)", {});
  fill(*target_, "INSERT INTO w (k, payload, _batch) SELECT k, 'p', 'a' FROM c");
  EXPECT_EQ(target_->count("w", Scope::lineage("a")), 300000);
  EXPECT_EQ(target_->count("w", Scope::lineage("b")), 0);
  // An error between the check and the count reaches the caller and leaves no transaction.
  failpoints::configure("before_whole_table_count=error");
  EXPECT_THROW(target_->count("w", Scope::lineage("a")), Error);
  failpoints::reset();
  target_->begin();
  target_->commit();

  for (const char* other : {"'b'", "NULL", "X'61'", "7"}) {
    SCOPED_TRACE(other);
    target_->execute(fmt::format("INSERT INTO w (k, payload, _batch) VALUES (-1, 'p', {})", other),
                     {});
    EXPECT_EQ(target_->count("w", Scope::lineage("a")), 300000);
    EXPECT_EQ(target_->count("w", Scope::all()), 300001);
    target_->execute("DELETE FROM w WHERE k = -1", {});
    target_->begin();
    target_->execute(fmt::format("INSERT INTO w (k, payload, _batch) VALUES (-1, 'p', {})", other),
                     {});
    EXPECT_EQ(target_->count("w", Scope::lineage("a")), 300000);
    target_->execute("INSERT INTO w (k, payload, _batch) VALUES (-2, 'p', 'a')", {});
    EXPECT_EQ(target_->count("w", Scope::lineage("a")), 300001);
    target_->rollback();
  }

  auto other = open_target("sqlite:" + dir_.file("t.sqlite"));
  failpoints::configure("before_whole_table_count=sleep:300");
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    other->execute("INSERT INTO w (k, payload, _batch) VALUES (-1, 'p', 'b')", {});
  });
  const int64_t counted = target_->count("w", Scope::lineage("a"));
  failpoints::reset();
  writer.join();
  EXPECT_EQ(counted, 300000) << "the row of batch b came between the check and the count";
  EXPECT_EQ(target_->count("w", Scope::lineage("a")), 300000);
  target_->begin();
  target_->commit();

  // Without an index on the batch (the row of batch b still there), the batch's rows.
  target_->execute("DROP INDEX w_batch", {});
  EXPECT_EQ(target_->count("w", Scope::lineage("a")), 300000);
  EXPECT_EQ(target_->count("w", Scope::lineage("b")), 1);
}

// A column named rowid stands for the rowid in a condition: NULLs in it would fall in neither
// half. Such a table is scanned by one connection, every row.
TEST_F(SqliteTarget, ATableWithARowidColumnIsScannedWhole) {
  target_->create_table("r", Schema({field("k", Type::kInt64), field("RowId", Type::kInt64)}), CreateOptions{});
  fill(*target_, "INSERT INTO r (k, RowId) SELECT k, CASE WHEN k % 2 = 0 THEN k END FROM c");
  EXPECT_EQ(rows_scanned(*target_, "r"), 300000);
}

// A TEMP table is its connection's alone: its scan stays on that connection, every row.
TEST_F(SqliteTarget, ATempTableIsScannedByItsOneConnection) {
  target_->execute("CREATE TEMP TABLE tt (k BIGINT)", {});
  fill(*target_, "INSERT INTO tt (k) SELECT k FROM c");
  EXPECT_EQ(rows_scanned(*target_, "tt"), 300000);
}

// A second connection to ":memory:" would open an empty database of its own: an in-memory
// database's scan stays on its one connection, every row.
TEST(SqliteMemoryTarget, IsScannedByItsOneConnection) {
  auto target = open_target("sqlite::memory:");
  target->create_table("m", Schema({field("k", Type::kInt64)}), CreateOptions{});
  fill(*target, "INSERT INTO m (k) SELECT k FROM c");
  EXPECT_EQ(rows_scanned(*target, "m"), 300000);
}

// Dates are text in SQLite; the scan reuses the last date it parsed in a column while the text
// repeats. Runs of one date, changes, NULLs between equal dates and a bad date after a good one.
TEST_F(SqliteTarget, DatesAreScannedExactlyThroughRepeatsAndChanges) {
  target_->create_table("d", Schema({field("k", Type::kInt64), field("d", Type::kDate)}), CreateOptions{});
  const std::vector<std::optional<std::string>> dates = {"2017-06-30", "2017-06-30", std::nullopt, "2017-06-30",
                                                         "2017-07-01", "2017-07-01", "1969-12-31", "2017-06-30"};
  for (size_t idx = 0; idx < dates.size(); ++idx) {
    target_->execute("INSERT INTO d (k, d) VALUES (?, ?)",
                     {Param(static_cast<int64_t>(idx)), dates[idx] ? Param(*dates[idx]) : Param(nullptr)});
  }
  std::vector<std::optional<int64_t>> days;
  target_->scan("d", Schema({field("d", Type::kDate)}), Scope::all(), 1000, [&](const Batch& batch) {
    for (size_t row = 0; row < batch.num_rows(); ++row) {
      days.push_back(batch.column(0).is_null(row) ? std::nullopt : std::optional(batch.column(0).int_at(row)));
    }
  });
  const std::vector<std::optional<int64_t>> expected = {17347, 17347, std::nullopt, 17347, 17348, 17348, -1, 17347};
  EXPECT_EQ(days, expected);

  target_->execute("UPDATE d SET d = '2017-06-3x' WHERE k = 3", {});
  EXPECT_THROW(target_->scan("d", Schema({field("d", Type::kDate)}), Scope::all(), 1000, [](const Batch&) {}), Error);
}

// SQLite keeps what the writer gives it as text, and a Parquet DATE or TIMESTAMP may lie outside
// the years 0000–9999 ("12345-12-31", "-005-03-01"): the scan reads back whatever the writer
// wrote, so that a re-run's key scan does not refuse the rows its first run loaded.
TEST_F(SqliteTarget, DatesAndTimestampsOfEveryYearComeBackAsWritten) {
  const Schema schema({field("d", Type::kDate), field("t", Type::kTimestamp)});
  target_->create_table("w", schema, CreateOptions{{"d", "t"}, true});
  const std::vector<std::pair<int64_t, int64_t>> values = {
      {days_from_civil(10000, 1, 1), std::numeric_limits<int64_t>::max()},
      {days_from_civil(-5, 3, 1), std::numeric_limits<int64_t>::min()},
      {days_from_civil(0, 2, 29), -1},
      {days_from_civil(123456789, 12, 31), days_from_civil(-1200, 2, 29) * 86400000000LL + 1},
      {days_from_civil(2017, 6, 30), 0}};
  Batch batch(std::make_shared<const Schema>(schema));
  for (auto [days, micros] : values) {
    batch.column(0).append_int(days);
    batch.column(1).append_int(micros);
  }
  auto writer = target_->writer("w", schema, {.lineage = "b"});
  ASSERT_EQ(writer->write(batch) + writer->flush(), static_cast<int64_t>(values.size()));
  std::vector<std::pair<int64_t, int64_t>> scanned;
  target_->scan("w", schema, Scope::lineage("b"), 1000, [&](const Batch& rows) {
    for (size_t row = 0; row < rows.num_rows(); ++row)
      scanned.emplace_back(rows.column(0).int_at(row), rows.column(1).int_at(row));
  });
  std::sort(scanned.begin(), scanned.end());
  auto expected = values;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(scanned, expected);
}

// The integer a PRAGMA returns on `target`'s connection (-1 when it returns none), e.g.
// wal_autocheckpoint: the pages past which a commit checkpoints (0: it checkpoints nothing).
int64_t pragma_int(Target& target, const std::string& name) {
  return parse_int64(target.query("PRAGMA " + name).at(0).at(0).value_or("")).value_or(-1);
}

// A writer's commits are checkpointed on a thread and a connection of its own. While the writer
// lives, its connection checkpoints nothing itself; yet after each commit of more pages than
// its wal_autocheckpoint, with no other connection checkpointing and no further commit, the
// database file catches up with everything committed. Commits back to back, each beginning
// before the checkpoint of the one before has ended, still let the WAL start over: it stays
// near kCatchUpFactor (16) times wal_autocheckpoint pages instead of holding every commit.
// Once the writer is gone, the connection checkpoints as it did before.
TEST_F(SqliteTarget, AWritersCommitsAreCheckpointedOffItsThread) {
  target_->execute("PRAGMA wal_autocheckpoint = 300", {});
  const Schema schema({field("k", Type::kInt64), field("payload", Type::kString)});
  target_->create_table("t", schema, CreateOptions{{"k"}, true});
  const std::string path = dir_.file("t.sqlite");
  const std::string payload(1000, 'x');
  int64_t next_k = 0;
  const auto page_size = static_cast<std::uintmax_t>(pragma_int(*target_, "page_size"));
  // Commits about 500 pages and returns the database's size in pages then, read before the
  // commit: a read while a checkpoint runs would keep the pages after it from being copied.
  auto commit_chunk = [&](BulkWriter& writer) {
    Batch batch(std::make_shared<const Schema>(schema));
    for (int row = 0; row < 2000; ++row) {
      batch.column(0).append_int(next_k++);
      batch.column(1).append_bytes(payload);
    }
    target_->begin();
    EXPECT_EQ(writer.write(batch), 2000);
    const auto pages = static_cast<std::uintmax_t>(pragma_int(*target_, "page_count"));
    target_->commit();
    return pages;
  };
  {
    auto writer = target_->writer("t", schema, {.lineage = "b"});
    EXPECT_EQ(pragma_int(*target_, "wal_autocheckpoint"), 0)
        << "the writer's own connection still checkpoints";
    for (int chunk = 0; chunk < 6; ++chunk) {
      const auto committed = commit_chunk(*writer) * page_size;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (std::filesystem::file_size(path) < committed &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      ASSERT_GE(std::filesystem::file_size(path), committed)
          << "chunk " << chunk
          << ": the database file did not catch up with the WAL within a minute";
    }
    // 24 chunks back to back: about 12 000 pages, against a WAL that starts over past 4 800.
    for (int chunk = 0; chunk < 24; ++chunk) commit_chunk(*writer);
    const auto wal_pages = std::filesystem::file_size(path + "-wal") / page_size;
    EXPECT_LT(wal_pages, 7000u) << "the WAL did not start over";
  }
  EXPECT_EQ(pragma_int(*target_, "wal_autocheckpoint"), 300);
  auto other = open_target("sqlite:" + path);
  EXPECT_EQ(other->count("t", Scope::lineage("b")), next_k);
}

}  // namespace
}  // namespace idemload::targets
