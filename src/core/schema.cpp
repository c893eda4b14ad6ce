#include "core/schema.h"

#include <fmt/format.h>

#include "core/error.h"

namespace idemload {

std::string_view type_name(Type type) {
  switch (type) {
    case Type::kBool: return "bool";
    case Type::kInt64: return "int64";
    case Type::kDouble: return "double";
    case Type::kString: return "string";
    case Type::kBinary: return "binary";
    case Type::kDate: return "date";
    case Type::kTimestamp: return "timestamp";
    case Type::kTime: return "time";
    case Type::kDecimal: return "decimal";
  }
  return "?";
}

std::optional<Type> parse_type(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "bool" || lower == "boolean") return Type::kBool;
  if (lower == "int64" || lower == "int" || lower == "integer" || lower == "bigint") return Type::kInt64;
  if (lower == "double" || lower == "float" || lower == "float64" || lower == "real") return Type::kDouble;
  if (lower == "string" || lower == "text" || lower == "varchar") return Type::kString;
  if (lower == "binary" || lower == "blob" || lower == "bytes") return Type::kBinary;
  if (lower == "date") return Type::kDate;
  if (lower == "timestamp" || lower == "datetime") return Type::kTimestamp;
  if (lower == "time") return Type::kTime;
  if (lower == "decimal" || lower == "numeric") return Type::kDecimal;
  return std::nullopt;
}

static bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::optional<size_t> Schema::index_of(std::string_view name) const {
  for (size_t idx = 0; idx < fields_.size(); ++idx) {
    if (fields_[idx].name == name) return idx;
  }
  for (size_t idx = 0; idx < fields_.size(); ++idx) {
    if (iequals(fields_[idx].name, name)) return idx;
  }
  return std::nullopt;
}

std::vector<size_t> Schema::indexes_of(const std::vector<std::string>& names, std::string_view what,
                                       std::string_view where) const {
  std::vector<size_t> out;
  for (const auto& name : names) {
    auto idx = index_of(name);
    if (!idx) {
      std::string have;
      for (const auto& field : fields_) have += (have.empty() ? "" : ", ") + field.name;
      throw Error::InvalidInput(
          fmt::format("{} '{}' does not exist in {} (columns: {})", what, name, where, have));
    }
    out.push_back(*idx);
  }
  return out;
}

Schema Schema::select(const std::vector<size_t>& indexes) const {
  std::vector<Field> out;
  out.reserve(indexes.size());
  for (size_t idx : indexes) out.push_back(fields_.at(idx));
  return Schema(std::move(out));
}

std::string Schema::to_string() const {
  std::string out;
  for (const auto& field : fields_) {
    if (!out.empty()) out += ", ";
    out += field.name + " " + std::string(type_name(field.type));
    if (field.type == Type::kDecimal) out += fmt::format("({},{})", field.precision, field.scale);
  }
  return out;
}

std::vector<std::string> split_list(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front()))) part.remove_prefix(1);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back()))) part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

}  // namespace idemload
