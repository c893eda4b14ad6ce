#include "formats/parquet/decoders/byte_stream_split.h"

#include <fmt/format.h>

#include "core/error.h"

namespace idemload::formats::parquet {

void byte_stream_split_decode(const uint8_t* data, size_t size, size_t count, size_t width, uint8_t* out) {
  if (width == 0 || size % width != 0 || size / width < count) {
    throw Error::Corruption({}, fmt::format("BYTE_STREAM_SPLIT data of {} bytes does not hold {} values of {} bytes", size,
                                            count, width));
  }
  // No values (a page of nulls only): `out` may be the null data() of an empty buffer, and
  // even an offset of zero streams from it is undefined.
  if (count == 0) return;
  const size_t stride = size / width;
  for (size_t stream = 0; stream < width; ++stream) {
    const uint8_t* src = data + stream * stride;
    uint8_t* dst = out + stream;
    for (size_t idx = 0; idx < count; ++idx) dst[idx * width] = src[idx];
  }
}

}  // namespace idemload::formats::parquet
