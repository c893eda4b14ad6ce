// BROTLI over libbrotlidec.
#include <brotli/decode.h>

#include <fmt/format.h>

#include "core/error.h"
#include "formats/parquet/codecs/codec.h"

namespace idemload::formats::parquet::codecs {

void brotli_decompress(std::string_view input, uint8_t* output, size_t output_size) {
  size_t produced = output_size;
  BrotliDecoderResult rc = BrotliDecoderDecompress(input.size(), reinterpret_cast<const uint8_t*>(input.data()),
                                                   &produced, output);
  if (rc != BROTLI_DECODER_RESULT_SUCCESS) throw Error::Corruption({}, "invalid BROTLI data");
  if (produced != output_size) {
    throw Error::Corruption({}, fmt::format("BROTLI data expands to {} bytes, the page header says {}", produced, output_size));
  }
}

}  // namespace idemload::formats::parquet::codecs
