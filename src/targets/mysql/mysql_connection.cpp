#include "targets/mysql/mysql_connection.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

#include "core/key_hash.h"
#include "core/value_text.h"
#include "targets/url.h"

namespace idemload::targets::mysql {

namespace {

// The local-infile handler: LOAD DATA LOCAL reads the InfileSource given as user data, never
// a file, whatever file name the statement (or a hostile server) asks for.
int infile_init(void** state, const char* /*filename*/, void* userdata) {
  *state = userdata;
  return 0;
}

int infile_read(void* state, char* buffer, unsigned int length) {
  auto* source = static_cast<InfileSource*>(state);
  size_t take = std::min<size_t>(length, source->data.size() - source->position);
  std::memcpy(buffer, source->data.data() + source->position, take);
  source->position += take;
  return static_cast<int>(take);
}

void infile_end(void* /*state*/) {}

int infile_error(void* /*state*/, char* message, unsigned int length) {
  std::snprintf(message, length, "idemload: local infile stream failed");
  return CR_UNKNOWN_ERROR;
}

bool is_statement_client_error(unsigned number) {
  return number == CR_COMMANDS_OUT_OF_SYNC || (number >= 2030 && number <= 2036) || (number >= 2050 && number <= 2054) ||
         number == 2057;
}

}  // namespace

ErrorKind kind_of_errno(unsigned number) {
  switch (number) {
    case ER_CONNECTION_KILLED:        // 1927: KILL from another session (MariaDB)
    case 4031:                        // the server closed an idle connection
    case ER_SERVER_SHUTDOWN:          // 1053
    case ER_CON_COUNT_ERROR:          // 1040 too many connections
    case ER_ACCESS_DENIED_ERROR:      // 1045
    case ER_DBACCESS_DENIED_ERROR:    // 1044
    case ER_BAD_DB_ERROR:             // 1049 unknown database
    case ER_HOST_IS_BLOCKED:          // 1129
    case ER_HOST_NOT_PRIVILEGED:      // 1130
    case ER_ABORTING_CONNECTION:      // 1152
    case ER_NEW_ABORTING_CONNECTION:  // 1184
    case ER_NET_READ_ERROR:           // 1158
    case ER_NET_READ_INTERRUPTED:     // 1159
    case ER_NET_ERROR_ON_WRITE:       // 1160
    case ER_NET_WRITE_INTERRUPTED:    // 1161
    case ER_QUERY_INTERRUPTED:        // 1317 (KILL QUERY)
      return ErrorKind::kTargetUnavailable;
    case ER_DUP_ENTRY:                // 1062
    case ER_DUP_KEY:                  // 1022
    case ER_DUP_UNIQUE:               // 1169
    case ER_DUP_ENTRY_WITH_KEY_NAME:  // 1586
    case ER_LOCK_WAIT_TIMEOUT:        // 1205
    case ER_LOCK_DEADLOCK:            // 1213
    case ER_ROW_IS_REFERENCED:        // 1217
    case ER_NO_REFERENCED_ROW:        // 1216
    case ER_ROW_IS_REFERENCED_2:      // 1451
    case ER_NO_REFERENCED_ROW_2:      // 1452
    case ER_ERROR_DURING_COMMIT:      // 1180
    case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:  // 1792
    case 4025:                        // CHECK constraint failed (MariaDB)
      return ErrorKind::kTargetConflict;
    case ER_BAD_FIELD_ERROR:          // 1054 unknown column
    case ER_WRONG_VALUE_COUNT_ON_ROW: // 1136
      return ErrorKind::kSchemaDrift;
    case ER_DISK_FULL:                // 1021
    case ER_RECORD_FILE_FULL:         // 1114 table is full
      return ErrorKind::kIo;
    default: break;
  }
  if (number >= CR_MIN_ERROR && number <= CR_MAX_ERROR) {
    return is_statement_client_error(number) ? ErrorKind::kInternal : ErrorKind::kTargetUnavailable;
  }
  return ErrorKind::kInvalidInput;
}

Connection::Connection(std::string url) : url_(std::move(url)), display_url_(redact_url(url_)) {
  ParsedUrl parsed = parse_url(url_);
  password_ = parsed.password;
  database_ = parsed.database;
  mysql_ = mysql_init(nullptr);
  if (mysql_ == nullptr) throw Error::TargetUnavailable("cannot allocate a MySQL connection", {.target = display_url_});
  unsigned int connect_timeout = 10;
  auto local = parsed.params.find("local-infile");
  if (local != parsed.params.end() && (local->second == "0" || local->second == "false" || local->second == "off")) {
    local_infile_ = false;
  }
  unsigned int local_infile = local_infile_ ? 1 : 0;
  my_bool reconnect = 0;
  mysql_options(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(mysql_, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  // No silent reconnect: a dropped connection must end the transaction loudly.
  mysql_options(mysql_, MYSQL_OPT_RECONNECT, &reconnect);
  mysql_options(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  auto socket = parsed.params.find("socket");
  const char* host = parsed.host.empty() ? "localhost" : parsed.host.c_str();
  if (mysql_real_connect(mysql_, host, parsed.user.empty() ? nullptr : parsed.user.c_str(),
                         parsed.has_password ? parsed.password.c_str() : nullptr,
                         parsed.database.empty() ? nullptr : parsed.database.c_str(),
                         static_cast<unsigned>(parsed.port),
                         socket == parsed.params.end() ? nullptr : socket->second.c_str(), 0) == nullptr) {
    Error failure = Error::TargetUnavailable(
        scrub(fmt::format("cannot connect to MySQL: {} (error {})", mysql_error(mysql_), mysql_errno(mysql_))),
        {.target = display_url_});
    mysql_close(mysql_);
    mysql_ = nullptr;
    throw failure;
  }
  mysql_set_local_infile_handler(mysql_, infile_init, infile_read, infile_end, infile_error, &infile_);
  std::string_view server = mysql_get_server_info(mysql_);
  unsigned long version = mysql_get_server_version(mysql_);
  if (server.find("MariaDB") != std::string_view::npos) {
    collation_ = "utf8mb4_nopad_bin";
  } else if (version >= 80017) {
    collation_ = "utf8mb4_0900_bin";
  }
  try {
    // Strict mode: a value that does not fit is an error, never a silent truncation. UTC, so
    // that TIMESTAMP columns read and write UTC like every other target.
    run("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
        "NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'");
  } catch (const Error& failure) {
    mysql_close(mysql_);
    mysql_ = nullptr;
    throw Error::TargetUnavailable(fmt::format("cannot set up the MySQL session: {}", failure.message()),
                                   {.target = display_url_});
  }
}

Connection::~Connection() {
  if (mysql_ != nullptr) mysql_close(mysql_);
}

bool Connection::in_transaction() const {
  unsigned int status = 0;
  if (mariadb_get_infov(mysql_, MARIADB_CONNECTION_SERVER_STATUS, &status) != 0) return false;
  return (status & SERVER_STATUS_IN_TRANS) != 0;
}

std::string Connection::scrub(std::string text) const {
  if (password_.size() < 3) return text;  // too short to find without false hits; never echoed anyway
  size_t pos = 0;
  while ((pos = text.find(password_, pos)) != std::string::npos) {
    text.replace(pos, password_.size(), "***");
    pos += 3;
  }
  return text;
}

Error Connection::error(unsigned number, std::string_view message, std::string_view what,
                        ErrorContext context) const {
  context.target = display_url_;
  return Error(kind_of_errno(number), std::move(context),
               scrub(fmt::format("{}: {} (MySQL error {})", what, message, number)));
}

Error Connection::error(std::string_view what, ErrorContext context) const {
  return error(mysql_errno(mysql_), mysql_error(mysql_), what, std::move(context));
}

int64_t Connection::run(std::string_view sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    throw error(fmt::format("'{}' failed", sql.substr(0, 200)));
  }
  if (mysql_field_count(mysql_) > 0) {
    MYSQL_RES* result = mysql_use_result(mysql_);
    if (result == nullptr) throw error(fmt::format("reading the result of '{}' failed", sql.substr(0, 200)));
    while (mysql_fetch_row(result) != nullptr) {
    }
    unsigned failed = mysql_errno(mysql_);
    mysql_free_result(result);
    if (failed != 0) throw error(fmt::format("reading the result of '{}' failed", sql.substr(0, 200)));
    return 0;
  }
  my_ulonglong affected = mysql_affected_rows(mysql_);
  return affected == static_cast<my_ulonglong>(-1) ? 0 : static_cast<int64_t>(affected);
}

void Connection::run_quietly(std::string_view sql) noexcept {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return;
  if (mysql_field_count(mysql_) > 0) {
    MYSQL_RES* result = mysql_store_result(mysql_);
    if (result != nullptr) mysql_free_result(result);
  }
}

int64_t Connection::info_number(std::string_view label) const {
  const char* info = mysql_info(mysql_);
  if (info == nullptr) return -1;
  std::string_view text(info);
  size_t pos = text.find(label);
  if (pos == std::string_view::npos) return -1;
  pos = text.find_first_of("0123456789", pos + label.size());
  if (pos == std::string_view::npos) return -1;
  int64_t value = -1;
  std::from_chars(text.data() + pos, text.data() + text.size(), value);
  return value;
}

std::string Connection::warnings_text() {
  std::string out;
  if (mysql_real_query(mysql_, "SHOW WARNINGS LIMIT 10", 22) != 0) return out;
  MYSQL_RES* result = mysql_store_result(mysql_);
  if (result == nullptr) return out;
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{} {}: {}", row[0] ? row[0] : "", row[1] ? row[1] : "", row[2] ? row[2] : "");
  }
  mysql_free_result(result);
  return scrub(out);
}

int64_t Connection::load_data(std::string_view sql, std::string_view data) {
  infile_.data = data;
  infile_.position = 0;
  try {
    int64_t affected = run(sql);
    infile_ = {};
    return affected;
  } catch (...) {
    infile_ = {};
    throw;
  }
}

// ---------------------------------------------------------------------------------------------

Statement::Statement(Connection& connection, std::string_view sql) : connection_(connection), sql_(sql) {
  stmt_ = mysql_stmt_init(connection_.raw());
  if (stmt_ == nullptr) throw connection_.error("cannot allocate a prepared statement");
  if (mysql_stmt_prepare(stmt_, sql.data(), sql.size()) != 0) {
    Error failure = connection_.error(mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_),
                                      fmt::format("cannot prepare '{}'", sql.substr(0, 200)));
    mysql_stmt_close(stmt_);
    throw failure;
  }
  param_binds_.resize(mysql_stmt_param_count(stmt_));
  param_lengths_.resize(param_binds_.size());
  MYSQL_RES* meta = mysql_stmt_result_metadata(stmt_);
  if (meta != nullptr) {
    unsigned count = mysql_num_fields(meta);
    MYSQL_FIELD* fields = mysql_fetch_fields(meta);
    values_.resize(count);
    for (unsigned col = 0; col < count; ++col) {
      Value& value = values_[col];
      switch (fields[col].type) {
        case MYSQL_TYPE_TINY:
        case MYSQL_TYPE_SHORT:
        case MYSQL_TYPE_LONG:
        case MYSQL_TYPE_INT24:
        case MYSQL_TYPE_LONGLONG:
        case MYSQL_TYPE_YEAR:
          value.value_class = ValueClass::kInt;
          value.is_unsigned = (fields[col].flags & UNSIGNED_FLAG) != 0;
          break;
        case MYSQL_TYPE_FLOAT:
        case MYSQL_TYPE_DOUBLE: value.value_class = ValueClass::kDouble; break;
        case MYSQL_TYPE_DATE:
        case MYSQL_TYPE_NEWDATE:
          value.value_class = ValueClass::kTemporal;
          value.temporal_type = MYSQL_TYPE_DATE;
          break;
        case MYSQL_TYPE_TIME:
          value.value_class = ValueClass::kTemporal;
          value.temporal_type = MYSQL_TYPE_TIME;
          break;
        case MYSQL_TYPE_DATETIME:
        case MYSQL_TYPE_TIMESTAMP:
          value.value_class = ValueClass::kTemporal;
          value.temporal_type = MYSQL_TYPE_DATETIME;
          break;
        default: value.value_class = ValueClass::kBytes; break;
      }
      value.bytes.resize(64);
    }
    mysql_free_result(meta);
    bind_results();
  }
}

Statement::~Statement() {
  reset();
  mysql_stmt_close(stmt_);
}

void Statement::bind_results() {
  result_binds_.assign(values_.size(), MYSQL_BIND{});
  for (size_t col = 0; col < values_.size(); ++col) {
    Value& value = values_[col];
    MYSQL_BIND& bind = result_binds_[col];
    bind.is_null = &value.is_null;
    bind.error = &value.error;
    bind.length = &value.length;
    switch (value.value_class) {
      case ValueClass::kInt:
        bind.buffer_type = MYSQL_TYPE_LONGLONG;
        bind.buffer = &value.int_value;
        bind.is_unsigned = value.is_unsigned;
        break;
      case ValueClass::kDouble:
        bind.buffer_type = MYSQL_TYPE_DOUBLE;
        bind.buffer = &value.double_value;
        break;
      case ValueClass::kTemporal:
        bind.buffer_type = value.temporal_type;
        bind.buffer = &value.time_value;
        break;
      case ValueClass::kBytes:
        bind.buffer_type = MYSQL_TYPE_STRING;
        bind.buffer = value.bytes.data();
        bind.buffer_length = static_cast<unsigned long>(value.bytes.size());
        break;
    }
  }
  if (mysql_stmt_bind_result(stmt_, result_binds_.data()) != 0) {
    throw connection_.error(mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_), "cannot bind result columns");
  }
}

int64_t Statement::execute(const Params& params) {
  reset();
  if (params.size() != param_binds_.size()) {
    throw Error::Internal(fmt::format("'{}' has {} placeholders but {} values were given", sql_.substr(0, 200),
                                      param_binds_.size(), params.size()));
  }
  for (size_t idx = 0; idx < params.size(); ++idx) {
    MYSQL_BIND& bind = param_binds_[idx];
    bind = MYSQL_BIND{};
    const Param& param = params[idx];
    if (std::holds_alternative<std::nullptr_t>(param)) {
      bind.buffer_type = MYSQL_TYPE_NULL;
    } else if (const auto* integer = std::get_if<int64_t>(&param)) {
      bind.buffer_type = MYSQL_TYPE_LONGLONG;
      bind.buffer = const_cast<int64_t*>(integer);
    } else if (const auto* real = std::get_if<double>(&param)) {
      bind.buffer_type = MYSQL_TYPE_DOUBLE;
      bind.buffer = const_cast<double*>(real);
    } else {
      const auto& text = std::get<std::string>(param);
      bind.buffer_type = MYSQL_TYPE_STRING;
      bind.buffer = const_cast<char*>(text.data());
      bind.buffer_length = static_cast<unsigned long>(text.size());
      param_lengths_[idx] = static_cast<unsigned long>(text.size());
      bind.length = &param_lengths_[idx];
    }
  }
  if (!param_binds_.empty() && mysql_stmt_bind_param(stmt_, param_binds_.data()) != 0) {
    throw connection_.error(mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_), "cannot bind parameters");
  }
  if (mysql_stmt_execute(stmt_) != 0) {
    throw connection_.error(mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_),
                            fmt::format("'{}' failed", sql_.substr(0, 200)));
  }
  if (!values_.empty()) {
    pending_rows_ = true;
    return 0;
  }
  my_ulonglong affected = mysql_stmt_affected_rows(stmt_);
  return affected == static_cast<my_ulonglong>(-1) ? 0 : static_cast<int64_t>(affected);
}

bool Statement::fetch() {
  if (!pending_rows_) return false;
  int rc = mysql_stmt_fetch(stmt_);
  if (rc == MYSQL_NO_DATA) {
    pending_rows_ = false;
    return false;
  }
  if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
    pending_rows_ = false;
    std::string what = fmt::format("reading the rows of '{}' failed", sql_.substr(0, 200));
    if (mysql_stmt_errno(stmt_) != 0) throw connection_.error(mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_), what);
    if (mysql_errno(connection_.raw()) != 0) throw connection_.error(what);
    // libmariadb reports a connection that died in the middle of a row stream without an error
    // number on the statement; nothing else makes a fetch fail without one.
    throw connection_.error(CR_SERVER_LOST, "the connection was lost while reading rows", what);
  }
  if (rc == MYSQL_DATA_TRUNCATED) {
    // A value longer than its buffer: grow the buffer (it stays grown for later rows), fetch the
    // value again into it, and rebind.
    bool grown = false;
    for (size_t col = 0; col < values_.size(); ++col) {
      Value& value = values_[col];
      if (value.value_class != ValueClass::kBytes || value.is_null || value.length <= value.bytes.size()) continue;
      value.bytes.resize(std::max<size_t>(value.length, value.bytes.size() * 2));
      MYSQL_BIND bind = result_binds_[col];
      bind.buffer = value.bytes.data();
      bind.buffer_length = static_cast<unsigned long>(value.bytes.size());
      if (mysql_stmt_fetch_column(stmt_, &bind, static_cast<unsigned>(col), 0) != 0) {
        throw connection_.error(mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_), "reading a long value failed");
      }
      grown = true;
    }
    if (grown) bind_results();
  }
  return true;
}

void Statement::reset() noexcept {
  if (!pending_rows_) return;
  pending_rows_ = false;
  // Reads and drops the rest of an unbuffered result, so the connection can run the next command.
  mysql_stmt_free_result(stmt_);
}

void Statement::append_text(size_t col, std::string& out) const {
  const Value& value = values_[col];
  if (value.is_null) return;
  switch (value.value_class) {
    case ValueClass::kInt:
      if (value.is_unsigned) {
        fmt::format_to(std::back_inserter(out), "{}", static_cast<uint64_t>(value.int_value));
      } else {
        fmt::format_to(std::back_inserter(out), "{}", value.int_value);
      }
      break;
    case ValueClass::kDouble: out += format_double(value.double_value); break;
    case ValueClass::kTemporal: {
      const MYSQL_TIME& time = value.time_value;
      if (value.temporal_type == MYSQL_TYPE_TIME) {
        if (time.neg || time.hour >= 24) {
          fmt::format_to(std::back_inserter(out), "{}{:02}:{:02}:{:02}", time.neg ? "-" : "", time.hour, time.minute,
                         time.second);
          if (time.second_part != 0) fmt::format_to(std::back_inserter(out), ".{:06}", time.second_part);
        } else {
          out += format_time((static_cast<int64_t>(time.hour) * 3600 + time.minute * 60 + time.second) * 1000000LL +
                             static_cast<int64_t>(time.second_part));
        }
        break;
      }
      int64_t days = days_from_civil(time.year, time.month, time.day);
      if (value.temporal_type == MYSQL_TYPE_DATE || time.month == 0 || time.day == 0) {
        fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}", time.year, time.month, time.day);
        break;
      }
      out += format_timestamp(days * 86400000000LL +
                              (static_cast<int64_t>(time.hour) * 3600 + time.minute * 60 + time.second) * 1000000LL +
                              static_cast<int64_t>(time.second_part));
      break;
    }
    case ValueClass::kBytes: out += bytes_at(col); break;
  }
}

std::string lock_name(std::string_view database, std::string_view name) {
  std::string full = fmt::format("{}.{}", database, name);
  if (full.size() <= 64) return full;
  return fmt::format("{}#{:016x}", full.substr(0, 47), hash_bytes(full));
}

}  // namespace idemload::targets::mysql
