// CSV source (RFC 4180): quoted fields, escaped quotes, embedded newlines, CRLF, UTF-8 with or
// without a BOM; header row; types inferred from a sample unless overridden; bad rows become
// rejects. Streams: memory is bounded by the batch size, not the file.
#pragma once

#include <memory>
#include <string>

#include "formats/source.h"

namespace idemload::formats::csv {

// Throws Error(kIo) when the file cannot be read, kInvalidInput for an empty file (no header),
// a header with an empty or repeated column name, or an unknown column in options.columns /
// options.column_types, and kCorruption from next() for a record over 256 MiB (an unterminated
// quote). Types not given in options.column_types are inferred from the first
// options.infer_rows records (see type_inference.h). An empty field, quoted or not, is NULL for
// every type. A record with the wrong number of fields, malformed quoting, or a value that does
// not parse as its column's type is passed to options.on_reject with its 1-based starting line
// and is not delivered; Batch::source_rows holds each delivered row's starting line.
std::unique_ptr<BatchReader> open_csv(const std::string& path, const SourceOptions& options);

}  // namespace idemload::formats::csv
