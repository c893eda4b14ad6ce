#include "targets/target.h"
#include "core/error.h"
namespace idemload::targets {
std::unique_ptr<Target> open_sqlite(const std::string&) { throw Error::NotSupported("PLACEHOLDER"); }
}
