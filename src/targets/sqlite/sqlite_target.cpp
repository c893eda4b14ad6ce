#include "targets/sqlite/sqlite_target.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <utility>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "core/error.h"
#include "core/failpoint.h"
#include "core/key_hash.h"
#include "core/value_text.h"
#include "targets/halved_scan.h"
#include "targets/portable_sql.h"

namespace idemload::targets {

namespace {

// Declared column types. SQLite keeps the declared name, so table_schema can map it back; the
// names are chosen for their affinity: dates, times and decimals are stored as canonical text
// (DECIMAL_TEXT has TEXT affinity, so "12.30" is never turned into the REAL 12.3).
std::string sqlite_type(const Field& field) {
  switch (field.type) {
    case Type::kBool: return "BOOLEAN";
    case Type::kInt64: return "BIGINT";
    case Type::kDouble: return "DOUBLE";
    case Type::kString: return "TEXT";
    case Type::kBinary: return "BLOB";
    case Type::kDate: return "DATE";
    case Type::kTimestamp: return "TIMESTAMP";
    case Type::kTime: return "TIME";
    case Type::kDecimal:
      return field.precision > 0 ? fmt::format("DECIMAL_TEXT({},{})", field.precision, field.scale) : "DECIMAL_TEXT";
  }
  return "TEXT";
}

Field field_from_decl(std::string name, std::string decl, bool notnull) {
  Field field{std::move(name), Type::kString, !notnull};
  std::string upper;
  for (char c : decl) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto starts = [&](std::string_view prefix) { return upper.rfind(prefix, 0) == 0; };
  if (starts("DECIMAL_TEXT") || starts("NUMERIC") || starts("DECIMAL")) {
    field.type = Type::kDecimal;
    int precision = 0, scale = 0;
    size_t open = upper.find('(');
    if (open != std::string::npos && std::sscanf(upper.c_str() + open, "(%d,%d)", &precision, &scale) == 2) {
      field.precision = precision;
      field.scale = scale;
    }
  } else if (starts("BOOL")) {
    field.type = Type::kBool;
  } else if (upper.find("INT") != std::string::npos) {
    field.type = Type::kInt64;
  } else if (starts("DOUBLE") || starts("REAL") || starts("FLOAT")) {
    field.type = Type::kDouble;
  } else if (starts("BLOB") || starts("BINARY")) {
    field.type = Type::kBinary;
  } else if (starts("DATETIME") || starts("TIMESTAMP")) {
    field.type = Type::kTimestamp;
  } else if (starts("DATE")) {
    field.type = Type::kDate;
  } else if (starts("TIME")) {
    field.type = Type::kTime;
  }
  return field;
}

class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement& operator=(Statement&& other) noexcept {
    std::swap(stmt_, other.stmt_);
    return *this;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteLock : public Lock {
 public:
  explicit SqliteLock(int fd) : fd_(fd) {}
  ~SqliteLock() override {
    if (fd_ >= 0) ::close(fd_);  // closing the description releases its OFD lock
  }

 private:
  int fd_;
};

class SqliteTarget;

// Checkpoints the WAL (copies its pages into the database file, so that the WAL can start over)
// on a thread and a connection of its own while a writer commits its chunks. Left to SQLite,
// the commit that takes the WAL past the connection's wal_autocheckpoint pages checkpoints it
// then and there, on the writer's thread: it reads those pages back and writes them again, with
// two fsyncs, while the load waits. Here that commit only wakes the thread, and the writer goes
// on with its next chunk while the pages are copied. The 10 M-row load: 18.2–18.8 s instead of
// 20.6–20.9 s; its recovery after the kill at 80% read: 6.9–7.0 s instead of 7.4–7.6 s (three
// pairs each, alternating).
// The WAL starts over only at a transaction that begins once a checkpoint has copied all of it.
// A writer that never waits for one begins its next chunk before the checkpoint of the last has
// ended, and its WAL grows without end (1.2 GB by the kill at 80% of the 10 M-row load, which
// made the recovery slower). So once the WAL holds kCatchUpFactor times wal_autocheckpoint
// pages, the commit waits for a checkpoint begun after it, as SQLite's own would have: the WAL
// then starts over, and the writer waits for one checkpoint in several.
// The checkpoints are passive, as SQLite's own are: they never wait for the writer or for
// readers (a reader's old snapshot keeps the pages it may read, and the WAL then waits to start
// over), and their errors are left to the next one, as SQLite leaves those of its own.
class WalCheckpointer {
 public:
  static constexpr int kCatchUpFactor = 16;

  // Takes the checkpoints over from `writer` (whose wal_autocheckpoint is `frames` pages) until
  // destroyed, then gives them back. Takes nothing over when `frames` is 0 (the user turned
  // them off) or another connection to `path` cannot be opened.
  WalCheckpointer(sqlite3* writer, const std::string& path, int frames)
      : writer_(writer), frames_(frames) {
    if (frames <= 0) return;
    if (sqlite3_open_v2(path.c_str(), &own_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      sqlite3_close_v2(own_);
      own_ = nullptr;
      return;
    }
    // As the writer's: the WAL is synced before its pages are copied, the file after.
    sqlite3_exec(own_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
    thread_ = std::thread([this] { run(); });
    // Replaces the writer's automatic checkpoints.
    sqlite3_wal_hook(writer_, &WalCheckpointer::on_commit, this);
  }
  ~WalCheckpointer() {
    if (own_ == nullptr) return;
    sqlite3_wal_autocheckpoint(writer_, frames_);  // SQLite's own hook back, as it was
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
    sqlite3_close_v2(own_);
  }
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

 private:
  // After each commit of the writer's connection, on its thread, with the WAL's size in pages.
  static int on_commit(void* self, sqlite3*, const char*, int frames) {
    auto* checkpointer = static_cast<WalCheckpointer*>(self);
    if (frames < checkpointer->frames_) return SQLITE_OK;
    std::unique_lock<std::mutex> lock(checkpointer->mutex_);
    const uint64_t ticket = ++checkpointer->requested_;
    checkpointer->wake_.notify_one();
    if (frames / kCatchUpFactor >= checkpointer->frames_) {
      checkpointer->served_cv_.wait(lock, [&] { return checkpointer->served_ >= ticket; });
    }
    return SQLITE_OK;
  }
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return requested_ > served_ || stop_; });
      if (stop_) break;
      const uint64_t ticket = requested_;
      lock.unlock();
      sqlite3_wal_checkpoint_v2(own_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
      served_ = ticket;
      served_cv_.notify_all();
    }
  }

  sqlite3* writer_;
  int frames_;
  sqlite3* own_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_, served_cv_;
  uint64_t requested_ = 0;  // checkpoints asked for, by commits
  uint64_t served_ = 0;     // the last of them that one has followed
  bool stop_ = false;
  std::thread thread_;
};

class SqliteWriter : public BulkWriter {
 public:
  SqliteWriter(SqliteTarget& target, Statement stmt, std::vector<int> param_of_column,
               int lineage_param, std::string lineage,
               std::unique_ptr<WalCheckpointer> checkpointer)
      : target_(target),
        stmt_(std::move(stmt)),
        param_of_column_(std::move(param_of_column)),
        lineage_param_(lineage_param),
        lineage_(std::move(lineage)),
        checkpointer_(std::move(checkpointer)) {}
  int64_t write(const Batch& batch) override;
  int64_t flush() override { return 0; }

 private:
  int64_t write_rows(const Batch& batch);
  SqliteTarget& target_;
  Statement stmt_;
  std::vector<int> param_of_column_;  // batch column -> 1-based parameter, 0 = not written
  int lineage_param_;
  std::string lineage_;
  // The text of the date and time values of the batch being written, column after column, and
  // where each value ends: formatted once per batch and bound without a copy.
  std::string text_;
  std::vector<std::vector<uint32_t>> text_ends_;  // per batch column: rows + 1 offsets, or none
  std::unique_ptr<WalCheckpointer> checkpointer_;  // none for an in-memory database
};

class SqliteTarget : public Target {
 public:
  static constexpr int kWriterCacheKib = 16 * 1024;
  static constexpr int64_t kHalvedScanRows = int64_t{1} << 18;
  static constexpr int kHalvedScanLockMs = 200;
  static constexpr size_t kHalvedScanWaiting = 2;
  static constexpr size_t kHalvedScanPieces = 32;

  SqliteTarget(std::string path, sqlite3* db) : path_(std::move(path)), db_(db), url_("sqlite:" + path_) {}
  ~SqliteTarget() override {
    cache_.clear();
    sqlite3_close_v2(db_);
  }

  DialectKind dialect() const override { return DialectKind::kSqlite; }
  // 10 M EDGAR rows: 19 s instead of 22 s; 4.2 GB written into the WAL and the file, not 5.9 GB.
  size_t chunk_key_ranges() const override { return 16; }
  const std::string& display_url() const override { return url_; }
  std::unique_ptr<Target> reconnect() const override { return open_sqlite(path_); }
  std::string quote(std::string_view identifier) const override {
    std::string out = "\"";
    for (char c : identifier) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  }

  [[noreturn]] void fail(int rc, std::string_view what) const {
    std::string message = fmt::format("{}: {}", what, db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    ErrorContext context{.target = url_};
    switch (rc & 0xFF) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
      case SQLITE_CONSTRAINT: throw Error(ErrorKind::kTargetConflict, context, message);
      case SQLITE_FULL:
      case SQLITE_IOERR: throw Error(ErrorKind::kIo, context, message);
      case SQLITE_CANTOPEN:
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
      case SQLITE_READONLY: throw Error(ErrorKind::kTargetUnavailable, context, message);
      default:
        if (message.find("no column") != std::string::npos || message.find("has no column") != std::string::npos) {
          throw Error(ErrorKind::kSchemaDrift, context, message);
        }
        throw Error(ErrorKind::kInvalidInput, context, message);
    }
  }

  Statement prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc, fmt::format("cannot prepare '{}'", sql.substr(0, 200)));
    return Statement(stmt);
  }

  sqlite3_stmt* cached(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it == cache_.end()) it = cache_.emplace(std::string(sql), prepare(sql)).first;
    sqlite3_stmt* stmt = it->second.get();
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return stmt;
  }

  void bind(sqlite3_stmt* stmt, const Params& params) {
    for (size_t idx = 0; idx < params.size(); ++idx) {
      int pos = static_cast<int>(idx + 1);
      const Param& param = params[idx];
      if (std::holds_alternative<std::nullptr_t>(param)) {
        sqlite3_bind_null(stmt, pos);
      } else if (auto* i = std::get_if<int64_t>(&param)) {
        sqlite3_bind_int64(stmt, pos, *i);
      } else if (auto* d = std::get_if<double>(&param)) {
        sqlite3_bind_double(stmt, pos, *d);
      } else {
        const auto& s = std::get<std::string>(param);
        sqlite3_bind_text(stmt, pos, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
    }
  }

  int step(sqlite3_stmt* stmt, std::string_view what) {
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      sqlite3_reset(stmt);
      fail(rc, what);
    }
    return rc;
  }

  int64_t execute(std::string_view sql, const Params& params) override {
    if (params.empty() && sql.find(';') != std::string_view::npos) {
      char* errmsg = nullptr;
      int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &errmsg);
      sqlite3_free(errmsg);
      if (rc != SQLITE_OK) fail(rc, fmt::format("'{}' failed", sql.substr(0, 200)));
      return sqlite3_changes64(db_);
    }
    sqlite3_stmt* stmt = cached(sql);
    bind(stmt, params);
    while (step(stmt, fmt::format("'{}' failed", sql.substr(0, 200))) == SQLITE_ROW) {
    }
    sqlite3_reset(stmt);
    return sqlite3_changes64(db_);
  }

  std::vector<ResultRow> query(std::string_view sql, const Params& params) override {
    sqlite3_stmt* stmt = cached(sql);
    bind(stmt, params);
    std::vector<ResultRow> rows;
    int columns = sqlite3_column_count(stmt);
    while (step(stmt, fmt::format("'{}' failed", sql.substr(0, 200))) == SQLITE_ROW) {
      ResultRow row;
      row.reserve(static_cast<size_t>(columns));
      for (int col = 0; col < columns; ++col) {
        if (sqlite3_column_type(stmt, col) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
          row.emplace_back(std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, col))));
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_reset(stmt);
    return rows;
  }

  void begin() override { execute("BEGIN IMMEDIATE", {}); }
  void commit() override { execute("COMMIT", {}); }
  void rollback() override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  std::optional<Schema> table_schema(std::string_view table) override {
    auto rows = query(fmt::format("SELECT name, type, \"notnull\" FROM pragma_table_info({})", literal(table)), {});
    if (rows.empty()) return std::nullopt;
    Schema schema;
    for (auto& row : rows) schema.add(field_from_decl(row[0].value_or(""), row[1].value_or(""), row[2] == "1"));
    return schema;
  }

  void create_table(std::string_view table, const Schema& schema, const CreateOptions& options) override {
    std::string sql = fmt::format("CREATE TABLE IF NOT EXISTS {} (", quote(table));
    for (size_t idx = 0; idx < schema.size(); ++idx) {
      const Field& field = schema.field(idx);
      if (idx > 0) sql += ", ";
      sql += quote(field.name) + " " + sqlite_type(field);
      if (!field.nullable) sql += " NOT NULL";
    }
    if (options.lineage && !schema.index_of(kLineageColumn)) sql += fmt::format(", {} TEXT", quote(kLineageColumn));
    if (!options.primary_key.empty()) {
      sql += ", PRIMARY KEY (";
      for (size_t idx = 0; idx < options.primary_key.size(); ++idx) {
        sql += (idx ? ", " : "") + quote(options.primary_key[idx]);
      }
      sql += ")";
    }
    sql += ")";
    execute(sql, {});
    if (options.lineage) {
      execute(fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({})", quote(std::string(table) + "__batch_idx"),
                          quote(table), quote(kLineageColumn)),
              {});
    }
  }

  void add_column(std::string_view table, const Field& field) override {
    execute(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", quote(table), quote(field.name), sqlite_type(field)), {});
  }

  void drop_table(std::string_view table) override {
    execute(fmt::format("DROP TABLE IF EXISTS {}", quote(table)), {});
  }

  void replace_table(std::string_view table, std::string_view replacement) override {
    // A savepoint nests inside the caller's transaction, or is one of its own.
    execute("SAVEPOINT idemload_replace", {});
    try {
      execute(fmt::format("DROP TABLE IF EXISTS {}", quote(table)), {});
      execute(fmt::format("ALTER TABLE {} RENAME TO {}", quote(replacement), quote(table)), {});
      // Index names follow the table: recreate the lineage index under the table's name.
      auto schema = table_schema(table);
      if (schema && schema->index_of(kLineageColumn)) {
        execute(fmt::format("DROP INDEX IF EXISTS {}", quote(std::string(replacement) + "__batch_idx")), {});
        execute(fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({})", quote(std::string(table) + "__batch_idx"),
                            quote(table), quote(kLineageColumn)),
                {});
      }
      execute("RELEASE idemload_replace", {});
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK TO idemload_replace; RELEASE idemload_replace", nullptr, nullptr, nullptr);
      throw;
    }
  }

  bool has_unique_key(std::string_view table, const std::vector<std::string>& columns) override {
    auto same = [&](std::vector<std::string> names) {
      if (names.size() != columns.size()) return false;
      std::vector<std::string> want = columns;
      std::sort(names.begin(), names.end());
      std::sort(want.begin(), want.end());
      return names == want;
    };
    std::vector<std::string> pk;
    for (auto& row : query(fmt::format("SELECT name, pk FROM pragma_table_info({}) WHERE pk > 0", literal(table)), {})) {
      pk.push_back(row[0].value_or(""));
    }
    if (!pk.empty() && same(pk)) return true;
    for (auto& index : query(fmt::format("SELECT name FROM pragma_index_list({}) WHERE \"unique\" = 1", literal(table)), {})) {
      std::vector<std::string> names;
      for (auto& col : query(fmt::format("SELECT name FROM pragma_index_info({})", literal(index[0].value_or(""))), {})) {
        names.push_back(col[0].value_or(""));
      }
      if (same(names)) return true;
    }
    return false;
  }

  std::string literal(std::string_view text) const {
    std::string out = "'";
    for (char c : text) {
      if (c == '\'') out += '\'';
      out += c;
    }
    return out + "'";
  }

  // " WHERE …" (or "") and its parameters.
  std::string scope_clause(const Scope& scope, Params& params) const { return scope_where_clause(*this, scope, params); }

  int64_t count(std::string_view table, const Scope& scope) override {
    if (auto rows = count_whole_table(table, scope)) return *rows;
    Params params;
    std::string sql = fmt::format("SELECT COUNT(*) FROM {}{}", quote(table), scope_clause(scope, params));
    auto rows = query(sql, params);
    return parse_int64(rows.at(0).at(0).value_or("0")).value_or(0);
  }

  // A batch's count when the batch is the whole table: COUNT(*) of the table, which SQLite
  // answers from the pages of its smallest index (their cell counts) without stepping through
  // its rows. Both in one read transaction: the caller's, or one of its own. None when a row
  // outside the batch is there (see whole_table_in_scope) or SQLite cannot tell from an index.
  // The count at the end of the benchmark's jobs (9.7 M rows) took 0.05 s instead of 0.24 s.
  std::optional<int64_t> count_whole_table(std::string_view table, const Scope& scope) {
    if (scope.kind != Scope::Kind::kLineage) return std::nullopt;
    const bool own = sqlite3_get_autocommit(db_) != 0;
    if (own) execute("BEGIN", {});
    std::optional<int64_t> rows;
    try {
      bool whole = false;
      try {
        whole = whole_table_in_scope(table, scope);
      } catch (const Error&) {
        // No such column or table, say: the plain count names it.
      }
      if (whole) {
        IDEMLOAD_FAILPOINT(before_whole_table_count);
        rows = parse_int64(query(fmt::format("SELECT COUNT(*) FROM {}", quote(table)), {})
                               .at(0)
                               .at(0)
                               .value_or(""));
      }
    } catch (...) {
      if (own) rollback();
      throw;
    }
    if (own) rollback();
    return rows;
  }

  void scan(std::string_view table, const Schema& columns, const Scope& scope, size_t batch_rows,
            const std::function<void(const Batch&)>& sink) override {
    // Inside a transaction of its own (one that has written, say), the scan must see it: one
    // connection.
    if (sqlite3_get_autocommit(db_) && scan_in_halves(table, columns, scope, batch_rows, sink)) return;
    Params params;
    const std::string where = scope_clause(scope, params);
    scan_rows(fmt::format("{}{}", select_list(table, columns), where), params, table, columns, batch_rows, sink);
  }

  // "SELECT a, b FROM t".
  std::string select_list(std::string_view table, const Schema& columns) const {
    std::string list;
    for (const auto& field : columns.fields()) list += (list.empty() ? "" : ", ") + quote(field.name);
    return fmt::format("SELECT {} FROM {}", list, quote(table));
  }

  // Steps through `sql`, which selects `columns`, converting its rows into batches for `sink`.
  // `values` are bound after `params`.
  void scan_rows(const std::string& sql, const Params& params, std::string_view table,
                 const Schema& columns, size_t batch_rows,
                 const std::function<void(const Batch&)>& sink,
                 const std::vector<const sqlite3_value*>& values = {}) {
    Statement stmt = prepare(sql);
    bind(stmt.get(), params);
    for (size_t idx = 0; idx < values.size(); ++idx) {
      const int rc =
          sqlite3_bind_value(stmt.get(), static_cast<int>(params.size() + idx + 1), values[idx]);
      if (rc != SQLITE_OK) fail(rc, "cannot bind a piece's bound");
    }
    Batch batch(std::make_shared<const Schema>(columns));
    batch.reserve(batch_rows);
    const int ncols = static_cast<int>(columns.size());
    // SQLite keeps dates as text: the last one parsed in each column, since a batch's rows
    // mostly share their date (the scan of 7.6 M keys spent a tenth of its time parsing them).
    struct LastDate {
      std::string text;
      int64_t days = 0;
    };
    std::vector<LastDate> last_dates(columns.size());
    while (step(stmt.get(), "scan failed") == SQLITE_ROW) {
      for (int col = 0; col < ncols; ++col) {
        Column& column = batch.column(static_cast<size_t>(col));
        // The column's value once, then its type, text and size from it: each sqlite3_column_*
        // call looks the column up again (a fifth of the CPU of the recovery's key scan went to
        // those calls; the scan of 7.6 M keys took 0.1 s less). The value is "unprotected" (no
        // mutex held), which only matters to a connection shared by threads: ours are opened
        // SQLITE_OPEN_NOMUTEX, each used by one thread at a time, and the value is read here,
        // before the next step.
        sqlite3_value* value = sqlite3_column_value(stmt.get(), col);
        int kind = sqlite3_value_type(value);
        if (kind == SQLITE_NULL) {
          column.append_null();
          continue;
        }
        if (kind == SQLITE_INTEGER && (column.type() == Type::kInt64 || column.type() == Type::kBool)) {
          column.append_int(sqlite3_value_int64(value));
          continue;
        }
        if (column.type() == Type::kDouble && (kind == SQLITE_FLOAT || kind == SQLITE_INTEGER)) {
          column.append_double(sqlite3_value_double(value));
          continue;
        }
        const auto* data = static_cast<const char*>(
            kind == SQLITE_BLOB ? sqlite3_value_blob(value) : reinterpret_cast<const void*>(sqlite3_value_text(value)));
        std::string_view text(data ? data : "", static_cast<size_t>(sqlite3_value_bytes(value)));
        if (column.storage() == Storage::kBytes) {
          column.append_bytes(text);
        } else if (LastDate& last = last_dates[static_cast<size_t>(col)];
                   column.type() == Type::kDate && !text.empty() && text == last.text) {
          column.append_int(last.days);
        } else if (!append_parsed(column, text)) {
          throw Error::SchemaDrift(fmt::format("value '{}' in table {} does not convert to {}", text.substr(0, 80),
                                               table, type_name(column.type())),
                                   ErrorContext{.column = columns.field(static_cast<size_t>(col)).name, .target = url_});
        } else if (column.type() == Type::kDate && !text.empty()) {
          last.text.assign(text);
          last.days = column.ints().back();
        }
      }
      if (batch.num_rows() >= batch_rows) {
        sink(batch);
        batch.clear();
      }
    }
    if (batch.num_rows() > 0) sink(batch);
  }

  // A scope of many rows is read by two connections at once, each over about half of its
  // rowids: stepping through millions of rows is one core's work per connection. The rowids are
  // cut into kHalvedScanPieces ranges, each read by whichever connection is free (this thread
  // also runs the sink on every batch: it reads fewer of them). Both read in one
  // snapshot: their read transactions start while a third connection holds the write lock, so
  // that no commit can come between them (SQLite's snapshot API is not in every build). Returns
  // false, having read nothing, for a scope spanning fewer than kHalvedScanRows rowids, a table
  // without rowids (or a view), a TEMP table, an in-memory database, or when the write lock is
  // not free within kHalvedScanLockMs.
  //
  // When every row of the table is in scope and an index begins with the scan's first column
  // and holds all its columns (the key's index, for a scan of the key), the pieces are ranges
  // of that column, read from the index alone (key_index_pieces): its entries hold only the
  // key, where the table's rows hold every column. The recovery's scan of 7.6 M EDGAR keys took
  // 0.73–0.75 s instead of 0.89–1.36 s.
  bool scan_in_halves(std::string_view table, const Schema& columns, const Scope& scope, size_t batch_rows,
                      const std::function<void(const Batch&)>& sink) {
    // Another connection to ":memory:" would open a database of its own.
    if (path_ == ":memory:") return false;
    // A column named rowid would stand for the rowid in the pieces' conditions (NULLs in none).
    auto fields = table_schema(table);
    if (!fields || std::any_of(fields->fields().begin(), fields->fields().end(), [](const Field& field) {
          return field.name.size() == 5 && strncasecmp(field.name.c_str(), "rowid", 5) == 0;
        })) {
      return false;
    }
    // The scope's rowids first (a user's predicate could cost a whole scan: the table's then),
    // outside the snapshot: they only place the split, and the halves are open-ended.
    Params range_params;
    const std::string range_where = scope.kind == Scope::Kind::kWhere ? "" : scope_clause(scope, range_params);
    std::optional<int64_t> low, high;
    try {
      for (auto [end, bound] : {std::pair{"min", &low}, std::pair{"max", &high}}) {
        auto rows = query(fmt::format("SELECT {}(rowid) FROM {}{}", end, quote(table), range_where), range_params);
        *bound = parse_int64(rows.at(0).at(0).value_or(""));
      }
    } catch (const Error&) {
      return false;  // no rowid (WITHOUT ROWID, a view): one connection
    }
    if (!low || !high || *high < *low) return false;
    // Unsigned: rowids may be anywhere in int64's range.
    const uint64_t span = static_cast<uint64_t>(*high) - static_cast<uint64_t>(*low);
    if (span < static_cast<uint64_t>(kHalvedScanRows)) return false;
    // Piece p holds the rowids from bounds[p - 1] up to bounds[p] (the first and the last open-ended).
    std::vector<int64_t> bounds;
    for (uint64_t piece = 1; piece < kHalvedScanPieces; ++piece) {
      bounds.push_back(rowid_at(*low, span, piece, kHalvedScanPieces) + 1);
    }
    std::unique_ptr<SqliteTarget> other, lock;
    try {
      other.reset(static_cast<SqliteTarget*>(open_sqlite(path_).release()));
      // A TEMP table of this connection is not the other's to read.
      if (!other->table_schema(table)) return false;
      lock.reset(static_cast<SqliteTarget*>(open_sqlite(path_).release()));
      sqlite3_busy_timeout(lock->db_, kHalvedScanLockMs);
      lock->execute("BEGIN IMMEDIATE", {});
    } catch (const Error&) {
      return false;  // busy, or cannot open: one connection
    }
    try {
      // A read transaction starts at its first read of the database.
      execute("BEGIN", {});
      query("SELECT 1 FROM sqlite_master LIMIT 1", {});
      IDEMLOAD_FAILPOINT(between_scan_halves);
      other->execute("BEGIN", {});
      other->query("SELECT 1 FROM sqlite_master LIMIT 1", {});
      lock->rollback();
      // In the snapshot: a row of another batch committed before it would be in the index.
      std::optional<IndexPieces> by_key;
      if (whole_table_in_scope(table, scope)) by_key = key_index_pieces(table, columns, *low, span);
      // A copy of the key's bounds for the other connection: each binds only its own.
      std::vector<Value> copies;
      if (by_key) {
        for (const Value& bound : by_key->bounds) copies.push_back(dup_value(bound.get()));
      }
      auto read_piece = [&](SqliteTarget& on, size_t piece, const BatchSink& to) {
        std::string sql = select_list(table, columns);
        Params params;
        std::vector<const sqlite3_value*> values;
        if (!by_key) {
          const std::string where = scope_clause(scope, params);
          sql += where + range_conditions("rowid", piece, bounds.size(), !where.empty());
          if (piece > 0) params.emplace_back(bounds[piece - 1]);
          if (piece < bounds.size()) params.emplace_back(bounds[piece]);
        } else if (piece == 0) {
          sql += fmt::format(" WHERE {} IS NULL", by_key->column);
        } else {
          const std::vector<Value>& mine = &on == this ? by_key->bounds : copies;
          const size_t range = piece - 1;
          sql += range_conditions(by_key->column, range, mine.size(), false);
          if (range > 0) values.push_back(mine[range - 1].get());
          if (range < mine.size()) values.push_back(mine[range].get());
        }
        on.scan_rows(sql, params, table, columns, batch_rows, to, values);
      };
      scan_halves(
          by_key ? by_key->bounds.size() + 2 : bounds.size() + 1,
          [&](size_t piece, const BatchSink& to) { read_piece(*this, piece, to); },
          [&](size_t piece, const BatchSink& to) { read_piece(*other, piece, to); }, sink,
          kHalvedScanWaiting);
      other->rollback();
      rollback();  // read only: nothing to commit
      return true;
    } catch (...) {
      other->rollback();
      lock->rollback();
      rollback();
      throw;
    }
  }

  // The rowid `part` / `parts` of the way from `low` over `span` (unsigned: rowids may be
  // anywhere in int64's range, and span * part may not fit).
  static int64_t rowid_at(int64_t low, uint64_t span, uint64_t part, uint64_t parts) {
    const uint64_t offset = span / parts * part + span % parts * part / parts;
    return static_cast<int64_t>(static_cast<uint64_t>(low) + offset);
  }

  // The conditions of range `range` of bounds + 1 ranges of `column`: from bound range - 1
  // (none for the first) up to bound range (none for the last), as " WHERE …" or, after a
  // WHERE already written, " AND …". The caller binds the bounds in that order.
  static std::string range_conditions(std::string_view column, size_t range, size_t bounds,
                                      bool after_where) {
    std::string sql;
    const char* joiner = after_where ? " AND" : " WHERE";
    if (range > 0) {
      sql += fmt::format("{} {} >= ?", joiner, column);
      joiner = " AND";
    }
    if (range < bounds) sql += fmt::format("{} {} < ?", joiner, column);
    return sql;
  }

  // A value read back from the database, its storage class and bytes kept.
  struct ValueFree {
    void operator()(sqlite3_value* value) const { sqlite3_value_free(value); }
  };
  using Value = std::unique_ptr<sqlite3_value, ValueFree>;
  static Value dup_value(const sqlite3_value* value) {
    sqlite3_value* copy = sqlite3_value_dup(value);
    if (copy == nullptr) throw std::bad_alloc();
    return Value(copy);
  }

  // The same storage class and bytes.
  static bool same_value(sqlite3_value* a, sqlite3_value* b) {
    const int type = sqlite3_value_type(a);
    if (type != sqlite3_value_type(b)) return false;
    switch (type) {
      case SQLITE_NULL:
        return true;
      case SQLITE_INTEGER:
        return sqlite3_value_int64(a) == sqlite3_value_int64(b);
      case SQLITE_FLOAT:
        return sqlite3_value_double(a) == sqlite3_value_double(b);
      default: {
        // Text as text: sqlite3_value_blob would mark a text value as a blob as well.
        auto bytes_of = [type](sqlite3_value* value) -> const void* {
          return type == SQLITE_TEXT ? static_cast<const void*>(sqlite3_value_text(value))
                                     : sqlite3_value_blob(value);
        };
        const void* bytes_a = bytes_of(a);
        const void* bytes_b = bytes_of(b);
        const int size = sqlite3_value_bytes(a);
        return size == sqlite3_value_bytes(b) &&
               (size == 0 || std::memcmp(bytes_a, bytes_b, static_cast<size_t>(size)) == 0);
      }
    }
  }

  // True when SQLite answers `sql` from an index alone, searching it rather than reading the
  // table: every line of its plan reads "SEARCH <table> USING COVERING INDEX ...". The plan's
  // wording is not a stable interface: when it changes, the answer is only "no".
  bool searches_covering_index(const std::string& sql) {
    Statement stmt = prepare("EXPLAIN QUERY PLAN " + sql);
    bool lines = false;
    while (step(stmt.get(), "cannot explain a query plan") == SQLITE_ROW) {
      const auto* detail = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 3));
      const std::string_view text = detail != nullptr ? detail : "";
      if (!text.starts_with("SEARCH ") ||
          text.find(" USING COVERING INDEX ") == std::string_view::npos)
        return false;
      lines = true;
    }
    return lines;
  }

  // Whether every row of `table` is in `scope`, asked in the caller's read transaction. For a
  // batch: no row whose batch compares below or above it, and none without one, so that every
  // row's batch equals it as the scope's "_batch = ?" compares. Each is asked of an index on
  // the batch column; without one the answer is "no" (scanning the table thrice would cost more
  // than reading the keys from their index saves).
  bool whole_table_in_scope(std::string_view table, const Scope& scope) {
    if (scope.kind == Scope::Kind::kAll) return true;
    if (scope.kind != Scope::Kind::kLineage) return false;
    const std::string lineage = quote(kLineageColumn);
    for (const char* outside : {"< ?", "> ?", "IS NULL"}) {
      const std::string sql =
          fmt::format("SELECT 1 FROM {} WHERE {} {} LIMIT 1", quote(table), lineage, outside);
      if (!searches_covering_index(sql)) return false;
      Params params;
      if (std::string_view(outside).ends_with('?')) params.emplace_back(scope.batch);
      if (!query(sql, params).empty()) return false;
    }
    return true;
  }

  // The pieces of a whole table's scan over an index that begins with the scan's first column
  // and holds every column of the scan. Piece 0 holds the rows whose first column is NULL,
  // which no range holds; pieces 1 … bounds.size() + 1 the ranges between the bounds (the first
  // and the last open-ended). The bounds are values of the column sampled at evenly spaced
  // rowids, ordered by SQLite: in the order the pieces' conditions compare in, and bound as
  // read, so each non-NULL value is in exactly one range whatever its type or the column's
  // collation.
  struct IndexPieces {
    std::string column;         // quoted
    std::vector<Value> bounds;  // kHalvedScanPieces - 1, ascending
  };
  static constexpr size_t kIndexSamples = 1024;
  // None when SQLite would not read the pieces from such an index, or the sample has fewer
  // values than pieces.
  std::optional<IndexPieces> key_index_pieces(std::string_view table, const Schema& columns,
                                              int64_t low, uint64_t span) {
    IndexPieces pieces;
    pieces.column = quote(columns.field(0).name);
    const std::string select = select_list(table, columns);
    if (!searches_covering_index(select + fmt::format(" WHERE {} IS NULL", pieces.column)) ||
        !searches_covering_index(select +
                                 fmt::format(" WHERE {0} >= ? AND {0} < ?", pieces.column))) {
      return std::nullopt;
    }
    Params rowids;
    std::string marks;
    for (uint64_t idx = 0; idx < kIndexSamples; ++idx) {
      rowids.emplace_back(rowid_at(low, span, idx, kIndexSamples));
      marks += marks.empty() ? "?" : ", ?";
    }
    Statement stmt = prepare(
        fmt::format("SELECT {0} FROM {1} WHERE rowid IN ({2}) AND {0} IS NOT NULL ORDER BY {0}",
                    pieces.column, quote(table), marks));
    bind(stmt.get(), rowids);
    std::vector<Value> sample;
    while (step(stmt.get(), "cannot sample the key's values") == SQLITE_ROW) {
      sample.push_back(dup_value(sqlite3_column_value(stmt.get(), 0)));
    }
    if (sample.size() < kHalvedScanPieces) return std::nullopt;
    // A value that fills a quarter of the sample fills a piece no bound can cut (a key whose
    // first column is the batch's date, say): one connection would read it alone.
    size_t run = 1;
    for (size_t idx = 1; idx < sample.size(); ++idx) {
      run = same_value(sample[idx - 1].get(), sample[idx].get()) ? run + 1 : 1;
      if (run * 4 > sample.size()) return std::nullopt;
    }
    for (size_t piece = 1; piece < kHalvedScanPieces; ++piece) {
      pieces.bounds.push_back(std::move(sample[piece * sample.size() / kHalvedScanPieces]));
    }
    return pieces;
  }

  int64_t delete_scope(std::string_view table, const Scope& scope) override {
    Params params;
    return execute(fmt::format("DELETE FROM {}{}", quote(table), scope_clause(scope, params)), params);
  }

  std::unique_ptr<BulkWriter> writer(std::string_view table, const Schema& source, const WriteOptions& options) override {
    auto table_fields = table_schema(table);
    if (!table_fields) throw Error::InvalidInput(fmt::format("table {} does not exist", table), {.target = url_});
    // The chunks reach the key's index in key order (strategies/pipeline.h), so an index page
    // is dirtied in one burst and not again in that transaction: a cache a little larger than
    // SQLite's default (2 MB) holds the bursts and the table's last pages. A cache as large as
    // the index is no faster (128 MB measured at 10 M rows) and only costs memory.
    execute(fmt::format("PRAGMA cache_size = -{}", kWriterCacheKib), {});
    std::string cols, marks;
    std::vector<int> param_of_column(source.size(), 0);
    int next_param = 1;
    for (size_t idx = 0; idx < source.size(); ++idx) {
      if (source.field(idx).name == kLineageColumn) continue;
      cols += (cols.empty() ? "" : ", ") + quote(source.field(idx).name);
      marks += marks.empty() ? "?" : ", ?";
      param_of_column[idx] = next_param++;
    }
    int lineage_param = 0;
    if (options.lineage && table_fields->index_of(kLineageColumn)) {
      cols += ", " + quote(kLineageColumn);
      marks += ", ?";
      lineage_param = next_param++;
    }
    std::string verb = options.mode == WriteMode::kInsertIgnore ? "INSERT OR IGNORE" : "INSERT";
    std::string sql = fmt::format("{} INTO {} ({}) VALUES ({})", verb, quote(table), cols, marks);
    if (options.mode == WriteMode::kUpsert) {
      std::string conflict, updates;
      for (const auto& key : options.key) conflict += (conflict.empty() ? "" : ", ") + quote(key);
      for (size_t idx = 0; idx < source.size(); ++idx) {
        const std::string& name = source.field(idx).name;
        if (std::find(options.key.begin(), options.key.end(), name) != options.key.end()) continue;
        updates += (updates.empty() ? "" : ", ") + fmt::format("{0} = excluded.{0}", quote(name));
      }
      if (lineage_param) updates += (updates.empty() ? "" : ", ") + fmt::format("{0} = excluded.{0}", quote(kLineageColumn));
      sql += updates.empty() ? fmt::format(" ON CONFLICT ({}) DO NOTHING", conflict)
                             : fmt::format(" ON CONFLICT ({}) DO UPDATE SET {}", conflict, updates);
    }
    std::unique_ptr<WalCheckpointer> checkpointer;
    if (path_ != ":memory:") {
      auto frames = query("PRAGMA wal_autocheckpoint", {});
      checkpointer = std::make_unique<WalCheckpointer>(
          db_, path_, static_cast<int>(parse_int64(frames.at(0).at(0).value_or("0")).value_or(0)));
    }
    return std::make_unique<SqliteWriter>(*this, prepare(sql), std::move(param_of_column),
                                          lineage_param, options.lineage.value_or(""),
                                          std::move(checkpointer));
  }

  std::string create_temp_table(const Schema& schema) override {
    static std::atomic<int> counter{0};
    std::string name = fmt::format("idemload_tmp_{}_{}", ::getpid(), counter++);
    std::string sql = fmt::format("CREATE TEMP TABLE {} (", quote(name));
    for (size_t idx = 0; idx < schema.size(); ++idx) {
      sql += (idx ? ", " : "") + quote(schema.field(idx).name) + " " + sqlite_type(schema.field(idx));
    }
    execute(sql + ")", {});
    return name;
  }

  int64_t insert_missing(std::string_view table, std::string_view temp_table, const Schema& columns,
                         const std::vector<std::string>& key, const Scope& scope,
                         const std::optional<std::string>& lineage) override {
    Params params;
    auto fields = table_schema(table);
    bool write_lineage = fields && fields->index_of(kLineageColumn).has_value();
    std::string sql = insert_missing_sql(*this, table, temp_table, columns, key, scope, lineage, write_lineage, "IS",
                                         params);
    return execute(sql, params);
  }

  std::unique_ptr<Lock> lock(std::string_view name, std::chrono::milliseconds timeout) override {
    if (path_ == ":memory:" || path_.empty()) return std::make_unique<SqliteLock>(-1);
    std::string lock_path = path_ + "-idemload.lock";
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      throw Error::Io({.file = lock_path}, fmt::format("cannot open lock file: {}", std::strerror(errno)));
    }
    // One byte per lock name, chosen by hash: two names sharing a byte only wait for each other.
    struct flock region {};
    region.l_type = F_WRLCK;
    region.l_whence = SEEK_SET;
    region.l_start = static_cast<off_t>(hash_bytes(name) % (1ULL << 30));
    region.l_len = 1;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (::fcntl(fd, F_OFD_SETLK, &region) != 0) {
      if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
        ::close(fd);
        throw Error::Io({.file = lock_path}, fmt::format("cannot lock: {}", std::strerror(errno)));
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ::close(fd);
        throw Error::TargetConflict(
            fmt::format("another idemload job holds the lock '{}' (waited {} ms; --lock-timeout to wait longer)", name,
                        timeout.count()),
            {.target = url_});
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::make_unique<SqliteLock>(fd);
  }

  sqlite3* db() { return db_; }

 private:
  std::string path_;
  sqlite3* db_;
  std::string url_;
  std::unordered_map<std::string, Statement> cache_;
};

int64_t SqliteWriter::write(const Batch& batch) {
  if (batch.num_rows() == 0) return 0;
  // A savepoint makes each write() all-or-nothing, inside the caller's transaction or, in
  // autocommit, as one transaction of its own (which is also far faster than one per row).
  target_.execute("SAVEPOINT idemload_write", {});
  try {
    int64_t inserted = write_rows(batch);
    target_.execute("RELEASE idemload_write", {});
    return inserted;
  } catch (...) {
    sqlite3_exec(target_.db(), "ROLLBACK TO idemload_write; RELEASE idemload_write", nullptr, nullptr, nullptr);
    throw;
  }
}

int64_t SqliteWriter::write_rows(const Batch& batch) {
  sqlite3_stmt* stmt = stmt_.get();
  int64_t inserted = 0;
  const size_t rows = batch.num_rows();
  // SQLite stores dates and times as text. Formatting them all first, column by column, lets
  // each be bound in place (SQLITE_STATIC) instead of copied by SQLite row after row.
  text_.clear();
  text_ends_.resize(param_of_column_.size());
  for (size_t col = 0; col < param_of_column_.size(); ++col) {
    std::vector<uint32_t>& ends = text_ends_[col];
    ends.clear();
    const Column& column = batch.column(col);
    if (param_of_column_[col] == 0 || (column.type() != Type::kDate && column.type() != Type::kTimestamp &&
                                       column.type() != Type::kTime)) {
      continue;
    }
    ends.reserve(rows + 1);
    ends.push_back(static_cast<uint32_t>(text_.size()));
    for (size_t row = 0; row < rows; ++row) {
      if (!column.is_null(row)) append_value_text(column, row, text_);
      if (text_.size() > UINT32_MAX) throw Error::Internal("date and time text of one batch exceeds 4 GiB");
      ends.push_back(static_cast<uint32_t>(text_.size()));
    }
  }
  for (size_t row = 0; row < rows; ++row) {
    sqlite3_reset(stmt);
    for (size_t col = 0; col < param_of_column_.size(); ++col) {
      int pos = param_of_column_[col];
      if (pos == 0) continue;
      const Column& column = batch.column(col);
      if (column.is_null(row)) {
        sqlite3_bind_null(stmt, pos);
        continue;
      }
      switch (column.type()) {
        case Type::kBool:
        case Type::kInt64: sqlite3_bind_int64(stmt, pos, column.int_at(row)); break;
        case Type::kDouble: sqlite3_bind_double(stmt, pos, column.double_at(row)); break;
        case Type::kBinary: {
          auto bytes = column.bytes_at(row);
          sqlite3_bind_blob(stmt, pos, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
          break;
        }
        case Type::kString:
        case Type::kDecimal: {
          auto bytes = column.bytes_at(row);
          sqlite3_bind_text(stmt, pos, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
          break;
        }
        case Type::kDate:
        case Type::kTimestamp:
        case Type::kTime: {
          const std::vector<uint32_t>& ends = text_ends_[col];  // value `row`: ends[row] to ends[row + 1]
          sqlite3_bind_text(stmt, pos, text_.data() + ends[row], static_cast<int>(ends[row + 1] - ends[row]),
                            SQLITE_STATIC);
          break;
        }
      }
    }
    if (lineage_param_) {
      sqlite3_bind_text(stmt, lineage_param_, lineage_.data(), static_cast<int>(lineage_.size()), SQLITE_STATIC);
    }
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
      sqlite3_reset(stmt);
      ErrorContext context{.file = batch.source_file};
      if (!batch.source_rows.empty()) context.row = batch.source_rows[row];
      try {
        target_.fail(rc, "insert failed");
      } catch (const Error& error) {
        throw error.with_context(context);
      }
    }
    inserted += sqlite3_changes64(target_.db());
  }
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);  // no binding may outlive the batch and text_ it points into
  return inserted;
}

}  // namespace

std::unique_ptr<Target> open_sqlite(const std::string& path) {
  if (path.empty()) throw Error::InvalidInput("empty SQLite path in target URL");
  // SQLite counts every allocation under a process-wide mutex unless told not to; nothing here
  // reads those counts. Only possible before SQLite initializes (later calls change nothing).
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    throw Error::TargetUnavailable(fmt::format("cannot open SQLite database: {}", message),
                                   {.target = "sqlite:" + path});
  }
  sqlite3_busy_timeout(db, 30000);
  auto target = std::make_unique<SqliteTarget>(path, db);
  // WAL: readers (monitor, heartbeat) do not block the loader; NORMAL sync is durable across a
  // process crash (kill -9), which is what the ledger's guarantees rest on.
  try {
    target->execute("PRAGMA journal_mode=WAL", {});
    target->execute("PRAGMA synchronous=NORMAL", {});
    target->execute("PRAGMA foreign_keys=OFF", {});
  } catch (const Error& error) {
    throw Error::TargetUnavailable(fmt::format("cannot use SQLite database: {}", error.message()),
                                   {.target = "sqlite:" + path});
  }
  return target;
}

}  // namespace idemload::targets
