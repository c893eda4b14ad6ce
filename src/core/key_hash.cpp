#include "core/key_hash.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace idemload {

namespace {

void put_u64_be(uint64_t value, std::string& out) {
  char buf[8];
  for (int byte = 7; byte >= 0; --byte) {
    buf[byte] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  out.append(buf, 8);
}

void encode_value(const Column& column, size_t row, std::string& out) {
  if (column.is_null(row)) {
    out.push_back('\x00');
    return;
  }
  out.push_back('\x01');
  switch (column.storage()) {
    case Storage::kInts:
      put_u64_be(static_cast<uint64_t>(column.int_at(row)) ^ (1ULL << 63), out);
      break;
    case Storage::kDoubles: {
      double value = column.double_at(row);
      if (value == 0) value = 0;  // -0 == 0
      uint64_t bits = std::isnan(value) ? 0x7FF8000000000000ULL : std::bit_cast<uint64_t>(value);
      bits = (bits & (1ULL << 63)) ? ~bits : bits | (1ULL << 63);
      put_u64_be(bits, out);
      break;
    }
    case Storage::kBytes: {
      std::string_view bytes = column.bytes_at(row);
      size_t start = 0;
      for (size_t idx = 0; idx < bytes.size(); ++idx) {
        if (bytes[idx] == '\x00') {
          out.append(bytes.data() + start, idx - start + 1);
          out.push_back('\xFF');
          start = idx + 1;
        }
      }
      out.append(bytes.data() + start, bytes.size() - start);
      out.push_back('\x00');
      out.push_back('\x00');
      break;
    }
  }
}

inline uint64_t mix(uint64_t a, uint64_t b) {
  __uint128_t product = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

}  // namespace

void encode_key(const Batch& batch, const std::vector<size_t>& key_columns, size_t row, std::string& out) {
  for (size_t column_idx : key_columns) encode_value(batch.column(column_idx), row, out);
}

bool decode_first_value(std::string_view encoded, Storage storage, int64_t& int_value, std::string& bytes) {
  if (encoded.empty() || encoded[0] != '\x01') return false;
  switch (storage) {
    case Storage::kInts: {
      if (encoded.size() < 9) return false;
      uint64_t bits = 0;
      for (size_t idx = 1; idx < 9; ++idx) bits = bits << 8 | static_cast<uint8_t>(encoded[idx]);
      int_value = static_cast<int64_t>(bits ^ (1ULL << 63));
      return true;
    }
    case Storage::kBytes:
      bytes.clear();
      for (size_t idx = 1; idx + 1 < encoded.size(); ++idx) {
        if (encoded[idx] != '\x00') {
          bytes.push_back(encoded[idx]);
        } else if (encoded[idx + 1] == '\x00') {
          return true;  // the end
        } else if (encoded[idx + 1] == '\xFF') {
          bytes.push_back('\x00');
          ++idx;
        } else {
          return false;
        }
      }
      return false;  // no end
    case Storage::kDoubles:
      return false;
  }
  return false;
}

void encode_keys(const Batch& batch, const std::vector<size_t>& key_columns, std::string& arena,
                 std::vector<uint32_t>& offsets) {
  arena.clear();
  offsets.clear();
  offsets.reserve(batch.num_rows() + 1);
  offsets.push_back(0);
  for (size_t row = 0; row < batch.num_rows(); ++row) {
    encode_key(batch, key_columns, row, arena);
    if (arena.size() > UINT32_MAX) throw Error::Internal("key arena of one batch exceeds 4 GiB");
    offsets.push_back(static_cast<uint32_t>(arena.size()));
  }
}

uint64_t hash_bytes(std::string_view bytes, uint64_t seed) {
  constexpr uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL, k2 = 0x8ebc6af09c88c6e3ULL;
  uint64_t state = seed ^ k0 ^ (bytes.size() * k2);
  const char* data = bytes.data();
  size_t left = bytes.size();
  while (left >= 16) {
    uint64_t a, b;
    std::memcpy(&a, data, 8);
    std::memcpy(&b, data + 8, 8);
    state = mix(a ^ k1, b ^ state);
    data += 16;
    left -= 16;
  }
  uint64_t a = 0, b = 0;
  if (left >= 8) {
    std::memcpy(&a, data, 8);
    std::memcpy(&b, data + left - 8, 8);
  } else if (left > 0) {
    uint8_t tail[8] = {0};
    std::memcpy(tail, data, left);
    std::memcpy(&a, tail, 8);
    b = left;
  }
  state = mix(a ^ k1, b ^ state);
  return mix(state ^ k2, bytes.size() ^ k1);
}

bool key_types_compatible(Type a, Type b) { return a == b; }

}  // namespace idemload
