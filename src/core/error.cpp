#include "core/error.h"

#include <fmt/format.h>

namespace idemload {

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput: return "invalid input";
    case ErrorKind::kCorruption: return "corruption";
    case ErrorKind::kIo: return "I/O error";
    case ErrorKind::kTargetUnavailable: return "target unavailable";
    case ErrorKind::kTargetConflict: return "target conflict";
    case ErrorKind::kSchemaDrift: return "schema drift";
    case ErrorKind::kNotSupported: return "not supported";
    case ErrorKind::kInDoubt: return "in doubt";
    case ErrorKind::kInternal: return "internal error";
  }
  return "unknown";
}

std::string ErrorContext::to_string() const {
  std::string out;
  auto add = [&out](std::string part) {
    if (!out.empty()) out += ", ";
    out += part;
  };
  if (!target.empty()) add(fmt::format("target {}", target));
  if (!file.empty()) add(file);
  if (row_group >= 0) add(fmt::format("row group {}", row_group));
  if (page >= 0) add(fmt::format("page {}", page));
  if (row >= 0) add(fmt::format("row {}", row));
  if (!column.empty()) add(fmt::format("column '{}'", column));
  if (!job_id.empty()) add(fmt::format("job {}", job_id));
  return out;
}

static std::string compose(const ErrorContext& context, const std::string& message) {
  std::string where = context.to_string();
  return where.empty() ? message : where + ": " + message;
}

Error::Error(ErrorKind kind, ErrorContext context, std::string message)
    : std::runtime_error(compose(context, message)),
      kind_(kind),
      context_(std::move(context)),
      message_(std::move(message)) {}

Error Error::with_context(const ErrorContext& outer) const {
  ErrorContext merged = context_;
  if (merged.file.empty()) merged.file = outer.file;
  if (merged.row_group < 0) merged.row_group = outer.row_group;
  if (merged.page < 0) merged.page = outer.page;
  if (merged.row < 0) merged.row = outer.row;
  if (merged.column.empty()) merged.column = outer.column;
  if (merged.target.empty()) merged.target = outer.target;
  if (merged.job_id.empty()) merged.job_id = outer.job_id;
  return Error(kind_, std::move(merged), message_);
}

}  // namespace idemload
