// CSV source (RFC 4180): quoted fields, escaped quotes, embedded newlines, CRLF, UTF-8 with or
// without a BOM; header row; types inferred from a sample unless overridden; bad rows become
// rejects. Streams: memory is bounded by the batch size, not the file.
#pragma once

#include <memory>
#include <string>

#include "formats/source.h"

namespace idemload::formats::csv {

// Throws Error(kIo) when the file cannot be read, kInvalidInput for an empty file (no header)
// or an unknown column in options.columns / options.column_types.
std::unique_ptr<BatchReader> open_csv(const std::string& path, const SourceOptions& options);

}  // namespace idemload::formats::csv
