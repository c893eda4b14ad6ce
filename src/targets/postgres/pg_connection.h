// One libpq connection with idemload's error mapping: every failure becomes an idemload::Error
// (kTargetUnavailable when the server cannot be reached or the connection dropped), named by the
// redacted URL, and no message carries the password.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "targets/target.h"

namespace idemload::targets::postgres {

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// Rewrites the `?` placeholders of `sql` to $1..$n, leaving `?` alone inside quoted strings,
// quoted identifiers, dollar-quoted strings and comments. Returns the rewritten text.
std::string number_placeholders(std::string_view sql);

// The ErrorKind for a SQLSTATE (five characters; empty when the server sent none).
ErrorKind kind_of_sqlstate(std::string_view sqlstate);

class Connection {
 public:
  // Connects to `url` (postgresql://…; libpq's PG* environment variables fill in what the URL
  // omits). Sets the session to UTC, ISO dates and UTF-8. Throws kTargetUnavailable naming the
  // redacted URL.
  explicit Connection(std::string url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* raw() const { return conn_; }
  const std::string& url() const { return url_; }
  const std::string& display_url() const { return display_url_; }

  // Runs one statement written with $n placeholders (or, with no params and text results,
  // several statements). Returns the result of a successful command; throws otherwise.
  // result_format: 0 text, 1 binary.
  Result exec(std::string_view sql, const Params& params = {}, int result_format = 0);
  // Runs `sql` (no parameters, binary results) again and again in pipeline mode, with up to
  // `ahead` executions in flight: the server computes the next result while the caller handles
  // this one, instead of one round trip at a time (FETCH from a cursor). `handle` gets each
  // result in order and returns false to send no more; results already asked for are drained.
  // Throws as exec() does; the connection leaves pipeline mode either way.
  void exec_pipelined(std::string_view sql, int ahead, const std::function<bool(const PGresult*)>& handle);
  // Like exec but never throws; for cleanup on error paths.
  void exec_quietly(std::string_view sql);
  // Rows affected by a command result ("INSERT 0 5" -> 5).
  static int64_t affected(const PGresult* result);

  // COPY … FROM STDIN of `data` (already in the COPY's format), sent in large chunks. Returns
  // the rows the server reports copied. `context` is attached to errors; when the server names
  // a line of the COPY, `on_line` (if set) may fill in the row it came from.
  int64_t copy_in(std::string_view copy_sql, std::string_view data, ErrorContext context,
                  const std::function<void(int64_t line, ErrorContext&)>& on_line = {});

  bool usable() const { return PQstatus(conn_) == CONNECTION_OK; }
  // Inside a transaction block (also an aborted one).
  bool in_transaction() const {
    auto status = PQtransactionStatus(conn_);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
  }

  // The Error for a failed `result` (may be null) of `what`; the password is scrubbed.
  Error error(const PGresult* result, std::string_view what, ErrorContext context = {}) const;
  // Replaces the password, wherever it appears in `text`, by "***".
  std::string scrub(std::string text) const;

 private:
  std::string url_;
  std::string display_url_;
  std::string password_;
  PGconn* conn_ = nullptr;
};

}  // namespace idemload::targets::postgres
