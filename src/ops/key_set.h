// KeySet: an exact set of encoded keys (core/key_hash.h). A flat open-addressing table of
// one-word slots (a reference and a few hash bits; power-of-two capacity, linear probing) over
// an arena of key bytes; the hash only finds candidates, equality is a comparison of the
// encodings. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/column.h"
#include "core/key_hash.h"

namespace idemload::ops {

// The encoded keys of one batch and their hashes, computed once per batch and reused.
class EncodedKeys {
 public:
  size_t size() const { return hashes_.size(); }
  std::string_view key(size_t row) const {
    return std::string_view(arena_.data() + offsets_[row], offsets_[row + 1] - offsets_[row]);
  }
  uint64_t hash(size_t row) const { return hashes_[row]; }

  // Encodes the key columns of every row of `batch` exactly as core encode_key() does and
  // hashes each encoding with `hash_function`. Throws Error(kInternal) past 4 GiB of keys.
  void encode(const Batch& batch, const std::vector<size_t>& key_columns, HashFunction hash_function);

 private:
  std::string arena_;
  std::vector<uint32_t> offsets_;
  std::vector<uint64_t> hashes_;
  std::vector<uint64_t> cursors_;  // per row: key size, then write position
};

// Zero-filled memory from mmap. Throws std::bad_alloc.
class PageBuffer {
 public:
  PageBuffer() = default;
  // With `huge_pages`, transparent huge pages are advised when the buffer is large: the table
  // is probed at random, and 2 MiB pages spare most TLB misses. KeySet's arena blocks are not
  // advised: the kernel may compact memory to find each 2 MiB page at its first touch, and on
  // a host that had run for hours this cost more than the TLB misses it saves (the recovery's
  // scan of 7.6 M keys: 1.0 s instead of 1.7 s, and its probing no slower).
  PageBuffer(size_t bytes, bool huge_pages);
  ~PageBuffer();
  PageBuffer(PageBuffer&& other) noexcept;
  PageBuffer& operator=(PageBuffer&& other) noexcept;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;

  char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
};

class KeySet {
 public:
  // `hash` decides only where a key is looked for; any function is correct (tests use weak
  // ones to force collisions), a good one is fast.
  explicit KeySet(HashFunction hash = default_key_hash);
  KeySet(KeySet&&) = default;
  KeySet& operator=(KeySet&&) = default;

  // Adds `encoded`; true when it was not in the set.
  bool insert(std::string_view encoded) { return insert_hashed(encoded, hash_(encoded)); }
  bool contains(std::string_view encoded) const { return contains_hashed(encoded, hash_(encoded)); }

  // Batch helpers: encode the key columns of every row once, then insert or probe.
  // The first batch fixes the key column types; a later batch whose key columns have other
  // types throws Error(kSchemaDrift) naming both (keys of different types never compare equal).
  // With `mark`, the keys inserted are marked (e.g. the keys already in the target, so that one
  // set serves both de-duplication and the anti-join; see insert_encoded).
  void insert_keys(const Batch& batch, const std::vector<size_t>& key_columns, bool mark = false);
  // Inserts every key of `keys` (encoded with this set's hash_function()), marked when `mark`.
  // The key types of the batch they were encoded from must have been checked (check_key_types).
  void insert_all(const EncodedKeys& keys, bool mark);
  // Inserts every key of `keys` (encoded with this set's hash_function()); appends to
  // `new_rows` (when not null) the rows whose key was new, in order. A key found marked is
  // unmarked (a later occurrence is then simply present) and counted in `unmarked` (when not
  // null); its row is not new.
  void insert_encoded(const EncodedKeys& keys, std::vector<uint32_t>* new_rows, int64_t* unmarked = nullptr);
  // insert_encoded() over the rows `rows` of `keys` alone (ascending).
  void insert_rows(const EncodedKeys& keys, const std::vector<uint32_t>& rows,
                   std::vector<uint32_t>& new_rows);
  // Appends to `rows` the rows of `keys` whose key is present (`want_present`) or absent.
  void probe_encoded(const EncodedKeys& keys, bool want_present, std::vector<uint32_t>& rows) const;
  // For the rows [begin, end) of `keys`: found[row - begin] is 1 when the key is in the set, 0
  // when not. A key found marked is unmarked and counted in `unmarked`. Several threads may
  // call this at once while no thread changes the set otherwise: the slots are read, and a
  // mark cleared, atomically, so of the threads that find a key marked at once one unmarks it.
  void find_unmarking(const EncodedKeys& keys, size_t begin, size_t end, uint8_t* found,
                      int64_t& unmarked);

  // Records or checks the types of the key columns of `batch` (see insert_keys).
  void check_key_types(const Batch& batch, const std::vector<size_t>& key_columns, std::string_view what);
  const std::optional<std::vector<Type>>& key_types() const { return key_types_; }

  HashFunction hash_function() const { return hash_; }
  size_t size() const { return size_; }
  size_t capacity() const { return slot_memory_.size() / sizeof(Slot); }
  // Bytes held by the table and the arena (allocated, not just used).
  size_t memory_bytes() const;
  // At most `count` keys of the set, copied, in no particular order: the first key in each of
  // `count` equal stretches of the table. A key's place in the table follows its hash, not its
  // value, so with a good hash they are a random sample of the keys (fewer when the table is
  // sparse: a stretch may hold none).
  std::vector<std::string> sample(size_t count) const;
  // Empties the set (keeps the key types); frees the arena blocks but keeps the table.
  void clear();
  // Makes room for `keys` keys without growing the table.
  void reserve(size_t keys);

  // insert() and contains() with the hash already computed by hash_function().
  bool insert_hashed(std::string_view encoded, uint64_t hash);
  bool contains_hashed(std::string_view encoded, uint64_t hash) const;

 private:
  // A slot is one word, 0 when empty. Otherwise bits 0–39 hold 1 + the key's location in the
  // arena ((block << 22) | offset of its length prefix, a varint, and bytes), bits 40–62 the
  // low 23 bits of its hash (a filter: the key bytes are compared only when they agree, and a
  // differing key agrees once in 8 million) and bit 63 the key's mark. Eight bytes a slot
  // instead of a full hash beside a reference: at 10 million keys the table is 128 MiB smaller.
  using Slot = uint64_t;

  Slot* slots() const { return reinterpret_cast<Slot*>(slot_memory_.data()); }
  size_t index_of(uint64_t hash) const { return static_cast<size_t>((hash * kMultiplier) >> shift_); }
  static uint64_t tag_of(uint64_t hash) { return (hash << kLocationBits) & kTagMask; }
  // The key's length prefix in the arena.
  const char* key_at(Slot slot) const;
  // The key's bytes (after its length prefix).
  std::string_view stored_key(Slot slot) const;
  bool key_equals(Slot slot, std::string_view encoded) const;
  enum class Found { kNew, kUnmarked, kPresent };
  Found insert_or_unmark(std::string_view encoded, uint64_t hash, bool mark);
  // Stores the key's bytes; returns 1 + its location.
  uint64_t store(std::string_view encoded);
  void grow(size_t min_capacity);
  void prefetch(uint64_t hash) const { __builtin_prefetch(slots() + index_of(hash)); }

  static constexpr uint64_t kMultiplier = 0x9E3779B97F4A7C15ULL;  // Fibonacci hashing
  static constexpr int kOffsetBits = 22;
  static constexpr size_t kBlockBytes = size_t{1} << kOffsetBits;  // offsets in a block < 2^22
  static constexpr int kLocationBits = 40;                          // blocks < 2^18: 1 TiB of keys
  static constexpr uint64_t kLocationMask = (uint64_t{1} << kLocationBits) - 1;
  static constexpr uint64_t kMark = uint64_t{1} << 63;
  static constexpr uint64_t kTagMask = ~kLocationMask & ~kMark;
  static constexpr size_t kPrefetchDistance = 8;

  HashFunction hash_;
  PageBuffer slot_memory_;  // capacity() slots
  int shift_ = 64;
  size_t size_ = 0;
  size_t grow_at_ = 0;
  std::vector<PageBuffer> blocks_;
  size_t block_used_ = 0;  // bytes used in blocks_.back()
  size_t arena_bytes_ = 0;
  std::optional<std::vector<Type>> key_types_;
  EncodedKeys scratch_;
};

}  // namespace idemload::ops
