// libFuzzer target over the Parquet reader: any input must either read or end in an
// idemload::Error; crashes, sanitizer reports and other exceptions are bugs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/column.h"
#include "core/error.h"
#include "formats/parquet/parquet_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    idemload::formats::SourceOptions options;
    options.batch_rows = 1024;
    auto reader = idemload::formats::parquet::open_parquet_buffer(bytes, "fuzz.parquet", options);
    idemload::Batch batch;
    while (reader->next(batch)) {
    }
  } catch (const idemload::Error&) {
  }
  return 0;
}
