#include "formats/parquet/decoders/delta_byte_array.h"

#include <fmt/format.h>

#include "core/error.h"
#include "formats/parquet/decoders/delta_binary_packed.h"
#include "formats/parquet/decoders/delta_length_byte_array.h"

namespace idemload::formats::parquet {

void delta_byte_array_decode(const uint8_t* data, size_t size, size_t count, DeltaByteArrayScratch& scratch,
                             std::string& storage, std::vector<std::string_view>& out) {
  size_t pos = delta_binary_packed_decode(data, size, count, scratch.prefixes);
  if (scratch.prefixes.size() < count) {
    throw Error::Corruption({}, fmt::format("DELTA_BYTE_ARRAY holds {} prefix lengths, the page needs {}",
                                            scratch.prefixes.size(), count));
  }
  delta_length_byte_array_decode(data + pos, size - pos, count, scratch.lengths, scratch.suffixes);
  storage.clear();
  scratch.offsets.resize(count + 1);
  scratch.offsets[0] = 0;
  size_t previous_start = 0, previous_length = 0;
  for (size_t idx = 0; idx < count; ++idx) {
    int64_t prefix = scratch.prefixes[idx];
    if (prefix < 0 || static_cast<uint64_t>(prefix) > previous_length) {
      throw Error::Corruption({}, fmt::format("DELTA_BYTE_ARRAY value {} has prefix length {}, its predecessor only {} bytes",
                                              idx, prefix, previous_length));
    }
    size_t start = storage.size();
    // Appending from storage to itself: reserve first so the source cannot move under us.
    storage.reserve(start + static_cast<size_t>(prefix) + scratch.suffixes[idx].size());
    storage.append(storage, previous_start, static_cast<size_t>(prefix));
    storage.append(scratch.suffixes[idx]);
    previous_start = start;
    previous_length = storage.size() - start;
    scratch.offsets[idx + 1] = storage.size();
  }
  out.resize(count);
  for (size_t idx = 0; idx < count; ++idx) {
    out[idx] = std::string_view(storage.data() + scratch.offsets[idx], scratch.offsets[idx + 1] - scratch.offsets[idx]);
  }
}

}  // namespace idemload::formats::parquet
