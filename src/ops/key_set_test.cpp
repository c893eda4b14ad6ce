#include "ops/key_set.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <thread>

#include "core/error.h"
#include "ops/ops_test_util.h"

namespace idemload::ops {
namespace {

std::string int_key(uint64_t value) {
  std::string key(8, '\0');
  for (int byte = 0; byte < 8; ++byte) key[static_cast<size_t>(byte)] = static_cast<char>(value >> (8 * byte));
  return key;
}

// The column-wise encoder writes exactly core encode_key()'s bytes (which the target side and
// every other user of key_hash.h produce), for every storage, NULLs, -0, NaN and 0x00 bytes.
TEST(EncodedKeys, SameBytesAsEncodeKey) {
  std::mt19937_64 rng(31);
  EncodedKeys encoded;
  for (const std::vector<size_t>& key_columns :
       std::vector<std::vector<size_t>>{{1}, {3}, {0, 1, 2, 3, 4, 5}, {5, 1, 1}, {}}) {
    for (size_t rows : {0, 1, 777}) {
      Batch batch = testing::random_batch(rng, 0, rows);
      encoded.encode(batch, key_columns, &default_key_hash);
      ASSERT_EQ(encoded.size(), rows);
      for (size_t row = 0; row < rows; ++row) {
        std::string expected;
        encode_key(batch, key_columns, row, expected);
        ASSERT_EQ(encoded.key(row), expected) << "row " << row;
        ASSERT_EQ(encoded.hash(row), default_key_hash(expected));
      }
    }
  }
}

TEST(KeySet, InsertAndContains) {
  KeySet keys;
  EXPECT_EQ(keys.size(), 0u);
  EXPECT_FALSE(keys.contains("a"));
  EXPECT_TRUE(keys.insert("a"));
  EXPECT_FALSE(keys.insert("a"));
  EXPECT_TRUE(keys.insert(""));
  EXPECT_FALSE(keys.insert(""));
  EXPECT_TRUE(keys.insert(std::string("a\0", 2)));
  EXPECT_TRUE(keys.contains("a"));
  EXPECT_TRUE(keys.contains(""));
  EXPECT_TRUE(keys.contains(std::string("a\0", 2)));
  EXPECT_FALSE(keys.contains("b"));
  EXPECT_FALSE(keys.contains(std::string("a\0\0", 3)));
  EXPECT_EQ(keys.size(), 3u);
}

// Whatever the hash, membership is decided by the bytes: a constant hash puts every key in one
// probe chain, a three-bit hash in eight.
class KeySetHash : public ::testing::TestWithParam<HashFunction> {};

TEST_P(KeySetHash, AgreesWithStdSet) {
  KeySet keys(GetParam());
  std::set<std::string> reference;
  std::mt19937_64 rng(5);
  for (int step = 0; step < 3000; ++step) {
    // Keys of different lengths sharing prefixes, so that equal hashes meet unequal bytes.
    std::string key = "k" + std::to_string(rng() % 1500);
    key.append(rng() % 3, '\0');
    bool fresh = reference.insert(key).second;
    ASSERT_EQ(keys.insert(key), fresh) << key;
  }
  EXPECT_EQ(keys.size(), reference.size());
  for (int probe = 0; probe < 2000; ++probe) {
    std::string key = "k" + std::to_string(rng() % 3000);
    key.append(rng() % 3, '\0');
    ASSERT_EQ(keys.contains(key), reference.count(key) == 1) << key;
  }
}

INSTANTIATE_TEST_SUITE_P(Hashes, KeySetHash,
                         ::testing::Values(&default_key_hash, &testing::constant_hash, &testing::three_bit_hash));

TEST(KeySet, MillionsOfKeysGrowCorrectly) {
  constexpr uint64_t kKeys = 3'000'000;
  KeySet keys;
  size_t last_capacity = keys.capacity();
  int growths = 0;
  for (uint64_t value = 0; value < kKeys; ++value) {
    ASSERT_TRUE(keys.insert(int_key(value * 0x9E3779B97F4A7C15ULL)));
    if (keys.capacity() != last_capacity) {
      EXPECT_EQ(keys.capacity(), last_capacity * 2);
      last_capacity = keys.capacity();
      ++growths;
    }
  }
  EXPECT_EQ(keys.size(), kKeys);
  EXPECT_GT(growths, 15);
  // Power of two, at most 70% full, and not wastefully large.
  EXPECT_EQ(keys.capacity() & (keys.capacity() - 1), 0u);
  EXPECT_LE(kKeys * 10, keys.capacity() * 7);
  EXPECT_GT(kKeys * 10, keys.capacity() * 7 / 2);
  // Slots of 8 bytes and 9 arena bytes a key (length prefix + 8), plus block slack.
  EXPECT_LT(keys.memory_bytes(), keys.capacity() * 8 + kKeys * 9 + (size_t{8} << 20));
  EXPECT_GE(keys.memory_bytes(), keys.capacity() * 8 + kKeys * 9);

  for (uint64_t value = 0; value < kKeys; ++value) {
    ASSERT_TRUE(keys.contains(int_key(value * 0x9E3779B97F4A7C15ULL))) << value;
    ASSERT_FALSE(keys.contains(int_key(value * 0x9E3779B97F4A7C15ULL + 1))) << value;
  }
  EXPECT_FALSE(keys.insert(int_key(0)));

  keys.clear();
  EXPECT_EQ(keys.size(), 0u);
  EXPECT_FALSE(keys.contains(int_key(0)));
  EXPECT_TRUE(keys.insert(int_key(0)));
}

TEST(KeySet, ReserveAvoidsGrowth) {
  KeySet keys;
  keys.reserve(100000);
  size_t capacity = keys.capacity();
  EXPECT_GE(capacity * 7, size_t{100000} * 10);
  for (uint64_t value = 0; value < 100000; ++value) keys.insert(int_key(value));
  EXPECT_EQ(keys.capacity(), capacity);
  EXPECT_EQ(keys.size(), 100000u);
}

// Little-endian int_key() back to its value.
uint64_t value_of(const std::string& key) {
  uint64_t value = 0;
  for (int byte = 7; byte >= 0; --byte) value = (value << 8) | static_cast<unsigned char>(key[static_cast<size_t>(byte)]);
  return value;
}

// decode_first_value gives back the first value of an encoded key, whatever follows it: ints
// (with the sign bit), bytes with 0x00 in them and empty ones; false for NULLs, doubles and
// encodings cut short.
TEST(EncodedKeys, FirstValueDecodes) {
  std::mt19937_64 rng(37);
  Batch batch = testing::random_batch(rng, -300, 600);
  // Two more rows: the ints' extremes, an empty string and one of NUL bytes only.
  for (int64_t extreme : {INT64_MIN, INT64_MAX}) {
    batch.column(0).append_int(extreme);
    batch.column(1).append_bytes(extreme < 0 ? std::string() : std::string("\0\0", 2));
    batch.column(2).append_int(-extreme - (extreme < 0 ? 0 : 1));
    batch.column(3).append_double(2.5);
    batch.column(4).append_int(extreme);
    batch.column(5).append_bytes("x");
  }
  for (size_t first = 0; first < batch.num_columns(); ++first) {
    const Column& column = batch.column(first);
    for (const std::vector<size_t>& key_columns : std::vector<std::vector<size_t>>{{first}, {first, 1, 2}}) {
      for (size_t row = 0; row < batch.num_rows(); ++row) {
        std::string encoded;
        encode_key(batch, key_columns, row, encoded);
        int64_t int_value = 0;
        std::string bytes = "stale";
        const bool decoded = decode_first_value(encoded, column.storage(), int_value, bytes);
        if (column.is_null(row) || column.storage() == Storage::kDoubles) {
          EXPECT_FALSE(decoded) << "column " << first << " row " << row;
          continue;
        }
        ASSERT_TRUE(decoded) << "column " << first << " row " << row;
        if (column.storage() == Storage::kInts) {
          EXPECT_EQ(int_value, column.int_at(row)) << "row " << row;
        } else {
          EXPECT_EQ(bytes, column.bytes_at(row)) << "row " << row;
        }
      }
    }
  }
  int64_t int_value = 0;
  std::string bytes;
  EXPECT_FALSE(decode_first_value("", Storage::kInts, int_value, bytes));
  EXPECT_FALSE(decode_first_value(std::string("\x01\x80\x00", 3), Storage::kInts, int_value, bytes));
  EXPECT_FALSE(decode_first_value(std::string("\x01" "ab\x00", 4), Storage::kBytes, int_value, bytes));
  EXPECT_FALSE(decode_first_value(std::string("\x01" "a\x00\x05", 4), Storage::kBytes, int_value, bytes));
  EXPECT_TRUE(decode_first_value(std::string("\x01\x00\x00", 3), Storage::kBytes, int_value, bytes));
  EXPECT_EQ(bytes, "");
}

TEST(KeySet, SampleIsSpreadOverTheKeys) {
  KeySet keys;
  EXPECT_TRUE(keys.sample(100).empty());
  constexpr uint64_t kKeys = 200000;
  for (uint64_t value = 0; value < kKeys; ++value) keys.insert(int_key(value));
  const std::vector<std::string> sample = keys.sample(2000);
  // About one key per stretch of the table (at most 70% full: most stretches hold one), each a
  // key of the set, none twice.
  EXPECT_LE(sample.size(), 2000u);
  EXPECT_GT(sample.size(), 1900u);
  std::set<uint64_t> values;
  for (const std::string& key : sample) {
    ASSERT_TRUE(keys.contains(key));
    values.insert(value_of(key));
  }
  EXPECT_EQ(values.size(), sample.size());
  // Spread over the keys' values, not clustered (the table's order follows the hash): in each
  // tenth of them, a tenth of the sample, give or take a third.
  std::vector<size_t> per_tenth(10, 0);
  for (uint64_t value : values) per_tenth[value * 10 / kKeys] += 1;
  for (size_t tenth = 0; tenth < 10; ++tenth) {
    EXPECT_GT(per_tenth[tenth], sample.size() / 15) << "tenth " << tenth;
    EXPECT_LT(per_tenth[tenth], sample.size() * 2 / 15) << "tenth " << tenth;
  }
  // A set smaller than the sample asked for: some of its keys, never more than it holds.
  KeySet few;
  for (uint64_t value = 0; value < 5; ++value) few.insert(int_key(value));
  const std::vector<std::string> all = few.sample(100);
  EXPECT_GE(all.size(), 1u);
  EXPECT_LE(all.size(), 5u);
  for (const std::string& key : all) EXPECT_TRUE(few.contains(key));
}

TEST(KeySet, KeysLargerThanAnArenaBlock) {
  KeySet keys;
  std::string big(5u << 20, 'x');
  std::string other = big;
  other.back() = 'y';
  EXPECT_TRUE(keys.insert("small"));
  EXPECT_TRUE(keys.insert(big));
  EXPECT_TRUE(keys.insert(other));
  EXPECT_FALSE(keys.insert(big));
  EXPECT_TRUE(keys.insert("after"));
  EXPECT_TRUE(keys.contains("small"));
  EXPECT_TRUE(keys.contains(other));
  EXPECT_TRUE(keys.contains("after"));
  EXPECT_FALSE(keys.contains(std::string(5u << 20, 'z')));
  EXPECT_EQ(keys.size(), 4u);
}

// find_unmarking on two threads at once over one marked set: every key is found exactly when
// it is in the set, whatever the hash (a three-bit one makes long probe chains), and each key
// in the set is unmarked once, by one thread, though both halves of the probe hold every key
// (each appears in both, in another order). A second pass finds the keys, none marked.
TEST(KeySet, FindUnmarkingOnTwoThreadsAtOnce) {
  for (HashFunction hash : {&default_key_hash, &testing::three_bit_hash}) {
    constexpr int64_t kInSet = 3000;
    auto schema = std::make_shared<const Schema>(std::vector<Field>{Field{"k", Type::kInt64}});
    Batch present(schema);
    for (int64_t value = 0; value < kInSet; ++value) present.column(0).append_int(value * 2);
    KeySet keys(hash);
    keys.insert_keys(present, {0}, /*mark=*/true);
    // Probes: 0 … 2 × kInSet - 1 (every other one in the set), then the same descending.
    Batch probes(schema);
    for (int64_t value = 0; value < 2 * kInSet; ++value) probes.column(0).append_int(value);
    for (int64_t value = 2 * kInSet - 1; value >= 0; --value) probes.column(0).append_int(value);
    EncodedKeys encoded;
    encoded.encode(probes, {0}, hash);
    const size_t rows = encoded.size();
    for (int pass = 0; pass < 2; ++pass) {
      std::vector<uint8_t> found(rows, 2);
      int64_t first = 0, second = 0;
      std::thread other(
          [&] { keys.find_unmarking(encoded, rows / 2, rows, found.data() + rows / 2, second); });
      keys.find_unmarking(encoded, 0, rows / 2, found.data(), first);
      other.join();
      for (size_t row = 0; row < rows; ++row) {
        const int64_t value = probes.column(0).int_at(row);
        ASSERT_EQ(found[row], value % 2 == 0 ? 1 : 0) << "value " << value;
      }
      EXPECT_EQ(first + second, pass == 0 ? kInSet : 0) << "pass " << pass;
    }
  }
}

TEST(KeySet, InsertKeysOfBatches) {
  std::mt19937_64 rng(21);
  std::vector<size_t> key_columns = {1, 2, 3};
  KeySet keys;
  std::set<std::vector<std::string>> reference;
  std::vector<Batch> batches;
  for (int batch_idx = 0; batch_idx < 5; ++batch_idx) {
    batches.push_back(testing::random_batch(rng, batch_idx * 300, 300));
    keys.insert_keys(batches.back(), key_columns);
    for (size_t row = 0; row < 300; ++row) reference.insert(testing::reference_key(batches.back(), key_columns, row));
  }
  EXPECT_EQ(keys.size(), reference.size());
  ASSERT_TRUE(keys.key_types().has_value());
  EXPECT_EQ(*keys.key_types(), (std::vector<Type>{Type::kString, Type::kInt64, Type::kDouble}));

  // Key columns of other types: schema drift, naming the columns.
  std::vector<size_t> swapped = {1, 4, 3};  // day (date) where num (int64) was
  try {
    keys.insert_keys(batches[0], swapped);
    FAIL() << "expected schema drift";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kSchemaDrift);
    EXPECT_NE(error.message().find("day date"), std::string::npos) << error.message();
    EXPECT_NE(error.message().find("string, int64, double"), std::string::npos) << error.message();
  }
}

}  // namespace
}  // namespace idemload::ops
