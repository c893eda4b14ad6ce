// Exact key encoding and hashing. A key (one or more columns of a row) is encoded into a
// canonical byte string: two keys are equal exactly when their encodings are equal, and the
// encodings sort like the keys (so sorting encodings sorts rows by key). A 64-bit hash of the
// encoding only finds candidates; equality is always decided on the encoding itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/column.h"

namespace idemload {

// Appends the encoding of the key columns `key_columns` of row `row` to `out`.
// Int-like values: 8 bytes big-endian with the sign bit flipped; doubles: order-preserving
// bits (-0 and 0 equal, all NaNs equal); bytes: 0x00 escaped as 0x00 0xFF, ended by 0x00 0x00.
// Each value is prefixed by 0x00 (NULL) or 0x01 (value).
void encode_key(const Batch& batch, const std::vector<size_t>& key_columns, size_t row, std::string& out);

// The first value of an encoded key (encode_key), for a column stored as `storage`: false for
// a NULL, a double, or bytes that are no encoding; else the value in `int_value` (kInts) or in
// `bytes` (kBytes, unescaped).
bool decode_first_value(std::string_view encoded, Storage storage, int64_t& int_value, std::string& bytes);

// Appends the encodings of all rows; `offsets` gets rows + 1 entries into `arena`.
void encode_keys(const Batch& batch, const std::vector<size_t>& key_columns, std::string& arena,
                 std::vector<uint32_t>& offsets);

// A 64-bit hash of a byte string (our own multiply-xorshift mix over 8-byte words).
uint64_t hash_bytes(std::string_view bytes, uint64_t seed = 0);

using HashFunction = uint64_t (*)(std::string_view);
inline uint64_t default_key_hash(std::string_view bytes) { return hash_bytes(bytes); }

// Whether keys of these two types may be compared by their encodings (only equal types: a date
// and a timestamp both encode as integers but are different values).
bool key_types_compatible(Type a, Type b);

}  // namespace idemload
