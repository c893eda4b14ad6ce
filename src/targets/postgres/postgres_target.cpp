#include "targets/postgres/postgres_target.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cctype>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "core/error.h"
#include "core/key_hash.h"
#include "core/value_text.h"
#include "targets/halved_scan.h"
#include "targets/postgres/pg_connection.h"
#include "targets/postgres/pg_copy.h"

namespace idemload::targets {

namespace {

using postgres::BinaryEncoding;
using postgres::Connection;
using postgres::CopyColumn;
using postgres::CopyEncoder;
using postgres::Result;
namespace oid = postgres::oid;

// A column of a table as the catalog describes it.
struct PgColumn {
  std::string name;
  Oid type = 0;
  int typmod = -1;
  bool not_null = false;
};

std::string pg_type(const Field& field) {
  switch (field.type) {
    case Type::kBool: return "BOOLEAN";
    case Type::kInt64: return "BIGINT";
    case Type::kDouble: return "DOUBLE PRECISION";
    case Type::kString: return "TEXT";
    case Type::kBinary: return "BYTEA";
    case Type::kDate: return "DATE";
    case Type::kTimestamp: return "TIMESTAMP";  // UTC instants; the session runs in UTC
    case Type::kTime: return "TIME";
    case Type::kDecimal:
      return field.precision > 0 && field.precision <= 1000 ? fmt::format("NUMERIC({},{})", field.precision, field.scale)
                                                            : "NUMERIC";
  }
  return "TEXT";
}

Field field_from_pg(const PgColumn& column) {
  Field field{column.name, Type::kString, !column.not_null};
  switch (column.type) {
    case oid::kBool: field.type = Type::kBool; break;
    case oid::kInt2:
    case oid::kInt4:
    case oid::kInt8: field.type = Type::kInt64; break;
    case oid::kFloat4:
    case oid::kFloat8: field.type = Type::kDouble; break;
    case oid::kBytea: field.type = Type::kBinary; break;
    case oid::kDate: field.type = Type::kDate; break;
    case oid::kTimestamp:
    case oid::kTimestamptz: field.type = Type::kTimestamp; break;
    case oid::kTime: field.type = Type::kTime; break;
    case oid::kNumeric:
      field.type = Type::kDecimal;
      if (column.typmod >= 4) {  // (precision << 16 | scale) + VARHDRSZ
        field.precision = ((column.typmod - 4) >> 16) & 0xFFFF;
        field.scale = (column.typmod - 4) & 0x7FF;
      }
      break;
    default: break;  // text, varchar, char, json, uuid, …: strings
  }
  return field;
}

// How scan() turns a fetched binary value into the requested type.
enum class Decode : uint8_t { kBool, kInt2, kInt4, kInt8, kFloat4, kFloat8, kBytes, kDate, kTimestamp, kTime, kParse };

// The decoding for a column of `column_oid` requested as `type`; `cast_to_text` is set when the
// SELECT must cast the column to text first (the value is then bytes or parsed from text).
Decode choose_decode(Oid column_oid, Type type, bool& cast_to_text) {
  cast_to_text = false;
  switch (type) {
    case Type::kBool:
      if (column_oid == oid::kBool) return Decode::kBool;
      break;
    case Type::kInt64:
      if (column_oid == oid::kInt8) return Decode::kInt8;
      if (column_oid == oid::kInt4) return Decode::kInt4;
      if (column_oid == oid::kInt2) return Decode::kInt2;
      break;
    case Type::kDouble:
      if (column_oid == oid::kFloat8) return Decode::kFloat8;
      if (column_oid == oid::kFloat4) return Decode::kFloat4;
      break;
    case Type::kString:
      if (column_oid != oid::kText && column_oid != oid::kVarchar && column_oid != oid::kBpchar &&
          column_oid != oid::kName) {
        cast_to_text = true;
      }
      return Decode::kBytes;
    case Type::kBinary:
      if (column_oid != oid::kBytea) cast_to_text = true;
      return Decode::kBytes;
    case Type::kDate:
      if (column_oid == oid::kDate) return Decode::kDate;
      break;
    case Type::kTimestamp:
      if (column_oid == oid::kTimestamp || column_oid == oid::kTimestamptz) return Decode::kTimestamp;
      break;
    case Type::kTime:
      if (column_oid == oid::kTime) return Decode::kTime;
      break;
    case Type::kDecimal: break;  // numeric::text is the exact decimal text
  }
  cast_to_text = true;
  return Decode::kParse;
}

uint64_t read_be(const char* data, size_t bytes) {
  uint64_t value = 0;
  for (size_t idx = 0; idx < bytes; ++idx) value = (value << 8) | static_cast<unsigned char>(data[idx]);
  return value;
}

class PostgresTarget;

// Session advisory lock on a connection of its own; closing the connection releases it (so
// does the death of the process: the server ends the session).
class PostgresLock : public Lock {
 public:
  explicit PostgresLock(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {}
  ~PostgresLock() override {
    // Unlock before closing: the server ends a closed session asynchronously, and the next
    // holder should not have to wait for that.
    connection_->exec_quietly("SELECT pg_advisory_unlock_all()");
  }

 private:
  std::unique_ptr<Connection> connection_;
};

// kInsert: COPY straight into the table. kInsertIgnore/kUpsert: COPY into a session temporary
// table, then one INSERT … SELECT … ON CONFLICT into the table, then empty the temporary table.
class PostgresWriter : public BulkWriter {
 public:
  PostgresWriter(Connection& connection, CopyEncoder encoder, std::string copy_sql, std::string temp_table,
                 std::string create_temp_sql, std::string merge_sql)
      : connection_(connection),
        encoder_(std::move(encoder)),
        copy_sql_(std::move(copy_sql)),
        temp_table_(std::move(temp_table)),
        create_temp_sql_(std::move(create_temp_sql)),
        merge_sql_(std::move(merge_sql)),
        truncate_sql_(temp_table_.empty() ? "" : fmt::format("TRUNCATE {}", temp_table_)) {}

  ~PostgresWriter() override {
    // Only when the session is healthy and idle or in a live transaction; a failed transaction
    // is the caller's to roll back, and the temporary table dies with the session anyway.
    if (!temp_table_.empty() && connection_.usable() && PQtransactionStatus(connection_.raw()) != PQTRANS_INERROR &&
        PQtransactionStatus(connection_.raw()) != PQTRANS_ACTIVE) {
      connection_.exec_quietly(fmt::format("DROP TABLE IF EXISTS {}", temp_table_));
    }
  }

  int64_t write(const Batch& batch) override {
    if (batch.num_rows() == 0) return 0;
    encoder_.encode(batch, buffer_);
    ErrorContext context{.file = batch.source_file};
    auto on_line = [&batch](int64_t line, ErrorContext& where) {
      if (line >= 1 && static_cast<size_t>(line) <= batch.source_rows.size()) {
        where.row = batch.source_rows[static_cast<size_t>(line - 1)];
      }
    };
    if (temp_table_.empty()) return connection_.copy_in(copy_sql_, buffer_, std::move(context), on_line);
    // IF NOT EXISTS: a rollback of the caller's transaction may have taken the table away.
    connection_.exec(create_temp_sql_);
    if (dirty_) connection_.exec(truncate_sql_);
    dirty_ = true;
    connection_.copy_in(copy_sql_, buffer_, std::move(context), on_line);
    Result merged = connection_.exec(merge_sql_);
    int64_t count = Connection::affected(merged.get());
    connection_.exec(truncate_sql_);
    dirty_ = false;
    return count;
  }

  int64_t flush() override { return 0; }  // write() sends each batch whole

 private:
  Connection& connection_;
  CopyEncoder encoder_;
  std::string copy_sql_;
  std::string temp_table_;  // quoted; empty for kInsert
  std::string create_temp_sql_;
  std::string merge_sql_;
  std::string truncate_sql_;
  std::string buffer_;
  bool dirty_ = false;  // the temporary table may hold rows of a failed write
};

class PostgresTarget : public Target {
 public:
  explicit PostgresTarget(std::string url) : connection_(std::make_unique<Connection>(std::move(url))) {}

  DialectKind dialect() const override { return DialectKind::kPostgres; }
  const std::string& display_url() const override { return connection_->display_url(); }
  std::unique_ptr<Target> reconnect() const override { return open_postgres(connection_->url()); }
  bool parallel_writes() const override { return true; }
  // No faster with ranges on a 10 M-row load, but 150 MB less memory (smaller chunks).
  size_t chunk_key_ranges() const override { return 16; }

  std::string quote(std::string_view identifier) const override {
    std::string out = "\"";
    for (char c : identifier) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  }

  int64_t execute(std::string_view sql, const Params& params) override {
    Result result = params.empty() ? connection_->exec(sql) : connection_->exec(postgres::number_placeholders(sql), params);
    return Connection::affected(result.get());
  }

  std::vector<ResultRow> query(std::string_view sql, const Params& params) override {
    Result result = params.empty() ? connection_->exec(sql) : connection_->exec(postgres::number_placeholders(sql), params);
    return rows_of(result.get());
  }

  void begin() override { connection_->exec("BEGIN"); }

  void commit() override {
    bool was_usable = connection_->usable();
    Result result;
    try {
      result = connection_->exec("COMMIT");
    } catch (const Error& error) {
      // The COMMIT was sent on a live connection and no answer came: it may have committed.
      if (error.kind() == ErrorKind::kTargetUnavailable && was_usable) {
        throw Error::InDoubt(fmt::format("the connection was lost during COMMIT; the transaction may or may not "
                                         "have committed ({})",
                                         error.message()),
                             error.context());
      }
      throw;
    }
    // COMMIT of a failed transaction "succeeds" as ROLLBACK.
    if (std::strcmp(PQcmdStatus(result.get()), "ROLLBACK") == 0) {
      throw Error::TargetConflict("COMMIT rolled back: an earlier statement of the transaction had failed",
                                  {.target = display_url()});
    }
  }

  void rollback() override {
    if (connection_->usable() && PQtransactionStatus(connection_->raw()) != PQTRANS_IDLE) {
      connection_->exec_quietly("ROLLBACK");
    }
  }

  std::optional<Schema> table_schema(std::string_view table) override {
    std::vector<PgColumn> columns = columns_of(table);
    if (columns.empty()) return std::nullopt;
    Schema schema;
    for (const PgColumn& column : columns) schema.add(field_from_pg(column));
    return schema;
  }

  void create_table(std::string_view table, const Schema& schema, const CreateOptions& options) override {
    atomically([&] {
      if (!columns_of(table).empty()) return;  // CREATE … IF NOT EXISTS semantics, index included
      std::string sql = fmt::format("CREATE TABLE {} (", quote(table));
      for (size_t idx = 0; idx < schema.size(); ++idx) {
        const Field& field = schema.field(idx);
        if (idx > 0) sql += ", ";
        sql += quote(field.name) + " " + pg_type(field);
        if (!field.nullable) sql += " NOT NULL";
      }
      bool add_lineage = options.lineage && !schema.index_of(kLineageColumn);
      if (add_lineage) sql += fmt::format("{}{} TEXT", schema.size() > 0 ? ", " : "", quote(kLineageColumn));
      if (!options.primary_key.empty()) sql += fmt::format(", PRIMARY KEY ({})", list(options.primary_key));
      sql += ")";
      connection_->exec(sql);
      // Unnamed: the server picks a free name, so a table renamed by replace_table keeps its own.
      // BRIN, not B-tree: a batch's rows arrive together and so sit in neighbouring pages, and a
      // BRIN index costs next to nothing to keep up while they are inserted (a B-tree entry per
      // row took 3–4 s of a 19 s load of 7.8 M rows). Lookups stay exact: the server rechecks
      // every row of the page ranges the index points to.
      if (options.lineage) {
        connection_->exec(fmt::format("CREATE INDEX ON {} USING brin ({})", quote(table), quote(kLineageColumn)));
      }
    });
  }

  void add_column(std::string_view table, const Field& field) override {
    connection_->exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", quote(table), quote(field.name), pg_type(field)));
  }

  void drop_table(std::string_view table) override {
    connection_->exec(fmt::format("DROP TABLE IF EXISTS {}", quote(table)));
  }

  void replace_table(std::string_view table, std::string_view replacement) override {
    // DDL is transactional in PostgreSQL: other sessions see the old table or the new one.
    atomically([&] {
      connection_->exec(fmt::format("DROP TABLE IF EXISTS {}", quote(table)));
      connection_->exec(fmt::format("ALTER TABLE {} RENAME TO {}", quote(replacement), quote(table)));
    });
  }

  bool has_unique_key(std::string_view table, const std::vector<std::string>& columns) override {
    // Key columns (not INCLUDE columns) of unique, non-partial, non-expression indexes; a
    // primary key is one of them.
    Result result = connection_->exec(
        "SELECT i.indexrelid::int8, a.attname FROM pg_index i "
        "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
        "WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL "
        "AND k.ord <= i.indnkeyatts ORDER BY 1, k.ord",
        {quote(table)});
    std::vector<std::string> want = columns;
    std::sort(want.begin(), want.end());
    auto rows = rows_of(result.get());
    for (size_t start = 0; start < rows.size();) {
      size_t end = start;
      std::vector<std::string> names;
      while (end < rows.size() && rows[end][0] == rows[start][0]) names.push_back(rows[end++][1].value_or(""));
      std::sort(names.begin(), names.end());
      if (names == want) return true;
      start = end;
    }
    return false;
  }

  int64_t count(std::string_view table, const Scope& scope) override {
    Params params;
    std::string sql = fmt::format("SELECT COUNT(*) FROM {}{}", quote(table), scope_where(scope, params, ""));
    Result result = connection_->exec(sql, params);
    return parse_int64(PQgetvalue(result.get(), 0, 0)).value_or(0);
  }

  void scan(std::string_view table, const Schema& columns, const Scope& scope, size_t batch_rows,
            const std::function<void(const Batch&)>& sink) override {
    if (batch_rows == 0) batch_rows = kDefaultBatchRows;
    std::vector<PgColumn> table_columns = require_columns(table);
    std::vector<Decode> decodes;
    std::string select;
    for (const Field& field : columns.fields()) {
      const PgColumn& column = find_column(table, table_columns, field.name);
      bool cast_to_text = false;
      decodes.push_back(choose_decode(column.type, field.type, cast_to_text));
      if (!select.empty()) select += ", ";
      select += quote(field.name) + (cast_to_text ? "::text" : "");
    }
    // A cursor lives in a transaction: the caller's (whose writes the scan must see), or one
    // opened for the scan.
    const bool own_transaction = !connection_->in_transaction();
    if (own_transaction && scan_in_halves(table, select, scope, batch_rows, columns, decodes, sink)) return;
    Params params;
    const std::string sql = fmt::format("SELECT {} FROM {}{}", select, quote(table), scope_where(scope, params, ""));
    if (own_transaction) connection_->exec("BEGIN");
    try {
      scan_cursor(*connection_, sql, params, batch_rows, columns, decodes, table, sink);
      if (own_transaction) connection_->exec("COMMIT");
    } catch (...) {
      if (own_transaction) rollback();
      throw;
    }
  }

  int64_t delete_scope(std::string_view table, const Scope& scope) override {
    Params params;
    std::string sql = fmt::format("DELETE FROM {}{}", quote(table), scope_where(scope, params, ""));
    return Connection::affected(connection_->exec(sql, params).get());
  }

  std::unique_ptr<BulkWriter> writer(std::string_view table, const Schema& source, const WriteOptions& options) override {
    std::vector<PgColumn> table_columns = require_columns(table);
    std::vector<CopyColumn> plan;
    bool binary = true;
    std::vector<std::string> names;
    for (size_t idx = 0; idx < source.size(); ++idx) {
      const Field& field = source.field(idx);
      if (field.name == kLineageColumn) continue;
      const PgColumn& column = find_column(table, table_columns, field.name);
      auto encoding = postgres::binary_encoding(field.type, column.type);
      if (!encoding) binary = false;  // the server parses text for this pair
      plan.push_back(CopyColumn{idx, field.name, encoding.value_or(BinaryEncoding::kBytes)});
      names.push_back(field.name);
    }
    bool with_lineage = options.lineage.has_value() && has_column(table_columns, kLineageColumn);
    if (with_lineage) names.emplace_back(kLineageColumn);
    CopyEncoder encoder(std::move(plan), with_lineage ? options.lineage : std::nullopt, binary);
    std::string columns_sql = list(names);

    if (options.mode == WriteMode::kInsert) {
      std::string copy = fmt::format("COPY {} ({}) FROM STDIN{}", quote(table), columns_sql, encoder.format_clause());
      return std::make_unique<PostgresWriter>(*connection_, std::move(encoder), std::move(copy), "", "", "");
    }

    if (options.mode == WriteMode::kUpsert && options.key.empty()) {
      throw Error::InvalidInput(fmt::format("upsert into {} needs key columns", table), {.target = display_url()});
    }
    for (const auto& key : options.key) find_column(table, table_columns, key);
    static std::atomic<int> counter{0};
    std::string temp = quote(fmt::format("idemload_write_{}_{}", ::getpid(), counter++));
    // CREATE … AS … WITH NO DATA copies the exact column types (and so the binary encodings).
    std::string create_temp =
        fmt::format("CREATE TEMP TABLE IF NOT EXISTS {} AS SELECT {} FROM {} WITH NO DATA", temp, columns_sql, quote(table));
    std::string copy = fmt::format("COPY {} ({}) FROM STDIN{}", temp, columns_sql, encoder.format_clause());
    std::string conflict = options.key.empty() ? "" : fmt::format(" ({})", list(options.key));
    std::string merge;
    if (options.mode == WriteMode::kInsertIgnore) {
      merge = fmt::format("INSERT INTO {0} ({1}) SELECT {1} FROM {2} ON CONFLICT{3} DO NOTHING", quote(table),
                          columns_sql, temp, conflict);
    } else {
      std::string updates;
      for (const auto& name : names) {
        if (std::find(options.key.begin(), options.key.end(), name) != options.key.end()) continue;
        updates += fmt::format("{0}{1} = EXCLUDED.{1}", updates.empty() ? "" : ", ", quote(name));
      }
      // One row per key (the first sent): DO UPDATE may not touch a row twice in one statement.
      merge = fmt::format("INSERT INTO {0} ({1}) SELECT DISTINCT ON ({2}) {1} FROM {3} ORDER BY {2}, ctid "
                          "ON CONFLICT{4} DO {5}",
                          quote(table), columns_sql, list(options.key), temp, conflict,
                          updates.empty() ? "NOTHING" : "UPDATE SET " + updates);
    }
    return std::make_unique<PostgresWriter>(*connection_, std::move(encoder), std::move(copy), std::move(temp),
                                            std::move(create_temp), std::move(merge));
  }

  std::string create_temp_table(const Schema& schema) override {
    static std::atomic<int> counter{0};
    std::string name = fmt::format("idemload_tmp_{}_{}", ::getpid(), counter++);
    std::string sql = fmt::format("CREATE TEMP TABLE {} (", quote(name));
    for (size_t idx = 0; idx < schema.size(); ++idx) {
      sql += (idx ? ", " : "") + quote(schema.field(idx).name) + " " + pg_type(schema.field(idx));
    }
    connection_->exec(sql + ")");
    return name;
  }

  int64_t insert_missing(std::string_view table, std::string_view temp_table, const Schema& columns,
                         const std::vector<std::string>& key, const Scope& scope,
                         const std::optional<std::string>& lineage) override {
    if (key.empty()) throw Error::InvalidInput(fmt::format("no key columns to anti-join {} on", table));
    std::vector<PgColumn> table_columns = require_columns(table);
    Params params;
    std::vector<std::string> names;
    std::string select;
    for (const auto& field : columns.fields()) {
      if (field.name == kLineageColumn) continue;
      names.push_back(field.name);
      select += (select.empty() ? "s." : ", s.") + quote(field.name);
    }
    if (lineage && has_column(table_columns, kLineageColumn)) {
      names.emplace_back(kLineageColumn);
      params.emplace_back(*lineage);
      select += fmt::format(", ${}::text", params.size());
    }
    std::string equal, not_distinct, key_present;
    for (const auto& name : key) {
      std::string column = quote(name);
      std::string_view sep = equal.empty() ? "" : " AND ";
      equal += fmt::format("{}t.{} = s.{}", sep, column, column);
      not_distinct += fmt::format("{}t.{} IS NOT DISTINCT FROM s.{}", sep, column, column);
      key_present += fmt::format("{}s.{} IS NOT NULL", sep, column);
    }
    std::string in_scope;
    if (scope.kind == Scope::Kind::kLineage) {
      params.emplace_back(scope.batch);
      in_scope = fmt::format(" AND t.{} = ${}", quote(kLineageColumn), params.size());
    } else if (scope.kind == Scope::Kind::kWhere) {
      in_scope = fmt::format(" AND ({})", scope.where_sql);
    }
    // Keys without NULLs use plain equality, which the planner turns into a hash anti-join or
    // an index probe; the (rare) keys with a NULL need the null-safe comparison.
    std::string sql = fmt::format(
        "INSERT INTO {0} ({1}) "
        "SELECT {2} FROM {3} s WHERE {4} AND NOT EXISTS (SELECT 1 FROM {0} t WHERE {5}{7}) "
        "UNION ALL "
        "SELECT {2} FROM {3} s WHERE NOT ({4}) AND NOT EXISTS (SELECT 1 FROM {0} t WHERE {6}{7})",
        quote(table), list(names), select, quote(temp_table), key_present, equal, not_distinct, in_scope);
    return Connection::affected(connection_->exec(sql, params).get());
  }

  std::unique_ptr<Lock> lock(std::string_view name, std::chrono::milliseconds timeout) override {
    auto connection = std::make_unique<Connection>(connection_->url());
    // The two-int4 key space, from a 64-bit hash of the name.
    uint64_t hash = hash_bytes(name);
    Params key{static_cast<int64_t>(static_cast<int32_t>(hash >> 32)),
               static_cast<int64_t>(static_cast<int32_t>(hash & 0xFFFFFFFFu))};
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      Result result = connection->exec("SELECT pg_try_advisory_lock($1::int4, $2::int4)", key);
      if (std::strcmp(PQgetvalue(result.get(), 0, 0), "t") == 0) {
        return std::make_unique<PostgresLock>(std::move(connection));
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        throw Error::TargetConflict(
            fmt::format("another idemload job holds the lock '{}' (waited {} ms; --lock-timeout to wait longer)", name,
                        timeout.count()),
            {.target = display_url()});
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

 private:
  // Runs `fn` atomically: in a savepoint inside the caller's transaction, or in its own.
  template <class Fn>
  void atomically(Fn&& fn) {
    bool nested = connection_->in_transaction();
    connection_->exec(nested ? "SAVEPOINT idemload_atomic" : "BEGIN");
    try {
      fn();
    } catch (...) {
      connection_->exec_quietly(nested ? "ROLLBACK TO SAVEPOINT idemload_atomic; RELEASE SAVEPOINT idemload_atomic"
                                       : "ROLLBACK");
      throw;
    }
    if (nested) {
      connection_->exec("RELEASE SAVEPOINT idemload_atomic");
    } else {
      commit();
    }
  }

  std::string list(const std::vector<std::string>& names) const {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + quote(name);
    return out;
  }

  static std::vector<ResultRow> rows_of(const PGresult* result) {
    std::vector<ResultRow> rows;
    const int nrows = PQntuples(result);
    const int ncols = PQnfields(result);
    rows.reserve(static_cast<size_t>(nrows));
    for (int row = 0; row < nrows; ++row) {
      ResultRow values;
      values.reserve(static_cast<size_t>(ncols));
      for (int col = 0; col < ncols; ++col) {
        if (PQgetisnull(result, row, col)) {
          values.emplace_back(std::nullopt);
        } else {
          values.emplace_back(std::string(PQgetvalue(result, row, col), static_cast<size_t>(PQgetlength(result, row, col))));
        }
      }
      rows.push_back(std::move(values));
    }
    return rows;
  }

  // " WHERE …" (or "") for `scope`, its values appended to `params` as $n.
  std::string scope_where(const Scope& scope, Params& params, std::string_view qualifier) const {
    switch (scope.kind) {
      case Scope::Kind::kAll: return "";
      case Scope::Kind::kLineage:
        params.emplace_back(scope.batch);
        return fmt::format(" WHERE {}{} = ${}", qualifier, quote(kLineageColumn), params.size());
      case Scope::Kind::kWhere: return fmt::format(" WHERE ({})", scope.where_sql);
    }
    return "";
  }

  std::vector<PgColumn> columns_of(std::string_view table) {
    Result result = connection_->exec(
        "SELECT a.attname, a.atttypid::int8, a.atttypmod, a.attnotnull FROM pg_attribute a "
        "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        {quote(table)});
    std::vector<PgColumn> columns;
    for (int row = 0; row < PQntuples(result.get()); ++row) {
      PgColumn column;
      column.name = PQgetvalue(result.get(), row, 0);
      column.type = static_cast<Oid>(parse_int64(PQgetvalue(result.get(), row, 1)).value_or(0));
      column.typmod = static_cast<int>(parse_int64(PQgetvalue(result.get(), row, 2)).value_or(-1));
      column.not_null = std::strcmp(PQgetvalue(result.get(), row, 3), "t") == 0;
      columns.push_back(std::move(column));
    }
    return columns;
  }

  std::vector<PgColumn> require_columns(std::string_view table) {
    std::vector<PgColumn> columns = columns_of(table);
    if (columns.empty()) {
      throw Error::InvalidInput(fmt::format("table {} does not exist", quote(table)), {.target = display_url()});
    }
    return columns;
  }

  static bool has_column(const std::vector<PgColumn>& columns, std::string_view name) {
    return std::any_of(columns.begin(), columns.end(), [&](const PgColumn& column) { return column.name == name; });
  }

  const PgColumn& find_column(std::string_view table, const std::vector<PgColumn>& columns, std::string_view name) const {
    for (const PgColumn& column : columns) {
      if (column.name == name) return column;
    }
    std::string existing;
    for (const PgColumn& column : columns) existing += (existing.empty() ? "" : ", ") + column.name;
    throw Error::SchemaDrift(fmt::format("table {} has no column '{}' (it has: {})", quote(table), name, existing),
                             {.column = std::string(name), .target = display_url()});
  }

  // Runs `sql` (parameters `params`) through a cursor on `connection`, which must be in a
  // transaction, and hands each batch of at most `batch_rows` decoded rows to `sink` on this
  // thread. Two FETCHes are in flight: the server reads the next rows while these are decoded.
  // The cursor is closed at the end, and on an error when the transaction is still usable.
  void scan_cursor(Connection& connection, const std::string& sql, const Params& params, size_t batch_rows,
                   const Schema& columns, const std::vector<Decode>& decodes, std::string_view table,
                   const std::function<void(const Batch&)>& sink) const {
    static std::atomic<int> counter{0};
    const std::string cursor = fmt::format("idemload_scan_{}_{}", ::getpid(), counter++);
    connection.exec(fmt::format("DECLARE {} NO SCROLL CURSOR FOR {}", cursor, sql), params);
    try {
      Batch batch(std::make_shared<const Schema>(columns));
      batch.reserve(batch_rows);
      connection.exec_pipelined(fmt::format("FETCH FORWARD {} FROM {}", batch_rows, cursor), 2,
                                [&](const PGresult* result) {
                                  const int rows = PQntuples(result);
                                  if (rows == 0) return false;
                                  decode_rows(result, rows, columns, decodes, table, batch);
                                  sink(batch);
                                  batch.clear();
                                  return static_cast<size_t>(rows) == batch_rows;
                                });
    } catch (...) {
      if (PQtransactionStatus(connection.raw()) == PQTRANS_INTRANS) connection.exec_quietly("CLOSE " + cursor);
      throw;
    }
    connection.exec("CLOSE " + cursor);
  }

  // A scan of a large table by two connections at once, each reading about half of its pages
  // (TID range scans), both in one snapshot (pg_export_snapshot): a scan of millions of keys is
  // bound by the server process reading the table, and one process uses one core. The pages are
  // cut into kHalvedScanPieces ranges, each read by whichever connection is free. Batches from
  // the second connection are decoded on a thread of their own and handed to `sink` on this one.
  // Returns false, having read nothing, when the table is smaller than kHalvedScanPages, the
  // server older than 14 (no TID range scans) or a second connection cannot be opened.
  bool scan_in_halves(std::string_view table, const std::string& select, const Scope& scope, size_t batch_rows,
                      const Schema& columns, const std::vector<Decode>& decodes,
                      const std::function<void(const Batch&)>& sink) {
    if (PQserverVersion(connection_->raw()) < 140000) return false;
    // The size first, outside the snapshot: a small table is scanned as before, with nothing
    // else asked. Pages added after this hold rows of the second half, which is open-ended.
    Result size = connection_->exec(
        "SELECT pg_relation_size(to_regclass($1)) / current_setting('block_size')::int8", {quote(table)});
    const int64_t pages = parse_int64(PQgetvalue(size.get(), 0, 0)).value_or(0);
    if (pages < kHalvedScanPages) return false;
    std::unique_ptr<Connection> other;
    try {
      other = std::make_unique<Connection>(connection_->url());
    } catch (const Error&) {
      return false;  // one connection will do
    }
    connection_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
      Result exported = connection_->exec("SELECT pg_export_snapshot()");
      const std::string snapshot = PQgetvalue(exported.get(), 0, 0);
      // A snapshot's name is the server's, hex digits and dashes; it is checked all the same,
      // since SET TRANSACTION SNAPSHOT takes no parameter.
      if (snapshot.empty() || !std::all_of(snapshot.begin(), snapshot.end(), [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == '-';
          })) {
        throw Error::Internal(fmt::format("unexpected snapshot name '{}' from the server", snapshot.substr(0, 80)));
      }
      other->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      other->exec(fmt::format("SET TRANSACTION SNAPSHOT '{}'", snapshot));
      // Piece p is the pages from pages * p / kHalvedScanPieces up to the next piece's first
      // (the last piece: every page from its first on).
      auto read_piece = [&](Connection& on, size_t piece, const BatchSink& to) {
        Params params;
        const std::string where = scope_where(scope, params, "");
        std::string sql = fmt::format("SELECT {} FROM {}{}", select, quote(table), where);
        const char* joiner = where.empty() ? " WHERE" : " AND";
        const auto first_page = [&](size_t of) {
          return fmt::format("({},0)", pages * static_cast<int64_t>(of) / static_cast<int64_t>(kHalvedScanPieces));
        };
        if (piece > 0) {
          params.emplace_back(first_page(piece));
          sql += fmt::format("{} ctid >= ${}::tid", joiner, params.size());
          joiner = " AND";
        }
        if (piece + 1 < kHalvedScanPieces) {
          params.emplace_back(first_page(piece + 1));
          sql += fmt::format("{} ctid < ${}::tid", joiner, params.size());
        }
        scan_cursor(on, sql, params, batch_rows, columns, decodes, table, to);
      };
      scan_halves(
          kHalvedScanPieces, [&](size_t piece, const BatchSink& to) { read_piece(*connection_, piece, to); },
          [&](size_t piece, const BatchSink& to) { read_piece(*other, piece, to); }, sink, kHalvedScanWaiting);
      other->exec("COMMIT");
      connection_->exec("COMMIT");
      return true;
    } catch (...) {
      other->exec_quietly("ROLLBACK");
      rollback();
      throw;
    }
  }

  void decode_rows(const PGresult* result, int rows, const Schema& columns, const std::vector<Decode>& decodes,
                   std::string_view table, Batch& batch) const {
    const int ncols = static_cast<int>(decodes.size());
    for (int col = 0; col < ncols; ++col) {
      Column& column = batch.column(static_cast<size_t>(col));
      const Decode decode = decodes[static_cast<size_t>(col)];
      for (int row = 0; row < rows; ++row) {
        if (PQgetisnull(result, row, col)) {
          column.append_null();
          continue;
        }
        const char* data = PQgetvalue(result, row, col);
        const auto length = static_cast<size_t>(PQgetlength(result, row, col));
        switch (decode) {
          case Decode::kBool: column.append_int(data[0] != 0 ? 1 : 0); break;
          case Decode::kInt2: column.append_int(static_cast<int16_t>(read_be(data, 2))); break;
          case Decode::kInt4: column.append_int(static_cast<int32_t>(read_be(data, 4))); break;
          case Decode::kInt8: column.append_int(static_cast<int64_t>(read_be(data, 8))); break;
          case Decode::kFloat4:
            column.append_double(std::bit_cast<float>(static_cast<uint32_t>(read_be(data, 4))));
            break;
          case Decode::kFloat8: column.append_double(std::bit_cast<double>(read_be(data, 8))); break;
          case Decode::kBytes: column.append_bytes(std::string_view(data, length)); break;
          case Decode::kDate:
            column.append_int(static_cast<int32_t>(read_be(data, 4)) + postgres::kPgEpochDays);
            break;
          case Decode::kTimestamp:
            column.append_int(static_cast<int64_t>(read_be(data, 8)) + postgres::kPgEpochMicros);
            break;
          case Decode::kTime: column.append_int(static_cast<int64_t>(read_be(data, 8))); break;
          case Decode::kParse: {
            std::string_view text(data, length);
            if (!append_parsed(column, text)) {
              throw Error::SchemaDrift(fmt::format("value '{}' in table {} does not convert to {}", text.substr(0, 80),
                                                   quote(table), type_name(column.type())),
                                       {.column = columns.field(static_cast<size_t>(col)).name, .target = display_url()});
            }
            break;
          }
        }
      }
    }
  }

  // scan(): tables of at least kHalvedScanPages pages (8 MB) are read by two connections at
  // once, in kHalvedScanPieces page ranges; at most kHalvedScanWaiting batches of the second
  // connection wait to be handed over.
  static constexpr int64_t kHalvedScanPages = 1024;
  static constexpr size_t kHalvedScanWaiting = 2;
  static constexpr size_t kHalvedScanPieces = 32;

  std::unique_ptr<Connection> connection_;
};

}  // namespace

std::unique_ptr<Target> open_postgres(std::string_view url) {
  return std::make_unique<PostgresTarget>(std::string(url));
}

}  // namespace idemload::targets
