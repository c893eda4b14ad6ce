// SQL text shared by the targets that bind `?` placeholders (SQLite, MySQL/MariaDB): the WHERE
// clause of a scope and the push-down anti-join. PostgreSQL builds its own ($n placeholders,
// and a NULL-key split that lets its planner hash the anti-join).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "targets/target.h"

namespace idemload::targets {

// " WHERE …" selecting `scope` (or "" for the whole table); appends its parameters.
// `qualifier` prefixes the lineage column ("t.").
std::string scope_where_clause(const Target& target, const Scope& scope, Params& params,
                               std::string_view qualifier = "");

// INSERT INTO table (columns[, _batch]) SELECT … FROM temp s WHERE NOT EXISTS (a row in scope of
// `table` whose key equals s's key). `null_safe_equal` compares two key values with NULLs equal
// ("IS" in SQLite, "<=>" in MySQL). `write_lineage`: the table has _batch and `lineage` is set.
std::string insert_missing_sql(const Target& target, std::string_view table, std::string_view temp_table,
                               const Schema& columns, const std::vector<std::string>& key, const Scope& scope,
                               const std::optional<std::string>& lineage, bool write_lineage,
                               std::string_view null_safe_equal, Params& params);

}  // namespace idemload::targets
