#include "targets/target.h"
#include "core/error.h"
namespace idemload::targets {
std::unique_ptr<Target> open_mysql(std::string_view) { throw Error::NotSupported("PLACEHOLDER"); }
}
