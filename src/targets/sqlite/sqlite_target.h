// The SQLite target: the embedded default. One database file, WAL mode; the ledger lives in the
// same file. Locks are open-file-description locks on a sidecar file (PATH-idemload.lock), so
// they are released when the process dies.
#pragma once

#include <memory>
#include <string>

#include "targets/target.h"

namespace idemload::targets {

// Opens (creating if absent) the database at `path`; ":memory:" works but has no locks.
// Throws kTargetUnavailable when the file cannot be opened.
std::unique_ptr<Target> open_sqlite(const std::string& path);

}  // namespace idemload::targets
