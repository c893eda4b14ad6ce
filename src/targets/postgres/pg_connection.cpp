#include "targets/postgres/pg_connection.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "core/value_text.h"
#include "targets/url.h"

namespace idemload::targets::postgres {

namespace {

bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// The length of a dollar-quote tag ("$$", "$tag$") starting at `pos`, or 0 when there is none.
size_t dollar_tag_length(std::string_view sql, size_t pos) {
  if (pos > 0 && is_ident_char(sql[pos - 1])) return 0;  // a$b is an identifier
  size_t end = pos + 1;
  if (end < sql.size() && sql[end] >= '0' && sql[end] <= '9') return 0;  // $1 is a parameter
  while (end < sql.size() && is_ident_char(sql[end]) && sql[end] != '$') ++end;
  if (end < sql.size() && sql[end] == '$') return end - pos + 1;
  return 0;
}

std::string trim_message(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  size_t pos = 0;
  while (pos < sql.size()) {
    char c = sql[pos];
    if (c == '\'') {
      // E'…' strings take backslash escapes; '' is a quote in every string.
      bool escapes = pos > 0 && (sql[pos - 1] == 'E' || sql[pos - 1] == 'e') &&
                     (pos < 2 || !is_ident_char(sql[pos - 2]));
      size_t end = pos + 1;
      while (end < sql.size()) {
        if (escapes && sql[end] == '\\') {
          end += 2;
          continue;
        }
        if (sql[end] == '\'') break;
        ++end;
      }
      end = std::min(end + 1, sql.size());
      out.append(sql.substr(pos, end - pos));
      pos = end;
    } else if (c == '"') {
      size_t end = sql.find('"', pos + 1);
      end = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(pos, end - pos));
      pos = end;
    } else if (c == '-' && pos + 1 < sql.size() && sql[pos + 1] == '-') {
      size_t end = sql.find('\n', pos);
      end = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(pos, end - pos));
      pos = end;
    } else if (c == '/' && pos + 1 < sql.size() && sql[pos + 1] == '*') {
      int depth = 0;  // PostgreSQL block comments nest
      size_t end = pos;
      while (end < sql.size()) {
        if (sql.compare(end, 2, "/*") == 0) {
          ++depth;
          end += 2;
        } else if (sql.compare(end, 2, "*/") == 0) {
          end += 2;
          if (--depth == 0) break;
        } else {
          ++end;
        }
      }
      end = std::min(end, sql.size());
      out.append(sql.substr(pos, end - pos));
      pos = end;
    } else if (c == '$' && dollar_tag_length(sql, pos) > 0) {
      size_t tag_length = dollar_tag_length(sql, pos);
      std::string_view tag = sql.substr(pos, tag_length);
      size_t close = sql.find(tag, pos + tag_length);
      size_t end = close == std::string_view::npos ? sql.size() : close + tag_length;
      out.append(sql.substr(pos, end - pos));
      pos = end;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(next++);
      ++pos;
    } else {
      out += c;
      ++pos;
    }
  }
  return out;
}

ErrorKind kind_of_sqlstate(std::string_view sqlstate) {
  auto starts = [&](std::string_view prefix) { return sqlstate.substr(0, prefix.size()) == prefix; };
  if (sqlstate.empty()) return ErrorKind::kTargetUnavailable;
  if (starts("08") || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" || sqlstate == "53300") {
    return ErrorKind::kTargetUnavailable;  // connection exceptions, server shutting down, too many connections
  }
  if (starts("23") || starts("40") || sqlstate == "55P03" || sqlstate == "25P02" || sqlstate == "57014") {
    return ErrorKind::kTargetConflict;  // constraints, serialization/deadlock, lock timeouts, aborted txn
  }
  if (sqlstate == "42703" || sqlstate == "42804") return ErrorKind::kSchemaDrift;
  if (sqlstate == "53100" || sqlstate == "58030") return ErrorKind::kIo;  // disk full, I/O error
  return ErrorKind::kInvalidInput;
}

Connection::Connection(std::string url) : url_(std::move(url)), display_url_(redact_url(url_)) {
  try {
    ParsedUrl parsed = parse_url(url_);
    if (parsed.has_password) {
      password_ = parsed.password;
    } else if (auto it = parsed.params.find("password"); it != parsed.params.end()) {
      password_ = it->second;
    }
  } catch (const Error&) {
    // libpq has the final word on what it accepts; we only wanted the password to scrub.
  }
  // Keywords before dbname are defaults the URL may override (libpq processes them in order).
  std::vector<const char*> keys = {"fallback_application_name"};
  std::vector<const char*> values = {"idemload"};
  if (std::getenv("PGCONNECT_TIMEOUT") == nullptr) {
    keys.push_back("connect_timeout");
    values.push_back("15");
  }
  keys.push_back("dbname");
  values.push_back(url_.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), 1);
  if (conn_ == nullptr) {
    throw Error::TargetUnavailable("cannot connect to PostgreSQL: out of memory", {.target = display_url_});
  }
  if (password_.empty() && PQpass(conn_) != nullptr) password_ = PQpass(conn_);  // PGPASSWORD, .pgpass
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = scrub(trim_message(PQerrorMessage(conn_)));
    PQfinish(conn_);
    conn_ = nullptr;
    throw Error::TargetUnavailable(fmt::format("cannot connect to PostgreSQL: {}", message), {.target = display_url_});
  }
  // NOTICEs (IF EXISTS, IF NOT EXISTS) would go to stderr otherwise.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  try {
    // Timestamps are UTC instants; ISO dates and shortest exact floats keep text forms canonical.
    exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET client_encoding = 'UTF8'; "
         "SET extra_float_digits = 3");
  } catch (...) {
    PQfinish(conn_);
    conn_ = nullptr;
    throw;
  }
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

std::string Connection::scrub(std::string text) const {
  if (password_.size() < 3) return text;  // too short to tell from ordinary words
  size_t pos = 0;
  while ((pos = text.find(password_, pos)) != std::string::npos) {
    text.replace(pos, password_.size(), "***");
    pos += 3;
  }
  return text;
}

Error Connection::error(const PGresult* result, std::string_view what, ErrorContext context) const {
  auto field = [&](int code) -> std::string {
    const char* value = result != nullptr ? PQresultErrorField(result, code) : nullptr;
    return value != nullptr ? value : "";
  };
  std::string sqlstate = field(PG_DIAG_SQLSTATE);
  std::string primary = field(PG_DIAG_MESSAGE_PRIMARY);
  if (primary.empty()) primary = trim_message(PQerrorMessage(conn_));
  if (primary.empty()) primary = "unknown error";
  std::string message = fmt::format("{}: {}", what, primary);
  if (std::string detail = field(PG_DIAG_MESSAGE_DETAIL); !detail.empty()) message += fmt::format(" ({})", detail);
  if (!sqlstate.empty()) message += fmt::format(" [SQLSTATE {}]", sqlstate);
  ErrorKind kind = usable() ? kind_of_sqlstate(sqlstate) : ErrorKind::kTargetUnavailable;
  if (kind == ErrorKind::kTargetUnavailable && usable() && sqlstate.empty()) kind = ErrorKind::kInvalidInput;
  if (context.target.empty()) context.target = display_url_;
  return Error(kind, std::move(context), scrub(std::move(message)));
}

Result Connection::exec(std::string_view sql, const Params& params, int result_format) {
  std::string text(sql);
  Result result;
  if (params.empty() && result_format == 0) {
    result.reset(PQexec(conn_, text.c_str()));
  } else {
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<Oid> types(params.size(), 0);  // 0: let the server infer (text, dates, …)
    for (size_t idx = 0; idx < params.size(); ++idx) {
      const Param& param = params[idx];
      if (const auto* number = std::get_if<int64_t>(&param)) {
        storage[idx] = std::to_string(*number);
        types[idx] = 20;  // int8
      } else if (const auto* real = std::get_if<double>(&param)) {
        storage[idx] = format_double(*real);
        types[idx] = 701;  // float8
      } else if (const auto* string = std::get_if<std::string>(&param)) {
        storage[idx] = *string;
      } else {
        continue;  // NULL
      }
      values[idx] = storage[idx].c_str();
    }
    result.reset(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), types.data(), values.data(),
                              nullptr, nullptr, result_format));
  }
  ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN) return result;
  throw error(result.get(), fmt::format("'{}' failed", sql.substr(0, 200)));
}

void Connection::exec_pipelined(std::string_view sql, int ahead, const std::function<bool(const PGresult*)>& handle) {
  const std::string text(sql);
  const std::string what = fmt::format("'{}' failed", sql.substr(0, 200));
  if (PQenterPipelineMode(conn_) != 1) throw error(nullptr, what);
  int in_flight = 0;
  auto send = [&] {
    // The flush request makes the server send each result as soon as it is complete.
    if (PQsendQueryParams(conn_, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1) != 1 ||
        PQsendFlushRequest(conn_) != 1 || PQflush(conn_) != 0) {
      throw error(nullptr, what);
    }
    ++in_flight;
  };
  std::exception_ptr failure;
  try {
    for (int idx = 0; idx < std::max(ahead, 1); ++idx) send();
    bool more = true;
    while (in_flight > 0) {
      Result result(PQgetResult(conn_));
      ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
      if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) throw error(result.get(), what);
      PQclear(PQgetResult(conn_));  // the null that ends this execution's results
      --in_flight;
      if (more) more = handle(result.get());
      if (more) send();
    }
  } catch (...) {
    failure = std::current_exception();
  }
  // A sync ends the pipeline (and the skipping of what was queued after an error); everything
  // up to it is read and dropped.
  bool synced = false;
  if (usable() && PQpipelineSync(conn_) == 1) {
    for (int nulls = 0; nulls <= 2 * in_flight + 2 && usable();) {
      Result result(PQgetResult(conn_));
      if (!result) {
        ++nulls;
        continue;
      }
      if (PQresultStatus(result.get()) == PGRES_PIPELINE_SYNC) {
        synced = true;
        break;
      }
    }
  }
  bool left = synced && PQexitPipelineMode(conn_) == 1;
  if (failure) std::rethrow_exception(failure);
  if (!left) throw error(nullptr, what);
}

void Connection::exec_quietly(std::string_view sql) {
  if (!usable()) return;
  PQclear(PQexec(conn_, std::string(sql).c_str()));
}

int64_t Connection::affected(const PGresult* result) {
  const char* text = PQcmdTuples(const_cast<PGresult*>(result));
  if (text == nullptr || *text == '\0') return 0;
  return parse_int64(text).value_or(0);
}

int64_t Connection::copy_in(std::string_view copy_sql, std::string_view data, ErrorContext context,
                            const std::function<void(int64_t line, ErrorContext&)>& on_line) {
  Result start(PQexec(conn_, std::string(copy_sql).c_str()));
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) {
    throw error(start.get(), fmt::format("'{}' failed", copy_sql.substr(0, 200)), context);
  }
  // Large chunks: libpq sends each as CopyData messages without another copy of ours.
  constexpr size_t kChunk = size_t{1} << 20;
  bool sent = true;
  for (size_t pos = 0; pos < data.size() && sent; pos += kChunk) {
    size_t length = std::min(kChunk, data.size() - pos);
    sent = PQputCopyData(conn_, data.data() + pos, static_cast<int>(length)) == 1;
  }
  if (sent) sent = PQputCopyEnd(conn_, nullptr) == 1;
  Result failed;
  Result last;
  while (PGresult* raw = PQgetResult(conn_)) {
    Result result(raw);
    if (PQresultStatus(raw) == PGRES_COMMAND_OK) {
      last = std::move(result);
    } else if (!failed) {
      failed = std::move(result);
    }
    if (PQresultStatus(raw) == PGRES_COPY_IN) break;  // only after a failed send on a dead connection
  }
  if (!sent || failed || !last) {
    if (failed) {
      // "COPY t, line 3, column c: …": point at the source row and column.
      const char* where = PQresultErrorField(failed.get(), PG_DIAG_CONTEXT);
      std::string_view text = where != nullptr ? where : "";
      if (size_t line = text.find(", line "); line != std::string_view::npos) {
        int64_t number = 0;
        const char* begin = text.data() + line + 7;
        std::from_chars(begin, text.data() + text.size(), number);
        if (number > 0 && on_line) on_line(number, context);
      }
      if (size_t column = text.find(", column "); column != std::string_view::npos && context.column.empty()) {
        std::string_view rest = text.substr(column + 9);
        context.column = std::string(rest.substr(0, rest.find(':')));
      }
    }
    throw error(failed.get(), fmt::format("'{}' failed", copy_sql.substr(0, 200)), std::move(context));
  }
  return affected(last.get());
}

}  // namespace idemload::targets::postgres
