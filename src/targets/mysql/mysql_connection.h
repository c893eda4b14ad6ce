// One libmariadb connection (MySQL or MariaDB server) with idemload's error mapping, and the
// prepared statements that run on it. Every failure becomes an idemload::Error named by the
// redacted URL: kTargetUnavailable for a server that cannot be reached or a dropped connection.
#pragma once

#include <mysql.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "targets/target.h"

namespace idemload::targets::mysql {

// The ErrorKind for a client or server error number.
ErrorKind kind_of_errno(unsigned error_number);

// Feeds LOAD DATA LOCAL INFILE from memory: the connection's local-infile handler reads the
// bytes set here instead of a file (the file name in the statement is ignored).
struct InfileSource {
  std::string_view data;
  size_t position = 0;
};

class Connection {
 public:
  // Connects to `url` (mysql://user:password@host:port/database or mariadb://…). Query
  // parameters: socket=PATH (a Unix socket), local-infile=0 (never use LOAD DATA LOCAL); others,
  // such as ssl-mode, are ignored. Sets the session to utf8mb4, UTC, strict SQL mode and enables
  // LOAD DATA LOCAL from memory. Throws kTargetUnavailable naming the redacted URL.
  explicit Connection(std::string url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  MYSQL* raw() const { return mysql_; }
  const std::string& url() const { return url_; }
  const std::string& display_url() const { return display_url_; }
  const std::string& database() const { return database_; }
  // Whether LOAD DATA LOCAL may be used (false when the URL or the server refused it).
  bool local_infile() const { return local_infile_; }
  void disable_local_infile() { local_infile_ = false; }
  // Whether a transaction is open (the server's status flag after the last statement).
  bool in_transaction() const;

  // Runs one statement without parameters (text protocol; the statement may be anything,
  // including DDL and LOAD DATA). Returns the affected rows; a result set is read and dropped.
  int64_t run(std::string_view sql);
  // Like run but never throws; for cleanup on error paths.
  void run_quietly(std::string_view sql) noexcept;
  // mysql_info() of the last statement ("Records: 3  Duplicates: 1  Warnings: 0"), parsed:
  // the number after `label`, or -1 when absent.
  int64_t info_number(std::string_view label) const;
  // The server's warnings of the last statement, as "Level code: message" lines (at most 10).
  std::string warnings_text();

  // Runs LOAD DATA LOCAL INFILE `sql` with the file's content taken from `data`. Returns the
  // affected rows.
  int64_t load_data(std::string_view sql, std::string_view data);

  // The Error for the connection's current error, about `what`.
  Error error(std::string_view what, ErrorContext context = {}) const;
  // The Error for error `number` with the server's `message`, about `what`.
  Error error(unsigned number, std::string_view message, std::string_view what, ErrorContext context = {}) const;
  // A binary, NO PAD utf8mb4 collation of this server, so that string keys compare exactly:
  // utf8mb4_nopad_bin (MariaDB), utf8mb4_0900_bin (MySQL 8), else utf8mb4_bin.
  const std::string& exact_collation() const { return collation_; }
  // Replaces the password, wherever it appears in `text`, by "***".
  std::string scrub(std::string text) const;

 private:
  std::string url_;
  std::string display_url_;
  std::string password_;
  std::string database_;
  std::string collation_ = "utf8mb4_bin";
  MYSQL* mysql_ = nullptr;
  bool local_infile_ = true;
  InfileSource infile_;
};

// A value of one result column as the binary protocol delivers it.
enum class ValueClass : uint8_t { kInt, kDouble, kTemporal, kBytes };

// A prepared statement with `?` parameters bound from Params, whose result rows are read one at
// a time straight off the network (unbuffered: nothing else may run on the connection until
// the rows are read or the statement is reset). Valid while its Connection lives.
class Statement {
 public:
  Statement(Connection& connection, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds `params` (as many as the statement's placeholders) and executes. Returns the
  // affected rows (for statements without a result set).
  int64_t execute(const Params& params);
  // Number of result columns (0 for statements without a result set).
  size_t columns() const { return values_.size(); }
  // Reads the next row; false when there are no more.
  bool fetch();
  // Discards any unread rows so that the connection is free again; never throws.
  void reset() noexcept;

  // The fetched row's values. Only the accessor of the column's value_class() is meaningful.
  bool is_null(size_t col) const { return values_[col].is_null != 0; }
  ValueClass value_class(size_t col) const { return values_[col].value_class; }
  int64_t int_at(size_t col) const { return values_[col].int_value; }
  bool is_unsigned(size_t col) const { return values_[col].is_unsigned != 0; }
  double double_at(size_t col) const { return values_[col].double_value; }
  const MYSQL_TIME& time_at(size_t col) const { return values_[col].time_value; }
  // kTemporal columns: MYSQL_TYPE_DATE, MYSQL_TYPE_TIME or MYSQL_TYPE_DATETIME (the column's
  // type; MYSQL_TIME::time_type is not reliable for zero values).
  enum_field_types temporal_type(size_t col) const { return values_[col].temporal_type; }
  std::string_view bytes_at(size_t col) const {
    return std::string_view(values_[col].bytes.data(), values_[col].length);
  }
  // The value as text (canonical forms of value_text.h; integers in decimal), appended to out.
  void append_text(size_t col, std::string& out) const;

 private:
  struct Value {
    ValueClass value_class = ValueClass::kBytes;
    enum_field_types temporal_type = MYSQL_TYPE_DATETIME;  // kTemporal: DATE, TIME or DATETIME
    my_bool is_null = 0;
    my_bool is_unsigned = 0;
    my_bool error = 0;
    unsigned long length = 0;
    int64_t int_value = 0;
    double double_value = 0;
    MYSQL_TIME time_value{};
    std::string bytes;
  };

  void bind_results();

  Connection& connection_;
  std::string sql_;
  MYSQL_STMT* stmt_ = nullptr;
  std::vector<MYSQL_BIND> param_binds_;
  std::vector<unsigned long> param_lengths_;
  std::vector<MYSQL_BIND> result_binds_;
  std::vector<Value> values_;
  bool pending_rows_ = false;
};

// Name of a GET_LOCK lock: `database.name`, or when longer than the server's 64 characters its
// first 47 characters, '#', and 16 hex digits of a hash of the whole.
std::string lock_name(std::string_view database, std::string_view name);

}  // namespace idemload::targets::mysql
