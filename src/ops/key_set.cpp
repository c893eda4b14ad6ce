#include "ops/key_set.h"

#include <sys/mman.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <new>

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

// The same bytes as core encode_keys(), written column by column: one pass sizes every row's
// key, a second pass per key column writes its values at each row's cursor. A switch per column
// instead of per value, and the arena is grown once per batch.
void EncodedKeys::encode(const Batch& batch, const std::vector<size_t>& key_columns, HashFunction hash_function) {
  size_t rows = batch.num_rows();
  cursors_.assign(rows, 0);
  for (size_t column_idx : key_columns) {
    const Column& column = batch.column(column_idx);
    const uint8_t* valid = column.validity().data();
    if (column.storage() != Storage::kBytes) {
      for (size_t row = 0; row < rows; ++row) cursors_[row] += valid[row] ? 9 : 1;
      continue;
    }
    const uint64_t* offsets = column.offsets().data();
    const char* bytes = column.bytes().data();
    for (size_t row = 0; row < rows; ++row) {
      if (!valid[row]) {
        cursors_[row] += 1;
        continue;
      }
      uint64_t length = offsets[row + 1] - offsets[row];
      uint64_t zeros = 0;
      const char* at = bytes + offsets[row];
      const char* end = at + length;
      while ((at = static_cast<const char*>(std::memchr(at, 0, static_cast<size_t>(end - at)))) != nullptr) {
        ++zeros;
        ++at;
      }
      cursors_[row] += 3 + length + zeros;
    }
  }
  offsets_.resize(rows + 1);
  uint64_t total = 0;
  offsets_[0] = 0;
  for (size_t row = 0; row < rows; ++row) {
    uint64_t length = cursors_[row];
    cursors_[row] = total;
    total += length;
    if (total > UINT32_MAX) throw Error::Internal("key arena of one batch exceeds 4 GiB");
    offsets_[row + 1] = static_cast<uint32_t>(total);
  }
  arena_.resize(total);
  char* arena = arena_.data();

  for (size_t column_idx : key_columns) {
    const Column& column = batch.column(column_idx);
    const uint8_t* valid = column.validity().data();
    switch (column.storage()) {
      case Storage::kInts: {
        const int64_t* values = column.ints().data();
        for (size_t row = 0; row < rows; ++row) {
          char* at = arena + cursors_[row];
          if (!valid[row]) {
            *at = '\x00';
            cursors_[row] += 1;
            continue;
          }
          *at = '\x01';
          uint64_t big_endian = __builtin_bswap64(static_cast<uint64_t>(values[row]) ^ (1ULL << 63));
          std::memcpy(at + 1, &big_endian, 8);
          cursors_[row] += 9;
        }
        break;
      }
      case Storage::kDoubles: {
        const double* values = column.doubles().data();
        for (size_t row = 0; row < rows; ++row) {
          char* at = arena + cursors_[row];
          if (!valid[row]) {
            *at = '\x00';
            cursors_[row] += 1;
            continue;
          }
          *at = '\x01';
          double value = values[row];
          if (value == 0) value = 0;  // -0 == 0
          uint64_t bits = std::isnan(value) ? 0x7FF8000000000000ULL : std::bit_cast<uint64_t>(value);
          bits = (bits & (1ULL << 63)) ? ~bits : bits | (1ULL << 63);
          uint64_t big_endian = __builtin_bswap64(bits);
          std::memcpy(at + 1, &big_endian, 8);
          cursors_[row] += 9;
        }
        break;
      }
      case Storage::kBytes: {
        const uint64_t* offsets = column.offsets().data();
        const char* bytes = column.bytes().data();
        for (size_t row = 0; row < rows; ++row) {
          char* at = arena + cursors_[row];
          if (!valid[row]) {
            *at = '\x00';
            cursors_[row] += 1;
            continue;
          }
          char* start = at;
          *at++ = '\x01';
          const char* from = bytes + offsets[row];
          size_t left = static_cast<size_t>(offsets[row + 1] - offsets[row]);
          // A 0x00 inside the value becomes 0x00 0xFF, so that 0x00 0x00 ends it unambiguously.
          while (const char* zero = static_cast<const char*>(std::memchr(from, 0, left))) {
            size_t chunk = static_cast<size_t>(zero - from) + 1;
            std::memcpy(at, from, chunk);
            at += chunk;
            *at++ = '\xFF';
            from += chunk;
            left -= chunk;
          }
          std::memcpy(at, from, left);
          at += left;
          *at++ = '\x00';
          *at++ = '\x00';
          cursors_[row] += static_cast<uint64_t>(at - start);
        }
        break;
      }
    }
  }

  hashes_.resize(rows);
  for (size_t row = 0; row < rows; ++row) hashes_[row] = hash_function(key(row));
}

PageBuffer::PageBuffer(size_t bytes, bool huge_pages) : size_(bytes) {
  if (bytes == 0) return;
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  // Only a hint: without transparent huge pages the memory is simply made of 4 KiB pages.
  if (huge_pages && bytes >= (size_t{2} << 20)) ::madvise(memory, bytes, MADV_HUGEPAGE);
  data_ = static_cast<char*>(memory);
}

PageBuffer::~PageBuffer() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

PageBuffer::PageBuffer(PageBuffer&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

PageBuffer& PageBuffer::operator=(PageBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

KeySet::KeySet(HashFunction hash) : hash_(hash) { grow(kInitialCapacity); }

size_t KeySet::memory_bytes() const {
  return slot_memory_.size() + arena_bytes_ + blocks_.capacity() * sizeof(PageBuffer);
}

std::vector<std::string> KeySet::sample(size_t count) const {
  std::vector<std::string> keys;
  if (size_ == 0 || count == 0) return keys;
  const size_t step = std::max<size_t>(capacity() / count, 1);
  const Slot* slots = this->slots();
  for (size_t start = 0; start < capacity() && keys.size() < count; start += step) {
    const size_t end = std::min(start + step, capacity());
    for (size_t idx = start; idx < end; ++idx) {
      if (slots[idx] == 0) continue;
      keys.emplace_back(stored_key(slots[idx]));
      break;
    }
  }
  return keys;
}

void KeySet::clear() {
  std::memset(slot_memory_.data(), 0, slot_memory_.size());
  size_ = 0;
  blocks_.clear();
  block_used_ = 0;
  arena_bytes_ = 0;
}

void KeySet::reserve(size_t keys) {
  size_t capacity = this->capacity();
  while (grow_threshold(capacity) < keys) capacity *= 2;
  if (capacity > this->capacity()) grow(capacity);
}

void KeySet::grow(size_t min_capacity) {
  size_t capacity = kInitialCapacity;
  int bits = 4;
  while (capacity < min_capacity) {
    capacity *= 2;
    ++bits;
  }
  PageBuffer old_memory = std::move(slot_memory_);
  const auto* old = reinterpret_cast<const Slot*>(old_memory.data());
  size_t old_capacity = old_memory.size() / sizeof(Slot);
  slot_memory_ = PageBuffer(capacity * sizeof(Slot), /*huge_pages=*/true);  // zero-filled: every slot empty
  Slot* slots = this->slots();
  shift_ = 64 - bits;
  grow_at_ = grow_threshold(capacity);
  // A slot keeps only a few bits of the hash: re-placing a key hashes its bytes again (they
  // stay where they are in the arena; the bytes of the keys a few slots ahead are prefetched).
  // Reserving once (reserve()) spares that.
  constexpr size_t kAhead = 16;
  size_t mask = capacity - 1;
  for (size_t old_idx = 0; old_idx < old_capacity; ++old_idx) {
    if (old_idx + kAhead < old_capacity && old[old_idx + kAhead] != 0) {
      __builtin_prefetch(key_at(old[old_idx + kAhead]));
    }
    const Slot slot = old[old_idx];
    if (slot == 0) continue;
    size_t idx = index_of(hash_(stored_key(slot)));
    while (slots[idx] != 0) idx = (idx + 1) & mask;
    slots[idx] = slot;
  }
}

uint64_t KeySet::store(std::string_view encoded) {
  size_t need = varint_size(encoded.size()) + encoded.size();
  if (blocks_.empty() || block_used_ + need > blocks_.back().size()) {
    // Full blocks are never moved or copied: growing the arena costs one new block. A key
    // larger than a block gets a block of its own, at offset 0 (nothing else fits after it).
    size_t block_bytes = need > kBlockBytes ? need : kBlockBytes;
    if (blocks_.size() + 1 >= (size_t{1} << (kLocationBits - kOffsetBits))) {
      throw Error::Internal("key set arena is full (1 TiB of keys)");
    }
    blocks_.emplace_back(block_bytes, /*huge_pages=*/false);
    arena_bytes_ += block_bytes;
    block_used_ = 0;
  }
  char* at = blocks_.back().data() + block_used_;
  char* bytes = put_varint(encoded.size(), at);
  std::memcpy(bytes, encoded.data(), encoded.size());
  uint64_t ref = ((static_cast<uint64_t>(blocks_.size() - 1) << kOffsetBits) | block_used_) + 1;
  block_used_ += need;
  return ref;
}

const char* KeySet::key_at(Slot slot) const {
  uint64_t location = (slot & kLocationMask) - 1;
  return blocks_[location >> kOffsetBits].data() + (location & (kBlockBytes - 1));
}

std::string_view KeySet::stored_key(Slot slot) const {
  uint64_t length = 0;
  const char* bytes = get_varint(key_at(slot), length);
  return std::string_view(bytes, length);
}

bool KeySet::key_equals(Slot slot, std::string_view encoded) const { return stored_key(slot) == encoded; }

bool KeySet::insert_hashed(std::string_view encoded, uint64_t hash) {
  return insert_or_unmark(encoded, hash, false) == Found::kNew;
}

KeySet::Found KeySet::insert_or_unmark(std::string_view encoded, uint64_t hash, bool mark) {
  if (size_ >= grow_at_) grow(capacity() * 2);
  Slot* slots = this->slots();
  size_t mask = capacity() - 1;
  size_t idx = index_of(hash);
  const uint64_t tag = tag_of(hash);
  while (true) {
    Slot& slot = slots[idx];
    if (slot == 0) {
      slot = store(encoded) | tag | (mark ? kMark : 0);
      ++size_;
      return Found::kNew;
    }
    // The hash bits are compared first, so the key bytes are read only for a real candidate
    // (almost always the key itself); the bytes decide.
    if ((slot & kTagMask) == tag && key_equals(slot, encoded)) {
      if ((slot & kMark) == 0 || mark) return Found::kPresent;
      slot &= ~kMark;
      return Found::kUnmarked;
    }
    idx = (idx + 1) & mask;
  }
}

bool KeySet::contains_hashed(std::string_view encoded, uint64_t hash) const {
  const Slot* slots = this->slots();
  size_t mask = capacity() - 1;
  size_t idx = index_of(hash);
  const uint64_t tag = tag_of(hash);
  while (true) {
    const Slot slot = slots[idx];
    if (slot == 0) return false;
    if ((slot & kTagMask) == tag && key_equals(slot, encoded)) return true;
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

void KeySet::insert_keys(const Batch& batch, const std::vector<size_t>& key_columns, bool mark) {
  check_key_types(batch, key_columns, "the batch");
  scratch_.encode(batch, key_columns, hash_);
  insert_all(scratch_, mark);
}

void KeySet::insert_all(const EncodedKeys& keys, bool mark) {
  size_t rows = keys.size();
  for (size_t row = 0; row < rows; ++row) {
    if (row + kPrefetchDistance < rows) prefetch(keys.hash(row + kPrefetchDistance));
    insert_or_unmark(keys.key(row), keys.hash(row), mark);
  }
}

void KeySet::insert_encoded(const EncodedKeys& keys, std::vector<uint32_t>* new_rows, int64_t* unmarked) {
  size_t rows = keys.size();
  for (size_t row = 0; row < rows; ++row) {
    if (row + kPrefetchDistance < rows) prefetch(keys.hash(row + kPrefetchDistance));
    switch (insert_or_unmark(keys.key(row), keys.hash(row), false)) {
      case Found::kNew:
        if (new_rows != nullptr) new_rows->push_back(static_cast<uint32_t>(row));
        break;
      case Found::kUnmarked:
        if (unmarked != nullptr) ++*unmarked;
        break;
      case Found::kPresent:
        break;
    }
  }
}

void KeySet::insert_rows(const EncodedKeys& keys, const std::vector<uint32_t>& rows,
                         std::vector<uint32_t>& new_rows) {
  const size_t count = rows.size();
  for (size_t idx = 0; idx < count; ++idx) {
    if (idx + kPrefetchDistance < count) prefetch(keys.hash(rows[idx + kPrefetchDistance]));
    const uint32_t row = rows[idx];
    if (insert_or_unmark(keys.key(row), keys.hash(row), false) == Found::kNew)
      new_rows.push_back(row);
  }
}

void KeySet::find_unmarking(const EncodedKeys& keys, size_t begin, size_t end, uint8_t* found,
                            int64_t& unmarked) {
  Slot* slots = this->slots();
  const size_t mask = capacity() - 1;
  for (size_t row = begin; row < end; ++row) {
    if (row + kPrefetchDistance < end) prefetch(keys.hash(row + kPrefetchDistance));
    const uint64_t hash = keys.hash(row);
    const std::string_view key = keys.key(row);
    const uint64_t tag = tag_of(hash);
    uint8_t in_set = 0;
    for (size_t idx = index_of(hash);; idx = (idx + 1) & mask) {
      std::atomic_ref<Slot> slot(slots[idx]);
      const Slot value = slot.load(std::memory_order_relaxed);
      if (value == 0) break;
      if ((value & kTagMask) != tag || !key_equals(value, key)) continue;
      in_set = 1;
      if ((value & kMark) != 0 && (slot.fetch_and(~kMark, std::memory_order_relaxed) & kMark) != 0)
        ++unmarked;
      break;
    }
    found[row - begin] = in_set;
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
