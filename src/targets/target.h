// The one interface strategies and jobs know about a database. Each target (sqlite/,
// postgres/, mysql/) implements it; all dialect SQL lives behind it. Not thread-safe: one
// Target is one connection; use reconnect() for a second thread (heartbeats, locks).
// DDL (create/add/drop/replace table) may end an open transaction (MySQL commits it
// implicitly): callers issue it outside their data transactions, or accept that it commits.
// Every method throws idemload::Error: kTargetUnavailable (cannot connect, connection lost),
// kTargetConflict (lock timeout, constraint), kSchemaDrift, kInvalidInput. Messages never
// contain a password.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/column.h"

namespace idemload::targets {

enum class DialectKind { kSqlite, kPostgres, kMysql };
std::string_view dialect_name(DialectKind kind);

// A bound value for generic SQL. Placeholders are written `?` for every dialect.
using Param = std::variant<std::nullptr_t, int64_t, double, std::string>;
using Params = std::vector<Param>;
// One result row as text (nullopt = NULL), in the dialect's text form.
using ResultRow = std::vector<std::optional<std::string>>;

// Where a count may cut its scope in two (Target::count_with): `at` is a value of `column` (the
// key's first column) near the middle of the scope's rows; without it, no cut.
struct CountSplit {
  std::string column;
  std::optional<Param> at;
};

// The lineage column idemload adds to tables it creates: the batch label of each row.
inline constexpr std::string_view kLineageColumn = "_batch";

// Which rows of a table a job owns (DESIGN.md §1 "scope").
struct Scope {
  enum class Kind { kAll, kLineage, kWhere };
  Kind kind = Kind::kAll;
  std::string batch;      // kLineage: rows whose _batch equals this
  std::string where_sql;  // kWhere: a predicate the user wrote, used verbatim (trusted input)

  static Scope all() { return {}; }
  static Scope lineage(std::string batch) { return {Kind::kLineage, std::move(batch), {}}; }
  static Scope where(std::string sql) { return {Kind::kWhere, {}, std::move(sql)}; }
  std::string describe() const;
};

struct CreateOptions {
  std::vector<std::string> primary_key;  // empty: no key constraint
  bool lineage = true;                   // add the _batch column (TEXT, indexed)
};

enum class WriteMode {
  kInsert,        // plain INSERT / COPY; a duplicate key under a constraint is an error
  kInsertIgnore,  // ON CONFLICT DO NOTHING / INSERT IGNORE / INSERT OR IGNORE
  kUpsert,        // ON CONFLICT DO UPDATE / ON DUPLICATE KEY UPDATE / UPSERT
};

struct WriteOptions {
  WriteMode mode = WriteMode::kInsert;
  std::vector<std::string> key;        // conflict columns for kInsertIgnore/kUpsert
  std::optional<std::string> lineage;  // written to _batch when the table has it
};

// Writes batches into one table inside the caller's transaction (or autocommit). Columns are
// matched by name; the table may have more columns (NULL/default). write() may buffer; the
// counts returned are rows the database reports inserted (or updated, for kUpsert) by what was
// sent; flush() sends the rest. Valid while its Target lives.
class BulkWriter {
 public:
  virtual ~BulkWriter() = default;
  virtual int64_t write(const Batch& batch) = 0;
  virtual int64_t flush() = 0;
};

// Held until destroyed; released also when the process dies (flock, advisory lock, GET_LOCK).
class Lock {
 public:
  virtual ~Lock() = default;
};

class Target {
 public:
  virtual ~Target() = default;

  virtual DialectKind dialect() const = 0;
  // The URL with any password replaced by "***".
  virtual const std::string& display_url() const = 0;
  // A new, independent connection to the same database.
  virtual std::unique_ptr<Target> reconnect() const = 0;
  // Whether chunks may be written on several connections at once (a server database, where
  // each connection has a server process or thread of its own). SQLite has one writer.
  virtual bool parallel_writes() const { return false; }
  // How many key ranges the chunks of a load are drawn from (strategies::ChunkBuilder): more
  // ranges put fewer pages of the key's B-tree under each chunk, but make chunks smaller.
  virtual size_t chunk_key_ranges() const { return 1; }
  virtual std::string quote(std::string_view identifier) const = 0;

  // Generic SQL (ledger, checks). Returns affected rows.
  virtual int64_t execute(std::string_view sql, const Params& params = {}) = 0;
  virtual std::vector<ResultRow> query(std::string_view sql, const Params& params = {}) = 0;
  virtual void begin() = 0;  // SQLite: BEGIN IMMEDIATE
  virtual void commit() = 0;
  virtual void rollback() = 0;  // never throws; a lost connection just forgets the transaction

  // Schema. table_schema maps the table's column types back to ours (nullopt: no such table).
  virtual std::optional<Schema> table_schema(std::string_view table) = 0;
  virtual void create_table(std::string_view table, const Schema& schema, const CreateOptions& options) = 0;
  virtual void add_column(std::string_view table, const Field& field) = 0;
  virtual void drop_table(std::string_view table) = 0;  // IF EXISTS
  // Atomically makes `replacement` be `table` (the old one is dropped).
  virtual void replace_table(std::string_view table, std::string_view replacement) = 0;
  // Whether a primary key or unique index covers exactly these columns (any order).
  virtual bool has_unique_key(std::string_view table, const std::vector<std::string>& columns) = 0;

  // Data.
  virtual int64_t count(std::string_view table, const Scope& scope) = 0;
  // count(), possibly faster for a large scope: a target that can counts the rows in scope whose
  // `split.column` is below `split.at`, and the others, at once on two connections, both in one
  // snapshot. Outside a transaction only; the split changes how the rows are counted, never the
  // count. The default ignores it.
  virtual int64_t count_with(std::string_view table, const Scope& scope, const CountSplit& split) {
    (void)split;
    return count(table, scope);
  }
  // Streams the columns of `columns` (names and the types to convert to) of the rows in scope,
  // in batches of up to batch_rows: every row in scope once, as one snapshot sees them, so
  // that the rows streamed are the scope's count. The batch passed to `sink` is valid during
  // the call; the sink must not use this Target (the connection is busy with the scan).
  virtual void scan(std::string_view table, const Schema& columns, const Scope& scope, size_t batch_rows,
                    const std::function<void(const Batch&)>& sink) = 0;
  virtual int64_t delete_scope(std::string_view table, const Scope& scope) = 0;
  virtual std::unique_ptr<BulkWriter> writer(std::string_view table, const Schema& source,
                                             const WriteOptions& options) = 0;

  // Push-down anti-join: a temporary table for `schema` (dropped with the connection), and an
  // INSERT … SELECT from it of the rows whose key is not yet in scope. Returns rows inserted.
  virtual std::string create_temp_table(const Schema& schema) = 0;
  virtual int64_t insert_missing(std::string_view table, std::string_view temp_table, const Schema& columns,
                                 const std::vector<std::string>& key, const Scope& scope,
                                 const std::optional<std::string>& lineage) = 0;

  // A named exclusive lock (one per table and batch). Waits up to `timeout`, then throws
  // kTargetConflict naming the lock.
  virtual std::unique_ptr<Lock> lock(std::string_view name, std::chrono::milliseconds timeout) = 0;
};

// Opens `url`: "sqlite:PATH", a bare path (SQLite), "postgresql://…"/"postgres://…" (also
// libpq's environment variables), "mysql://…"/"mariadb://…". Throws kInvalidInput for an
// unknown scheme, kTargetUnavailable when it cannot connect.
std::unique_ptr<Target> open_target(std::string_view url);

// The URL with a password (user:PASSWORD@ or password=…) replaced by "***".
std::string redact_url(std::string_view url);

}  // namespace idemload::targets
