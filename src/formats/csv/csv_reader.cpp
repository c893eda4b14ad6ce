#include "formats/csv/csv_reader.h"
#include "core/error.h"
namespace idemload::formats::csv {
std::unique_ptr<BatchReader> open_csv(const std::string&, const SourceOptions&) { throw Error::NotSupported("PLACEHOLDER"); }
}
