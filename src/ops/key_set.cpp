#include "ops/key_set.h"

#include <cstring>

#include "core/error.h"

namespace idemload::ops {

namespace {

constexpr size_t kInitialCapacity = 16;

// The table grows when it is 70% full: linear probing stays short and the slots stay dense.
size_t grow_threshold(size_t capacity) { return capacity / 10 * 7 + (capacity % 10) * 7 / 10; }

size_t varint_size(uint64_t value) {
  size_t bytes = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++bytes;
  }
  return bytes;
}

char* put_varint(uint64_t value, char* out) {
  while (value >= 0x80) {
    *out++ = static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<char>(value);
  return out;
}

const char* get_varint(const char* in, uint64_t& value) {
  value = 0;
  int shift = 0;
  while (true) {
    auto byte = static_cast<uint8_t>(*in++);
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return in;
    shift += 7;
  }
}

std::string describe_key_types(const Batch& batch, const std::vector<size_t>& key_columns) {
  std::string text;
  for (size_t column_idx : key_columns) {
    if (!text.empty()) text += ", ";
    text += batch.schema().field(column_idx).name;
    text += ' ';
    text += type_name(batch.column(column_idx).type());
  }
  return text;
}

}  // namespace

void EncodedKeys::encode(const Batch& batch, const std::vector<size_t>& key_columns, HashFunction hash_function) {
  encode_keys(batch, key_columns, arena_, offsets_);
  size_t rows = batch.num_rows();
  hashes_.resize(rows);
  for (size_t row = 0; row < rows; ++row) hashes_[row] = hash_function(key(row));
}

KeySet::KeySet(HashFunction hash) : hash_(hash) { grow(kInitialCapacity); }

size_t KeySet::memory_bytes() const {
  return slots_.capacity() * sizeof(Slot) + arena_bytes_ + blocks_.capacity() * sizeof(blocks_[0]) +
         block_sizes_.capacity() * sizeof(size_t);
}

void KeySet::clear() {
  std::memset(static_cast<void*>(slots_.data()), 0, slots_.size() * sizeof(Slot));
  size_ = 0;
  blocks_.clear();
  block_sizes_.clear();
  block_used_ = 0;
  arena_bytes_ = 0;
}

void KeySet::reserve(size_t keys) {
  size_t capacity = slots_.size();
  while (grow_threshold(capacity) < keys) capacity *= 2;
  if (capacity > slots_.size()) grow(capacity);
}

void KeySet::grow(size_t min_capacity) {
  size_t capacity = kInitialCapacity;
  int bits = 4;
  while (capacity < min_capacity) {
    capacity *= 2;
    ++bits;
  }
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(capacity, Slot{0, 0});
  shift_ = 64 - bits;
  grow_at_ = grow_threshold(capacity);
  // Re-placing a key needs only its stored hash: the key bytes stay where they are.
  size_t mask = capacity - 1;
  for (const Slot& slot : old) {
    if (slot.ref == 0) continue;
    size_t idx = index_of(slot.hash);
    while (slots_[idx].ref != 0) idx = (idx + 1) & mask;
    slots_[idx] = slot;
  }
}

uint64_t KeySet::store(std::string_view encoded) {
  size_t need = varint_size(encoded.size()) + encoded.size();
  if (blocks_.empty() || block_used_ + need > block_sizes_.back()) {
    // Full blocks are never moved or copied: growing the arena costs one new block.
    size_t block_bytes = need > kBlockBytes ? need : kBlockBytes;
    if (blocks_.size() >= (size_t{1} << 31)) throw Error::Internal("key set arena has too many blocks");
    blocks_.emplace_back(new char[block_bytes]);
    block_sizes_.push_back(block_bytes);
    arena_bytes_ += block_bytes;
    block_used_ = 0;
  }
  char* at = blocks_.back().get() + block_used_;
  char* bytes = put_varint(encoded.size(), at);
  std::memcpy(bytes, encoded.data(), encoded.size());
  uint64_t ref = ((static_cast<uint64_t>(blocks_.size() - 1) << 32) | block_used_) + 1;
  block_used_ += need;
  return ref;
}

bool KeySet::key_equals(uint64_t ref, std::string_view encoded) const {
  uint64_t location = ref - 1;
  const char* at = blocks_[location >> 32].get() + (location & 0xFFFFFFFFULL);
  uint64_t length = 0;
  at = get_varint(at, length);
  return length == encoded.size() && std::memcmp(at, encoded.data(), length) == 0;
}

bool KeySet::insert_hashed(std::string_view encoded, uint64_t hash) {
  if (size_ >= grow_at_) grow(slots_.size() * 2);
  size_t mask = slots_.size() - 1;
  size_t idx = index_of(hash);
  while (true) {
    Slot& slot = slots_[idx];
    if (slot.ref == 0) {
      slot.ref = store(encoded);
      slot.hash = hash;
      ++size_;
      return true;
    }
    // The full 64-bit hash is compared first, so the key bytes are read only for a real
    // candidate (almost always the key itself).
    if (slot.hash == hash && key_equals(slot.ref, encoded)) return false;
    idx = (idx + 1) & mask;
  }
}

bool KeySet::contains_hashed(std::string_view encoded, uint64_t hash) const {
  size_t mask = slots_.size() - 1;
  size_t idx = index_of(hash);
  while (true) {
    const Slot& slot = slots_[idx];
    if (slot.ref == 0) return false;
    if (slot.hash == hash && key_equals(slot.ref, encoded)) return true;
    idx = (idx + 1) & mask;
  }
}

void KeySet::check_key_types(const Batch& batch, const std::vector<size_t>& key_columns, std::string_view what) {
  for (size_t column_idx : key_columns) {
    if (column_idx >= batch.num_columns()) {
      throw Error::Internal("key column " + std::to_string(column_idx) + " is past the " +
                            std::to_string(batch.num_columns()) + " columns of the batch");
    }
  }
  if (!key_types_) {
    std::vector<Type> types;
    types.reserve(key_columns.size());
    for (size_t column_idx : key_columns) types.push_back(batch.column(column_idx).type());
    key_types_ = std::move(types);
    return;
  }
  bool same = key_types_->size() == key_columns.size();
  for (size_t idx = 0; same && idx < key_columns.size(); ++idx) {
    same = key_types_compatible((*key_types_)[idx], batch.column(key_columns[idx]).type());
  }
  if (same) return;
  std::string held;
  for (Type type : *key_types_) {
    if (!held.empty()) held += ", ";
    held += type_name(type);
  }
  throw Error::SchemaDrift("key column types differ: " + std::string(what) + " has (" +
                           describe_key_types(batch, key_columns) + ") but the key set holds keys of (" + held +
                           ")");
}

void KeySet::insert_keys(const Batch& batch, const std::vector<size_t>& key_columns) {
  check_key_types(batch, key_columns, "the batch");
  scratch_.encode(batch, key_columns, hash_);
  insert_encoded(scratch_, nullptr);
}

void KeySet::insert_encoded(const EncodedKeys& keys, std::vector<uint32_t>* new_rows) {
  size_t rows = keys.size();
  for (size_t row = 0; row < rows; ++row) {
    if (row + kPrefetchDistance < rows) prefetch(keys.hash(row + kPrefetchDistance));
    if (insert_hashed(keys.key(row), keys.hash(row)) && new_rows != nullptr) {
      new_rows->push_back(static_cast<uint32_t>(row));
    }
  }
}

void KeySet::probe_encoded(const EncodedKeys& keys, bool want_present, std::vector<uint32_t>& rows) const {
  size_t count = keys.size();
  for (size_t row = 0; row < count; ++row) {
    if (row + kPrefetchDistance < count) prefetch(keys.hash(row + kPrefetchDistance));
    if (contains_hashed(keys.key(row), keys.hash(row)) == want_present) rows.push_back(static_cast<uint32_t>(row));
  }
}

}  // namespace idemload::ops
