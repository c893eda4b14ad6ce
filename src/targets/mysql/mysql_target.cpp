// The MySQL/MariaDB target: libmariadb over the text protocol for DDL and LOAD DATA, prepared
// statements (binary protocol) for everything with values, streamed unbuffered for scans.
//
// Exactness: tables are created with utf8mb4 and a binary NO PAD collation, so string keys
// compare byte for byte (case and trailing spaces matter). MySQL cannot index LONGTEXT, so
// string key columns are VARCHAR(255) (less when there are more than three of them; see
// key_text_length) and binary keys VARBINARY; longer key values are refused by strict mode.
//
// Transactions: MySQL commits implicitly before DDL (CREATE/ALTER/DROP/RENAME TABLE), so
// create_table, add_column, drop_table and replace_table end any open transaction. Temporary
// tables are the exception and are safe inside one.
#include <errmsg.h>
#include <mysqld_error.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <exception>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "core/error.h"
#include "core/failpoint.h"
#include "core/value_text.h"
#include "targets/mysql/mysql_connection.h"
#include "targets/mysql/mysql_dialect.h"
#include "targets/portable_sql.h"
#include "targets/target.h"
#include "targets/url.h"

namespace idemload::targets {

std::unique_ptr<Target> open_mysql(std::string_view url);

namespace {

using mysql::Connection;
using mysql::Statement;
using mysql::ValueClass;

constexpr std::string_view kLineageVariable = "@idemload_lineage";
constexpr size_t kStatementCacheSize = 64;
// How long a count in two pieces waits for its table lock before counting on one connection.
constexpr int kSplitCountLockSeconds = 2;

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The source row that MySQL's "... at row N" / "at line N" names, if the batch knows it.
void add_row_context(const Batch& batch, const Error& error, ErrorContext& context) {
  for (std::string_view marker : {"at row ", "at line "}) {
    size_t pos = error.message().find(marker);
    if (pos == std::string::npos) continue;
    auto number = parse_int64(std::string_view(error.message()).substr(pos + marker.size()).substr(
        0, error.message().find_first_not_of("0123456789", pos + marker.size()) - pos - marker.size()));
    if (number && *number >= 1 && static_cast<size_t>(*number) <= batch.source_rows.size()) {
      context.row = batch.source_rows[static_cast<size_t>(*number - 1)];
    }
    return;
  }
}

class MysqlLock : public Lock {
 public:
  explicit MysqlLock(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {}
  // Closing the dedicated connection releases the lock (as a crash of this process would).
  ~MysqlLock() override = default;

 private:
  std::unique_ptr<Connection> connection_;
};

class MysqlTarget;

// Makes one batch all-or-nothing. LOAD DATA LOCAL cannot stop the client's stream, so it loads
// what it can and reports skipped keys and bad values as warnings; a batch that fails on them
// must be taken back whole. Inside the caller's transaction that is a savepoint, in autocommit
// a transaction of its own. Destroyed without commit(), it rolls back (quietly).
class BatchAtomicity {
 public:
  explicit BatchAtomicity(Connection& connection)
      : connection_(connection), own_transaction_(!connection.in_transaction()) {
    connection_.run(own_transaction_ ? "START TRANSACTION" : "SAVEPOINT idemload_batch");
  }
  ~BatchAtomicity() {
    if (!done_) connection_.run_quietly(own_transaction_ ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT idemload_batch");
  }
  BatchAtomicity(const BatchAtomicity&) = delete;
  BatchAtomicity& operator=(const BatchAtomicity&) = delete;

  void commit() {
    done_ = true;
    connection_.run(own_transaction_ ? "COMMIT" : "RELEASE SAVEPOINT idemload_batch");
  }

 private:
  Connection& connection_;
  bool own_transaction_;
  bool done_ = false;
};

// LOAD DATA LOCAL INFILE per batch, fed from memory. kInsert and kInsertIgnore load straight
// into the table; kUpsert loads into a temporary stage table and merges it with INSERT … SELECT
// … ON DUPLICATE KEY UPDATE, so all three modes share the one fast path.
class MysqlWriter : public BulkWriter {
 public:
  MysqlWriter(MysqlTarget& target, std::string table, const Schema& source, const WriteOptions& options,
              bool write_lineage);
  ~MysqlWriter() override;
  int64_t write(const Batch& batch) override;
  int64_t flush() override { return 0; }

 private:
  int64_t load(const Batch& batch, std::string_view into);
  int64_t insert_rows(const Batch& batch, std::string_view into);

  MysqlTarget& target_;
  std::string table_;
  WriteOptions options_;
  bool write_lineage_;
  std::vector<size_t> columns_;  // batch columns written, in the order of column_list_
  std::string column_list_;      // "`a`, `b`"
  std::string stage_;            // kUpsert: the temporary stage table
  std::string load_sql_;
  bool load_ignores_ = false;      // LOAD DATA … IGNORE (kInsertIgnore)
  bool load_sets_lineage_ = false; // the loaded table takes _batch from the session variable
  std::string merge_sql_;
  bool merge_counts_all_ = false;  // merge updates duplicates: every row counts once
  std::string buffer_;
};

class MysqlTarget : public Target {
 public:
  explicit MysqlTarget(std::unique_ptr<Connection> connection) : conn_(std::move(connection)) {}
  ~MysqlTarget() override { cache_.clear(); }

  Connection& connection() { return *conn_; }

  DialectKind dialect() const override { return DialectKind::kMysql; }
  const std::string& display_url() const override { return conn_->display_url(); }
  std::unique_ptr<Target> reconnect() const override { return open_mysql(conn_->url()); }
  bool parallel_writes() const override { return true; }
  // Fewer ranges than SQLite and PostgreSQL: InnoDB pays for each chunk (chunks of a quarter of
  // --chunk-rows made a 10 M-row load 5 s slower), so its chunks stay near --chunk-rows rows.
  size_t chunk_key_ranges() const override { return 4; }
  std::string quote(std::string_view identifier) const override {
    std::string out = "`";
    for (char c : identifier) {
      if (c == '`') out += '`';
      out += c;
    }
    return out + "`";
  }

  Statement& cached(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end()) return *it->second;
    if (cache_.size() >= kStatementCacheSize) cache_.clear();
    auto statement = std::make_unique<Statement>(*conn_, sql);
    return *cache_.emplace(std::string(sql), std::move(statement)).first->second;
  }

  int64_t execute(std::string_view sql, const Params& params) override {
    if (params.empty()) {
      // The text protocol runs anything (DDL included); a DDL may change what cached
      // statements return, so they are prepared afresh afterwards.
      cache_.clear();
      return conn_->run(sql);
    }
    return cached(sql).execute(params);
  }

  std::vector<ResultRow> query(std::string_view sql, const Params& params) override {
    Statement* statement = nullptr;
    try {
      statement = &cached(sql);
    } catch (const Error& error) {
      // A few statements (some SHOW forms) cannot be prepared: run them as text.
      if (!params.empty() || error.message().find("MySQL error 1295") == std::string::npos) throw;
      return query_text(sql);
    }
    statement->execute(params);
    std::vector<ResultRow> rows;
    const size_t columns = statement->columns();
    while (statement->fetch()) {
      ResultRow row(columns);
      for (size_t col = 0; col < columns; ++col) {
        if (statement->is_null(col)) continue;
        std::string text;
        statement->append_text(col, text);
        row[col] = std::move(text);
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::vector<ResultRow> query_text(std::string_view sql) {
    MYSQL* raw = conn_->raw();
    if (mysql_real_query(raw, sql.data(), sql.size()) != 0) {
      throw conn_->error(fmt::format("'{}' failed", sql.substr(0, 200)));
    }
    std::vector<ResultRow> rows;
    MYSQL_RES* result = mysql_store_result(raw);
    if (result == nullptr) {
      if (mysql_field_count(raw) == 0) return rows;
      throw conn_->error(fmt::format("reading the result of '{}' failed", sql.substr(0, 200)));
    }
    unsigned columns = mysql_num_fields(result);
    while (MYSQL_ROW values = mysql_fetch_row(result)) {
      unsigned long* lengths = mysql_fetch_lengths(result);
      ResultRow row(columns);
      for (unsigned col = 0; col < columns; ++col) {
        if (values[col] != nullptr) row[col] = std::string(values[col], lengths[col]);
      }
      rows.push_back(std::move(row));
    }
    mysql_free_result(result);
    return rows;
  }

  void begin() override { conn_->run("START TRANSACTION"); }

  void commit() override {
    MYSQL* raw = conn_->raw();
    if (mysql_real_query(raw, "COMMIT", 6) == 0) return;
    unsigned number = mysql_errno(raw);
    // Lost while the server had the COMMIT: it may or may not have committed.
    if (number == CR_SERVER_LOST || number == 2055) {
      throw Error::InDoubt(conn_->scrub(fmt::format("the connection was lost during COMMIT: {} (MySQL error {})",
                                                    mysql_error(raw), number)),
                           {.target = conn_->display_url()});
    }
    throw conn_->error("COMMIT failed");
  }

  void rollback() override { conn_->run_quietly("ROLLBACK"); }

  std::optional<Schema> table_schema(std::string_view table) override {
    auto temp = temp_tables_.find(std::string(table));
    if (temp != temp_tables_.end()) return temp->second;
    // information_schema compares names without regard to case; the second condition makes the
    // match exact, as table names are on Linux.
    auto rows = query(
        "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COALESCE(NUMERIC_PRECISION, 0), COALESCE(NUMERIC_SCALE, 0), "
        "IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? "
        "AND CAST(TABLE_NAME AS BINARY) = CAST(? AS BINARY) ORDER BY ORDINAL_POSITION",
        {std::string(table), std::string(table)});
    if (rows.empty()) return std::nullopt;
    Schema schema;
    for (auto& row : rows) {
      schema.add(mysql::field_from_column(row[0].value_or(""), row[1].value_or(""), row[2].value_or(""),
                                          static_cast<int>(parse_int64(row[3].value_or("0")).value_or(0)),
                                          static_cast<int>(parse_int64(row[4].value_or("0")).value_or(0)),
                                          row[5].value_or("YES") == "YES"));
    }
    return schema;
  }

  std::string table_options() const {
    return fmt::format(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={}", conn_->exact_collation());
  }

  void create_table(std::string_view table, const Schema& schema, const CreateOptions& options) override {
    size_t variable_keys = 0;
    for (const auto& key : options.primary_key) {
      auto idx = schema.index_of(key);
      if (!idx) {
        throw Error::InvalidInput(fmt::format("primary key column '{}' is not a column of {} ({})", key, table,
                                              schema.to_string()),
                                  {.target = conn_->display_url()});
      }
      Type type = schema.field(*idx).type;
      if (type == Type::kString || type == Type::kBinary) ++variable_keys;
    }
    const int key_length = mysql::key_text_length(variable_keys);
    std::string sql = fmt::format("CREATE TABLE IF NOT EXISTS {} (", quote(table));
    for (size_t idx = 0; idx < schema.size(); ++idx) {
      const Field& field = schema.field(idx);
      bool is_key = std::find(options.primary_key.begin(), options.primary_key.end(), field.name) !=
                    options.primary_key.end();
      if (idx > 0) sql += ", ";
      sql += quote(field.name) + " " + mysql::column_type(field, is_key, key_length);
      if (!field.nullable) sql += " NOT NULL";
    }
    bool lineage = options.lineage && !schema.index_of(kLineageColumn);
    if (lineage) sql += fmt::format(", {} VARCHAR(255)", quote(kLineageColumn));
    if (!options.primary_key.empty()) {
      sql += ", PRIMARY KEY (";
      for (size_t idx = 0; idx < options.primary_key.size(); ++idx) {
        sql += (idx ? ", " : "") + quote(options.primary_key[idx]);
      }
      sql += ")";
    }
    if (options.lineage) sql += fmt::format(", INDEX {} ({})", quote("idemload_batch"), quote(kLineageColumn));
    sql += ")" + table_options();
    execute(sql, {});
  }

  void add_column(std::string_view table, const Field& field) override {
    execute(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", quote(table), quote(field.name),
                        mysql::column_type(field, false, 0)),
            {});
  }

  void drop_table(std::string_view table) override {
    auto temp = temp_tables_.find(std::string(table));
    if (temp != temp_tables_.end()) {
      execute(fmt::format("DROP TEMPORARY TABLE IF EXISTS {}", quote(table)), {});
      temp_tables_.erase(temp);
      return;
    }
    execute(fmt::format("DROP TABLE IF EXISTS {}", quote(table)), {});
  }

  void replace_table(std::string_view table, std::string_view replacement) override {
    if (!table_schema(table)) {
      execute(fmt::format("RENAME TABLE {} TO {}", quote(replacement), quote(table)), {});
      return;
    }
    static std::atomic<int> counter{0};
    std::string old = fmt::format("idemload_old_{}_{}", ::getpid(), counter++);
    // One RENAME TABLE statement swaps both names atomically: readers see the old table or the
    // new one, never neither. A crash before the DROP leaves only an orphan idemload_old_* table.
    execute(fmt::format("RENAME TABLE {} TO {}, {} TO {}", quote(table), quote(old), quote(replacement), quote(table)),
            {});
    execute(fmt::format("DROP TABLE IF EXISTS {}", quote(old)), {});
  }

  bool has_unique_key(std::string_view table, const std::vector<std::string>& columns) override {
    auto rows = query(
        "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = ? AND CAST(TABLE_NAME AS BINARY) = CAST(? AS BINARY) AND NON_UNIQUE = 0 "
        "ORDER BY INDEX_NAME, SEQ_IN_INDEX",
        {std::string(table), std::string(table)});
    auto covers = [&](const std::vector<std::string>& names) {
      if (names.size() != columns.size()) return false;
      return std::all_of(columns.begin(), columns.end(), [&](const std::string& want) {
        return std::any_of(names.begin(), names.end(), [&](const std::string& have) { return same_name(have, want); });
      });
    };
    std::vector<std::string> names;
    std::optional<std::string> index;
    for (auto& row : rows) {
      if (index != row[0]) {
        if (index && covers(names)) return true;
        index = row[0];
        names.clear();
      }
      names.push_back(row[1].value_or(""));
    }
    return index && covers(names);
  }

  // " WHERE …" (or "") and its parameters.
  std::string scope_clause(const Scope& scope, Params& params) const { return scope_where_clause(*this, scope, params); }

  // " FORCE INDEX (…)" naming the index that leads with _batch, for a lineage scope whose
  // `columns` that index holds (with the primary key's columns, which every InnoDB secondary
  // index carries); "" otherwise. When the scope is most of the table the optimizer may read
  // it by a full scan of the clustered index, every column of every row: after a 10 M-row load
  // the end count went through the 207 000 pages of the clustered index instead of the 41 000
  // of the _batch index (12 s instead of 4 s).
  // With `primary_key`, that gets the primary key's columns in order (when the hint is asked).
  std::string lineage_index_hint(std::string_view table, const Scope& scope, const std::vector<std::string>& columns,
                                 std::vector<std::string>* primary_key = nullptr) {
    if (scope.kind != Scope::Kind::kLineage) return "";
    auto rows = query(
        "SELECT INDEX_NAME, COLUMN_NAME, SEQ_IN_INDEX FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
        "DATABASE() AND TABLE_NAME = ? AND CAST(TABLE_NAME AS BINARY) = CAST(? AS BINARY) ORDER BY INDEX_NAME, "
        "SEQ_IN_INDEX",
        {std::string(table), std::string(table)});
    std::optional<std::string> index;
    std::vector<std::string> held;  // the primary key's columns and the index's
    for (auto& row : rows) {
      const std::string name = row[0].value_or("");
      const std::string column = row[1].value_or("");
      if (name == "PRIMARY") {
        held.push_back(column);
        if (primary_key != nullptr) primary_key->push_back(column);
      }
      if (!index && row[2] == "1" && same_name(column, kLineageColumn)) index = name;
      if (index && name == *index) held.push_back(column);
    }
    if (!index || *index == "PRIMARY") return "";
    for (const auto& want : columns) {
      bool found = std::any_of(held.begin(), held.end(), [&](const std::string& have) { return same_name(have, want); });
      if (!found) return "";
    }
    return fmt::format(" FORCE INDEX ({})", quote(*index));
  }

  int64_t count(std::string_view table, const Scope& scope) override {
    return count_on(*this, table, lineage_index_hint(table, scope, {}), scope, "", std::nullopt);
  }

  // COUNT(*) of the rows in scope, read through `hint` (lineage_index_hint), on `on`; with
  // `condition` (SQL with one parameter, `value`) only the rows that also meet it.
  int64_t count_on(MysqlTarget& on, std::string_view table, std::string_view hint, const Scope& scope,
                   std::string_view condition, const std::optional<Param>& value) const {
    Params params;
    std::string sql = fmt::format("SELECT COUNT(*) FROM {}{}", quote(table), hint);
    const std::string where = scope_clause(scope, params);
    sql += where;
    if (!condition.empty()) {
      sql += fmt::format("{} {}", where.empty() ? " WHERE" : " AND", condition);
      params.push_back(*value);
    }
    auto rows = on.query(sql, params);
    return parse_int64(rows.at(0).at(0).value_or("0")).value_or(0);
  }

  // The count in two pieces at once, for a lineage scope counted through its _batch index
  // when `split.column` leads the primary key: each piece a range of that index (the batch,
  // then the key), counted on a connection of its own, so that the server counts on two cores.
  // A count is the server stepping through the index entry by entry on one core: the 9.7 M
  // rows after the benchmark's load took 2.9–3.1 s on one connection, 2.2 s in two pieces.
  // Both pieces count in one snapshot: their transactions start while a third connection holds
  // LOCK TABLES … READ on the table, which waits for the transactions writing it to end and
  // keeps new ones from writing until both snapshots exist. Counts on one connection, as
  // count() does, inside a transaction, without the split, without such an index, or when the
  // lock is refused (no LOCK TABLES privilege) or not free within kSplitCountLockSeconds.
  int64_t count_with(std::string_view table, const Scope& scope, const CountSplit& split) override {
    if (!split.at || conn_->in_transaction()) return count(table, scope);
    std::vector<std::string> primary_key;
    const std::string hint = lineage_index_hint(table, scope, {}, &primary_key);
    auto one_piece = [&] { return count_on(*this, table, hint, scope, "", std::nullopt); };
    if (hint.empty() || primary_key.empty() || !same_name(primary_key[0], split.column)) return one_piece();
    std::unique_ptr<Target> other_target, lock_target;
    try {
      other_target = open_mysql(conn_->url());
      lock_target = open_mysql(conn_->url());
      auto& lock = static_cast<MysqlTarget&>(*lock_target).connection();
      lock.run(fmt::format("SET SESSION lock_wait_timeout = {0}, innodb_lock_wait_timeout = {0}",
                           kSplitCountLockSeconds));
      lock.run(fmt::format("LOCK TABLES {} READ", quote(table)));
    } catch (const Error&) {
      return one_piece();
    }
    MysqlTarget& other = static_cast<MysqlTarget&>(*other_target);
    const std::string column = quote(split.column);
    try {
      for (MysqlTarget* on : {this, &other}) {
        on->conn_->run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        on->conn_->run("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
        if (on == this) IDEMLOAD_FAILPOINT(between_count_snapshots);
      }
      static_cast<MysqlTarget&>(*lock_target).connection().run("UNLOCK TABLES");
      lock_target.reset();
      int64_t rest_rows = 0;
      std::exception_ptr rest_error;
      std::thread rest_counter([&] {
        try {
          rest_rows = count_on(other, table, hint, scope, fmt::format("({0} >= ? OR {0} IS NULL)", column), split.at);
        } catch (...) {
          rest_error = std::current_exception();
        }
      });
      int64_t below_rows = 0;
      std::exception_ptr below_error;
      try {
        below_rows = count_on(*this, table, hint, scope, column + " < ?", split.at);
      } catch (...) {
        below_error = std::current_exception();
      }
      rest_counter.join();
      if (below_error) std::rethrow_exception(below_error);
      if (rest_error) std::rethrow_exception(rest_error);
      other.rollback();
      rollback();  // read only: nothing to commit
      return below_rows + rest_rows;
    } catch (...) {
      other.rollback();
      rollback();
      throw;
    }
  }

  void scan(std::string_view table, const Schema& columns, const Scope& scope, size_t batch_rows,
            const std::function<void(const Batch&)>& sink) override {
    Params params;
    std::string list;
    std::vector<std::string> names;
    for (const auto& field : columns.fields()) {
      list += (list.empty() ? "" : ", ") + quote(field.name);
      names.push_back(field.name);
    }
    std::string sql = fmt::format("SELECT {} FROM {}{}{}", list, quote(table), lineage_index_hint(table, scope, names),
                                  scope_clause(scope, params));
    // Its own statement, read unbuffered: rows stream off the network as the sink consumes
    // them, so memory stays bounded by one batch. The sink must not use this target meanwhile.
    Statement statement(*conn_, sql);
    statement.execute(params);
    Batch batch(std::make_shared<const Schema>(columns));
    batch.reserve(std::max<size_t>(batch_rows, 1));
    std::string scratch;
    while (statement.fetch()) {
      for (size_t col = 0; col < columns.size(); ++col) {
        append_converted(statement, col, batch.column(col), scratch, table, columns.field(col).name);
      }
      if (batch.num_rows() >= batch_rows) {
        sink(batch);
        batch.clear();
      }
    }
    if (batch.num_rows() > 0) sink(batch);
  }

  // Appends result column `col` of the fetched row to `column`, converted to its type: the
  // natural pairs directly, anything else through the value's text form.
  void append_converted(const Statement& statement, size_t col, Column& column, std::string& scratch,
                        std::string_view table, std::string_view name) const {
    if (statement.is_null(col)) {
      column.append_null();
      return;
    }
    const ValueClass value_class = statement.value_class(col);
    switch (column.type()) {
      case Type::kBool:
        if (value_class == ValueClass::kInt) return column.append_int(statement.int_at(col) != 0 ? 1 : 0);
        break;
      case Type::kInt64:
        if (value_class == ValueClass::kInt && (!statement.is_unsigned(col) || statement.int_at(col) >= 0)) {
          return column.append_int(statement.int_at(col));
        }
        break;
      case Type::kDouble:
        if (value_class == ValueClass::kDouble) return column.append_double(statement.double_at(col));
        if (value_class == ValueClass::kInt && !statement.is_unsigned(col)) {
          return column.append_double(static_cast<double>(statement.int_at(col)));
        }
        break;
      case Type::kDate:
        if (value_class == ValueClass::kTemporal && statement.temporal_type(col) == MYSQL_TYPE_DATE) {
          const MYSQL_TIME& time = statement.time_at(col);
          return column.append_int(days_from_civil(time.year, time.month, time.day));
        }
        break;
      case Type::kTimestamp:
        if (value_class == ValueClass::kTemporal && statement.temporal_type(col) != MYSQL_TYPE_TIME &&
            statement.time_at(col).month != 0 && statement.time_at(col).day != 0) {
          const MYSQL_TIME& time = statement.time_at(col);
          int64_t seconds = days_from_civil(time.year, time.month, time.day) * 86400 +
                            static_cast<int64_t>(time.hour) * 3600 + time.minute * 60 + time.second;
          return column.append_int(seconds * 1000000 + static_cast<int64_t>(time.second_part));
        }
        break;
      case Type::kTime:
        if (value_class == ValueClass::kTemporal && statement.temporal_type(col) == MYSQL_TYPE_TIME &&
            !statement.time_at(col).neg && statement.time_at(col).hour < 24) {
          const MYSQL_TIME& time = statement.time_at(col);
          int64_t seconds = static_cast<int64_t>(time.hour) * 3600 + time.minute * 60 + time.second;
          return column.append_int(seconds * 1000000 + static_cast<int64_t>(time.second_part));
        }
        break;
      case Type::kString:
      case Type::kBinary:
        if (value_class == ValueClass::kBytes) return column.append_bytes(statement.bytes_at(col));
        scratch.clear();
        statement.append_text(col, scratch);
        return column.append_bytes(scratch);
      case Type::kDecimal: break;
    }
    scratch.clear();
    statement.append_text(col, scratch);
    if (!append_parsed(column, scratch)) {
      throw Error::SchemaDrift(fmt::format("value '{}' in table {} does not convert to {}", scratch.substr(0, 80),
                                           table, type_name(column.type())),
                               ErrorContext{.column = std::string(name), .target = conn_->display_url()});
    }
  }

  int64_t delete_scope(std::string_view table, const Scope& scope) override {
    Params params;
    std::string sql = fmt::format("DELETE FROM {}{}", quote(table), scope_clause(scope, params));
    return params.empty() ? execute(sql, {}) : execute(sql, params);
  }

  std::unique_ptr<BulkWriter> writer(std::string_view table, const Schema& source,
                                     const WriteOptions& options) override {
    auto fields = table_schema(table);
    if (!fields) {
      throw Error::InvalidInput(fmt::format("table {} does not exist", table), {.target = conn_->display_url()});
    }
    bool write_lineage = options.lineage.has_value() && fields->index_of(kLineageColumn).has_value();
    return std::make_unique<MysqlWriter>(*this, std::string(table), source, options, write_lineage);
  }

  std::string create_temp_table(const Schema& schema) override {
    static std::atomic<int> counter{0};
    std::string name = fmt::format("idemload_tmp_{}_{}", ::getpid(), counter++);
    std::string sql = fmt::format("CREATE TEMPORARY TABLE {} (", quote(name));
    for (size_t idx = 0; idx < schema.size(); ++idx) {
      sql += (idx ? ", " : "") + quote(schema.field(idx).name) + " " + mysql::column_type(schema.field(idx), false, 0);
    }
    sql += ")" + table_options();
    conn_->run(sql);  // a temporary table does not end the transaction, nor change cached statements
    temp_tables_.emplace(name, schema);
    return name;
  }

  int64_t insert_missing(std::string_view table, std::string_view temp_table, const Schema& columns,
                         const std::vector<std::string>& key, const Scope& scope,
                         const std::optional<std::string>& lineage) override {
    Params params;
    auto fields = table_schema(table);
    bool write_lineage = fields && fields->index_of(kLineageColumn).has_value();
    std::string sql =
        insert_missing_sql(*this, table, temp_table, columns, key, scope, lineage, write_lineage, "<=>", params);
    return execute(sql, params);
  }

  std::unique_ptr<Lock> lock(std::string_view name, std::chrono::milliseconds timeout) override {
    auto dedicated = std::make_unique<Connection>(conn_->url());
    std::string server_name = mysql::lock_name(conn_->database(), name);
    double seconds = static_cast<double>(std::max<int64_t>(timeout.count(), 0)) / 1000.0;
    Statement statement(*dedicated, "SELECT GET_LOCK(?, ?)");
    statement.execute({server_name, seconds});
    std::optional<int64_t> got;
    if (statement.fetch() && !statement.is_null(0) && statement.value_class(0) == ValueClass::kInt) {
      got = statement.int_at(0);
    }
    statement.reset();
    if (got != 1) {
      throw Error::TargetConflict(
          fmt::format("another idemload job holds the lock '{}' (waited {} ms; --lock-timeout to wait longer)", name,
                      timeout.count()),
          {.target = conn_->display_url()});
    }
    return std::make_unique<MysqlLock>(std::move(dedicated));
  }

 private:
  std::unique_ptr<Connection> conn_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
  std::unordered_map<std::string, Schema> temp_tables_;
};

MysqlWriter::MysqlWriter(MysqlTarget& target, std::string table, const Schema& source, const WriteOptions& options,
                         bool write_lineage)
    : target_(target), table_(std::move(table)), options_(options), write_lineage_(write_lineage) {
  std::vector<Field> staged;
  for (size_t idx = 0; idx < source.size(); ++idx) {
    if (source.field(idx).name == kLineageColumn) continue;
    columns_.push_back(idx);
    staged.push_back(source.field(idx));
    column_list_ += (column_list_.empty() ? "" : ", ") + target_.quote(source.field(idx).name);
  }
  std::string lineage_column = write_lineage_ ? ", " + target_.quote(kLineageColumn) : "";
  if (options_.mode == WriteMode::kUpsert) {
    stage_ = target_.create_temp_table(Schema(staged));
    std::string updates;
    for (size_t idx : columns_) {
      const std::string& name = source.field(idx).name;
      bool is_key = std::any_of(options_.key.begin(), options_.key.end(),
                                [&](const std::string& key) { return same_name(key, name); });
      if (is_key) continue;
      updates += (updates.empty() ? "" : ", ") + fmt::format("{0} = VALUES({0})", target_.quote(name));
    }
    if (write_lineage_) {
      updates += (updates.empty() ? "" : ", ") + fmt::format("{0} = VALUES({0})", target_.quote(kLineageColumn));
    }
    std::string select = column_list_ + (write_lineage_ ? fmt::format(", {}", kLineageVariable) : "");
    if (updates.empty()) {
      merge_sql_ = fmt::format("INSERT IGNORE INTO {} ({}{}) SELECT {} FROM {}", target_.quote(table_), column_list_,
                               lineage_column, select, target_.quote(stage_));
    } else {
      merge_counts_all_ = true;
      merge_sql_ = fmt::format("INSERT INTO {} ({}{}) SELECT {} FROM {} ON DUPLICATE KEY UPDATE {}",
                               target_.quote(table_), column_list_, lineage_column, select, target_.quote(stage_),
                               updates);
    }
    // The stage holds the raw batch; lineage is added by the merge.
    load_sql_ = fmt::format("LOAD DATA LOCAL INFILE 'idemload-batch' INTO TABLE {} CHARACTER SET utf8mb4 ({})",
                            target_.quote(stage_), column_list_);
  } else {
    load_ignores_ = options_.mode == WriteMode::kInsertIgnore;
    load_sets_lineage_ = write_lineage_;
    // LOAD DATA's default format: TAB-separated fields, LF-ended lines, '\' escapes, \N = NULL.
    load_sql_ = fmt::format("LOAD DATA LOCAL INFILE 'idemload-batch' {}INTO TABLE {} CHARACTER SET utf8mb4 ({}){}",
                            options_.mode == WriteMode::kInsertIgnore ? "IGNORE " : "", target_.quote(table_),
                            column_list_,
                            write_lineage_ ? fmt::format(" SET {} = {}", target_.quote(kLineageColumn), kLineageVariable)
                                           : "");
  }
}

MysqlWriter::~MysqlWriter() {
  if (!stage_.empty()) target_.connection().run_quietly(fmt::format("DROP TEMPORARY TABLE IF EXISTS {}", target_.quote(stage_)));
}

int64_t MysqlWriter::load(const Batch& batch, std::string_view into) {
  Connection& connection = target_.connection();
  if (!connection.local_infile()) return insert_rows(batch, into);
  buffer_.clear();
  mysql::append_infile_rows(batch, columns_, buffer_);
  int64_t affected = 0;
  try {
    affected = connection.load_data(load_sql_, buffer_);
  } catch (const Error& error) {
    unsigned number = mysql_errno(connection.raw());
    // The server (local_infile=OFF, MySQL 8's default) or the client refused LOAD DATA LOCAL;
    // nothing was loaded: use multi-row INSERTs from now on.
    if (number == ER_NOT_ALLOWED_COMMAND || number == 3948 || number == 2068 || number == 4166) {
      connection.disable_local_infile();
      return insert_rows(batch, into);
    }
    ErrorContext context{.file = batch.source_file};
    add_row_context(batch, error, context);
    throw error.with_context(context);
  }
  int64_t skipped = std::max<int64_t>(connection.info_number("Skipped"), 0);
  int64_t warnings = std::max<int64_t>(connection.info_number("Warnings"), 0);
  // LOAD DATA LOCAL cannot stop the client's stream, so MySQL skips duplicate keys (and may turn
  // bad values into warnings) instead of failing. Each skipped row leaves one duplicate-key
  // warning; any other warning is a value that did not load as given.
  if (warnings > skipped) {
    throw Error::InvalidInput(fmt::format("loading into {} changed or refused values: {}", into,
                                          connection.warnings_text()),
                              {.file = batch.source_file, .target = connection.display_url()});
  }
  if (skipped > 0 && options_.mode == WriteMode::kInsert) {
    throw Error::TargetConflict(fmt::format("{} rows have a key that is already in {}: {}", skipped, into,
                                            connection.warnings_text()),
                                {.file = batch.source_file, .target = connection.display_url()});
  }
  return affected;
}

// The path for servers that refuse LOAD DATA LOCAL: multi-row prepared INSERTs of up to
// kInsertRows rows, every value bound. Same outcome as load(): inserted rows counted, skipped
// duplicates allowed only for kInsertIgnore, and any other warning an error.
int64_t MysqlWriter::insert_rows(const Batch& batch, std::string_view into) {
  constexpr size_t kInsertRows = 500;
  Connection& connection = target_.connection();
  const size_t width = columns_.size() + (load_sets_lineage_ ? 1 : 0);
  const size_t per_statement = std::max<size_t>(1, std::min(kInsertRows, 60000 / std::max<size_t>(width, 1)));
  std::string tuple = "(";
  for (size_t idx = 0; idx < columns_.size(); ++idx) tuple += idx ? ", ?" : "?";
  if (load_sets_lineage_) tuple += fmt::format("{}{}", columns_.empty() ? "" : ", ", kLineageVariable);
  tuple += ")";
  std::string head = fmt::format("INSERT {}INTO {} ({}{}) VALUES ", load_ignores_ ? "IGNORE " : "", target_.quote(into),
                                 column_list_, load_sets_lineage_ ? ", " + target_.quote(kLineageColumn) : "");
  Params params;
  int64_t inserted = 0;
  for (size_t first = 0; first < batch.num_rows(); first += per_statement) {
    const size_t rows = std::min(per_statement, batch.num_rows() - first);
    std::string sql = head;
    for (size_t row = 0; row < rows; ++row) sql += (row ? ", " : "") + tuple;
    params.clear();
    for (size_t row = first; row < first + rows; ++row) {
      for (size_t idx : columns_) {
        const Column& column = batch.column(idx);
        if (column.is_null(row)) {
          params.emplace_back(nullptr);
        } else if (column.type() == Type::kBool || column.type() == Type::kInt64) {
          params.emplace_back(column.int_at(row));
        } else if (column.type() == Type::kDouble) {
          params.emplace_back(column.double_at(row));
        } else {
          params.emplace_back(value_text(column, row));
        }
      }
    }
    int64_t affected = 0;
    try {
      affected = target_.execute(sql, params);
    } catch (const Error& error) {
      throw error.with_context({.file = batch.source_file});
    }
    auto warnings = static_cast<int64_t>(mysql_warning_count(connection.raw()));
    if (warnings > static_cast<int64_t>(rows) - affected) {
      throw Error::InvalidInput(fmt::format("inserting into {} changed or refused values: {}", into,
                                            connection.warnings_text()),
                                {.file = batch.source_file, .target = connection.display_url()});
    }
    inserted += affected;
  }
  return inserted;
}

int64_t MysqlWriter::write(const Batch& batch) {
  if (batch.num_rows() == 0) return 0;
  if (write_lineage_) target_.execute(fmt::format("SET {} = ?", kLineageVariable), {*options_.lineage});
  Connection& connection = target_.connection();
  BatchAtomicity atomic(connection);
  if (stage_.empty()) {
    int64_t inserted = load(batch, table_);
    atomic.commit();
    return inserted;
  }

  load(batch, stage_);
  int64_t affected = 0;
  try {
    affected = connection.run(merge_sql_);
  } catch (const Error& error) {
    throw error.with_context({.file = batch.source_file});
  }
  int64_t records = connection.info_number("Records");
  int64_t duplicates = std::max<int64_t>(connection.info_number("Duplicates"), 0);
  int64_t warnings = std::max<int64_t>(connection.info_number("Warnings"), 0);
  if (warnings > (merge_counts_all_ ? 0 : duplicates)) {
    throw Error::InvalidInput(fmt::format("merging into {} changed or refused values: {}", table_,
                                          connection.warnings_text()),
                              {.file = batch.source_file, .target = connection.display_url()});
  }
  connection.run(fmt::format("DELETE FROM {}", target_.quote(stage_)));
  atomic.commit();
  // ON DUPLICATE KEY UPDATE reports 1 per inserted row and 2 per changed row (0 if unchanged);
  // mysql_info's Records counts each row once, inserted or updated.
  if (merge_counts_all_ && records >= 0) return records;
  return affected;
}

}  // namespace

std::unique_ptr<Target> open_mysql(std::string_view url) {
  auto connection = std::make_unique<Connection>(std::string(url));
  if (connection->database().empty()) {
    throw Error::InvalidInput(fmt::format("the MySQL URL '{}' names no database (mysql://user@host:port/DATABASE)",
                                          connection->display_url()));
  }
  return std::make_unique<MysqlTarget>(std::move(connection));
}

}  // namespace idemload::targets
