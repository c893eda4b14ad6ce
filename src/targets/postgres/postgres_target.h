// The PostgreSQL target (libpq): postgresql:// URLs and libpq's PG* environment variables; bulk
// writes by COPY … FROM STDIN (BINARY where every column allows it), ON CONFLICT through a
// temporary table, scans by cursor, named locks as session advisory locks on their own connection.
#pragma once

#include <memory>
#include <string_view>

#include "targets/target.h"

namespace idemload::targets {

// Connects to `url` ("postgresql://…" or "postgres://…"; what it omits comes from PGHOST,
// PGPORT, PGUSER, PGPASSWORD, PGDATABASE, …). Throws kTargetUnavailable when it cannot connect.
std::unique_ptr<Target> open_postgres(std::string_view url);

}  // namespace idemload::targets
