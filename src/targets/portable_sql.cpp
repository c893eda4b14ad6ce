#include "targets/portable_sql.h"

#include <fmt/format.h>

namespace idemload::targets {

std::string scope_where_clause(const Target& target, const Scope& scope, Params& params, std::string_view qualifier) {
  switch (scope.kind) {
    case Scope::Kind::kAll: return "";
    case Scope::Kind::kLineage:
      params.emplace_back(scope.batch);
      return fmt::format(" WHERE {}{} = ?", qualifier, target.quote(kLineageColumn));
    case Scope::Kind::kWhere: return fmt::format(" WHERE ({})", scope.where_sql);
  }
  return "";
}

std::string insert_missing_sql(const Target& target, std::string_view table, std::string_view temp_table,
                               const Schema& columns, const std::vector<std::string>& key, const Scope& scope,
                               const std::optional<std::string>& lineage, bool write_lineage,
                               std::string_view null_safe_equal, Params& params) {
  std::string cols, select;
  for (const auto& field : columns.fields()) {
    if (field.name == kLineageColumn) continue;
    cols += (cols.empty() ? "" : ", ") + target.quote(field.name);
    select += (select.empty() ? "s." : ", s.") + target.quote(field.name);
  }
  if (lineage && write_lineage) {
    cols += ", " + target.quote(kLineageColumn);
    select += ", ?";
    params.emplace_back(*lineage);
  }
  std::string match;
  for (const auto& name : key) {
    std::string column = target.quote(name);
    match += fmt::format("{}t.{} {} s.{}", match.empty() ? "" : " AND ", column, null_safe_equal, column);
  }
  // The scope's own WHERE becomes an AND inside the NOT EXISTS.
  std::string in_scope = scope_where_clause(target, scope, params, "t.");
  if (!in_scope.empty()) in_scope = " AND" + in_scope.substr(std::string_view(" WHERE").size());
  return fmt::format("INSERT INTO {0} ({1}) SELECT {2} FROM {3} s WHERE NOT EXISTS (SELECT 1 FROM {0} t WHERE {4}{5})",
                     target.quote(table), cols, select, target.quote(temp_table), match, in_scope);
}

}  // namespace idemload::targets
