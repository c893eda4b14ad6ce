// idemload::Error: the one exception type. It carries a kind (what class of failure) and a
// context (where: file, row group, page, row, column, target, job). Thrown at boundaries,
// caught only by the job runner (ledger row), alert delivery (alert row) and main (exit code).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace idemload {

enum class ErrorKind {
  kInvalidInput,       // the user's input or flags are wrong (missing file, unknown column, ...)
  kCorruption,         // a source file is damaged (bad magic, page past the chunk, ...)
  kIo,                 // reading or writing a file failed
  kTargetUnavailable,  // the database cannot be reached, or the connection dropped
  kTargetConflict,     // another job holds the lock, a constraint rejects the write, ...
  kSchemaDrift,        // source and target table disagree on columns or types
  kNotSupported,       // a valid input that idemload does not handle (nested Parquet, ...)
  kInDoubt,            // a commit whose outcome is unknown
  kInternal,           // a bug in idemload
};

std::string_view error_kind_name(ErrorKind kind);

// Where an error happened. Empty strings and negative numbers mean "not known".
struct ErrorContext {
  std::string file;
  int64_t row_group = -1;
  int64_t page = -1;
  int64_t row = -1;  // 1-based line for CSV, 0-based row for Parquet
  std::string column;
  std::string target;  // redacted URL
  std::string job_id;

  std::string to_string() const;  // "file F, row group 1, page 3, column c"
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, ErrorContext context, std::string message);

  static Error InvalidInput(std::string message, ErrorContext context = {}) {
    return Error(ErrorKind::kInvalidInput, std::move(context), std::move(message));
  }
  static Error Corruption(ErrorContext context, std::string message) {
    return Error(ErrorKind::kCorruption, std::move(context), std::move(message));
  }
  static Error Io(ErrorContext context, std::string message) {
    return Error(ErrorKind::kIo, std::move(context), std::move(message));
  }
  static Error TargetUnavailable(std::string message, ErrorContext context = {}) {
    return Error(ErrorKind::kTargetUnavailable, std::move(context), std::move(message));
  }
  static Error TargetConflict(std::string message, ErrorContext context = {}) {
    return Error(ErrorKind::kTargetConflict, std::move(context), std::move(message));
  }
  static Error SchemaDrift(std::string message, ErrorContext context = {}) {
    return Error(ErrorKind::kSchemaDrift, std::move(context), std::move(message));
  }
  static Error NotSupported(std::string message, ErrorContext context = {}) {
    return Error(ErrorKind::kNotSupported, std::move(context), std::move(message));
  }
  static Error InDoubt(std::string message, ErrorContext context = {}) {
    return Error(ErrorKind::kInDoubt, std::move(context), std::move(message));
  }
  static Error Internal(std::string message) {
    return Error(ErrorKind::kInternal, {}, std::move(message));
  }

  ErrorKind kind() const { return kind_; }
  const ErrorContext& context() const { return context_; }
  // The message without the context prefix.
  const std::string& message() const { return message_; }

  // A copy with context fields filled in where this error has none (used to add context while
  // an error travels up: the innermost, most precise context wins).
  Error with_context(const ErrorContext& outer) const;

 private:
  ErrorKind kind_;
  ErrorContext context_;
  std::string message_;
};

}  // namespace idemload
