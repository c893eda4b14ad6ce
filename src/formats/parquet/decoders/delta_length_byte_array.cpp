#include "formats/parquet/decoders/delta_length_byte_array.h"

#include <fmt/format.h>

#include "core/error.h"
#include "formats/parquet/decoders/delta_binary_packed.h"

namespace idemload::formats::parquet {

size_t delta_length_byte_array_decode(const uint8_t* data, size_t size, size_t count, std::vector<int64_t>& lengths,
                                      std::vector<std::string_view>& out) {
  size_t pos = delta_binary_packed_decode(data, size, count, lengths);
  if (lengths.size() < count) {
    throw Error::Corruption({}, fmt::format("DELTA_LENGTH_BYTE_ARRAY holds {} lengths, the page needs {}", lengths.size(), count));
  }
  out.resize(count);
  for (size_t idx = 0; idx < count; ++idx) {
    int64_t length = lengths[idx];
    if (length < 0 || static_cast<uint64_t>(length) > size - pos) {
      throw Error::Corruption({}, fmt::format("DELTA_LENGTH_BYTE_ARRAY value {} has a bad length {}", idx, length));
    }
    out[idx] = std::string_view(reinterpret_cast<const char*>(data + pos), static_cast<size_t>(length));
    pos += static_cast<size_t>(length);
  }
  return pos;
}

}  // namespace idemload::formats::parquet
