// Logical column types and table schemas shared by every layer. A Schema describes the
// columns of a batch stream (source) or of a table (target).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace idemload {

// Storage of each type in a Column:
//   kBool, kInt64, kDate (days since 1970-01-01), kTimestamp (microseconds since the epoch,
//   UTC), kTime (microseconds since midnight)       -> Column::ints
//   kDouble                                          -> Column::doubles
//   kString (UTF-8), kBinary, kDecimal (exact text, e.g. "-12.340") -> offsets + bytes
enum class Type : uint8_t { kBool, kInt64, kDouble, kString, kBinary, kDate, kTimestamp, kTime, kDecimal };

std::string_view type_name(Type type);  // "int64", "string", ...
std::optional<Type> parse_type(std::string_view name);  // inverse of type_name (+ a few aliases)

enum class Storage : uint8_t { kInts, kDoubles, kBytes };
constexpr Storage storage_of(Type type) {
  switch (type) {
    case Type::kDouble: return Storage::kDoubles;
    case Type::kString:
    case Type::kBinary:
    case Type::kDecimal: return Storage::kBytes;
    default: return Storage::kInts;
  }
}

struct Field {
  std::string name;
  Type type = Type::kString;
  bool nullable = true;
  int precision = 0;  // kDecimal only
  int scale = 0;      // kDecimal only

  bool operator==(const Field&) const = default;
};

class Schema {
 public:
  Schema() = default;
  explicit Schema(std::vector<Field> fields) : fields_(std::move(fields)) {}

  const std::vector<Field>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }
  const Field& field(size_t idx) const { return fields_[idx]; }
  void add(Field field) { fields_.push_back(std::move(field)); }

  // Index of the column called `name` (exact match first, then ASCII case-insensitive), or
  // nullopt.
  std::optional<size_t> index_of(std::string_view name) const;

  // Indexes of `names`; throws Error(kInvalidInput) naming the first missing column and the
  // columns that exist. `what` says where the names come from ("key column").
  std::vector<size_t> indexes_of(const std::vector<std::string>& names, std::string_view what,
                                 std::string_view where) const;

  // The schema of just the columns at `indexes`, in that order.
  Schema select(const std::vector<size_t>& indexes) const;

  std::string to_string() const;  // "ip string, date date, ..."
  bool operator==(const Schema&) const = default;

 private:
  std::vector<Field> fields_;
};

// Splits "a,b , c" into {"a","b","c"}; empty parts are dropped.
std::vector<std::string> split_list(std::string_view text, char sep = ',');

}  // namespace idemload
