#include "targets/target.h"

#include <fmt/format.h>

#include "core/error.h"
#include "targets/postgres/postgres_target.h"
#include "targets/sqlite/sqlite_target.h"
#include "targets/url.h"

namespace idemload::targets {

std::unique_ptr<Target> open_mysql(std::string_view url);  // targets/mysql/

std::string_view dialect_name(DialectKind kind) {
  switch (kind) {
    case DialectKind::kSqlite: return "sqlite";
    case DialectKind::kPostgres: return "postgres";
    case DialectKind::kMysql: return "mysql";
  }
  return "?";
}

std::string Scope::describe() const {
  switch (kind) {
    case Kind::kAll: return "the whole table";
    case Kind::kLineage: return fmt::format("rows with _batch = '{}'", batch);
    case Kind::kWhere: return fmt::format("rows where {}", where_sql);
  }
  return "?";
}

std::unique_ptr<Target> open_target(std::string_view url) {
  if (url.empty()) throw Error::InvalidInput("no target given (--target URL, or IDEMLOAD_TARGET)");
  if (url.rfind("sqlite://", 0) == 0) return open_sqlite(std::string(url.substr(9)));
  if (url.rfind("sqlite:", 0) == 0) return open_sqlite(std::string(url.substr(7)));
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) return open_postgres(url);
  if (url.rfind("mysql://", 0) == 0 || url.rfind("mariadb://", 0) == 0) return open_mysql(url);
  if (url.find("://") != std::string_view::npos) {
    throw Error::InvalidInput(fmt::format(
        "unknown target scheme in '{}' (use sqlite:PATH, postgresql://…, mysql://… or mariadb://…)",
        redact_url(url)));
  }
  return open_sqlite(std::string(url));
}

}  // namespace idemload::targets
