// Test data for the ops/ unit tests: random batches with many duplicate keys, NULLs, -0/0,
// NaN and bytes with embedded zeros; and an independent reference key for brute-force checks.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/column.h"
#include "core/key_hash.h"
#include "core/value_text.h"

namespace idemload::ops::testing {

// Columns: id int64 (the global row number, never NULL), name string, num int64, real double,
// day date, payload string.
inline std::shared_ptr<const Schema> random_schema() {
  static const auto schema = std::make_shared<const Schema>(std::vector<Field>{
      {"id", Type::kInt64}, {"name", Type::kString}, {"num", Type::kInt64},
      {"real", Type::kDouble}, {"day", Type::kDate}, {"payload", Type::kString}});
  return schema;
}

// A batch of `rows` rows numbered from `first_id`, drawn from small pools so that keys repeat.
inline Batch random_batch(std::mt19937_64& rng, int64_t first_id, size_t rows) {
  static const std::vector<std::string> names = {"", "a", "b", "ab", std::string("a\0b", 3),
                                                  std::string("a\0", 2), "ba", "long name with spaces"};
  static const std::vector<double> reals = {0.0, -0.0, 1.5, -1.5, NAN, 1e300};
  Batch batch(random_schema());
  for (size_t row = 0; row < rows; ++row) {
    batch.column(0).append_int(first_id + static_cast<int64_t>(row));
    if (rng() % 10 == 0) batch.column(1).append_null(); else batch.column(1).append_bytes(names[rng() % names.size()]);
    if (rng() % 12 == 0) batch.column(2).append_null(); else batch.column(2).append_int(static_cast<int64_t>(rng() % 7) - 3);
    if (rng() % 9 == 0) batch.column(3).append_null(); else batch.column(3).append_double(reals[rng() % reals.size()]);
    if (rng() % 8 == 0) batch.column(4).append_null(); else batch.column(4).append_int(static_cast<int64_t>(rng() % 3) + 17000);
    batch.column(5).append_bytes("payload-" + std::to_string(rng() % 1000));
  }
  return batch;
}

// A key of one row for std::set, computed without core/key_hash.h: NULL is "N"; values are
// their text with -0 == 0 and every NaN equal.
inline std::vector<std::string> reference_key(const Batch& batch, const std::vector<size_t>& key_columns, size_t row) {
  std::vector<std::string> key;
  for (size_t column_idx : key_columns) {
    const Column& column = batch.column(column_idx);
    if (column.is_null(row)) {
      key.push_back("N");
      continue;
    }
    std::string text = "V";
    switch (column.storage()) {
      case Storage::kInts: text += std::to_string(column.int_at(row)); break;
      case Storage::kDoubles: {
        double value = column.double_at(row);
        text += std::isnan(value) ? "nan" : value == 0 ? "0" : format_double(value);
        break;
      }
      case Storage::kBytes: text += column.bytes_at(row); break;
    }
    key.push_back(std::move(text));
  }
  return key;
}

// The id column of every row of `batch`.
inline std::vector<int64_t> ids_of(const Batch& batch) {
  return std::vector<int64_t>(batch.column(0).ints().begin(), batch.column(0).ints().end());
}

// Hashes that force collisions: every key in one bucket, or only eight buckets.
inline uint64_t constant_hash(std::string_view) { return 7; }
inline uint64_t three_bit_hash(std::string_view bytes) { return hash_bytes(bytes) & 7; }

}  // namespace idemload::ops::testing
