#include "formats/parquet/parquet_reader.h"
#include "core/error.h"
namespace idemload::formats::parquet {
std::unique_ptr<BatchReader> open_parquet(const std::string&, const SourceOptions&) { throw Error::NotSupported("PLACEHOLDER"); }
}
