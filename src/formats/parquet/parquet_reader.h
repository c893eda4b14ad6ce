// Parquet source: streams row groups of a flat Parquet file into batches.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "formats/source.h"

namespace idemload::formats::parquet {

// Throws Error(kIo), kCorruption (bad magic, footer, page…) or kNotSupported (nested columns),
// with file, row group, page and column in the context.
std::unique_ptr<BatchReader> open_parquet(const std::string& path, const SourceOptions& options);

// The same over bytes in memory (tests, the fuzzer); `bytes` must outlive the reader and `name`
// stands for the file in error contexts.
std::unique_ptr<BatchReader> open_parquet_buffer(std::string_view bytes, const std::string& name,
                                                 const SourceOptions& options);

}  // namespace idemload::formats::parquet
