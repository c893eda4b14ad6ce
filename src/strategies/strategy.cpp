#include "strategies/strategy.h"

#include <fmt/format.h>

#include "core/error.h"

namespace idemload::strategies {

std::unique_ptr<Strategy> make_append();
std::unique_ptr<Strategy> make_antijoin();
std::unique_ptr<Strategy> make_overwrite();
std::unique_ptr<Strategy> make_transactional();
std::unique_ptr<Strategy> make_upsert();

std::vector<std::string> strategy_names() { return {"append", "antijoin", "overwrite", "transactional", "upsert"}; }

std::unique_ptr<Strategy> make_strategy(std::string_view name) {
  if (name == "append") return make_append();
  if (name == "antijoin") return make_antijoin();
  if (name == "overwrite") return make_overwrite();
  if (name == "transactional") return make_transactional();
  if (name == "upsert") return make_upsert();
  throw Error::InvalidInput(
      fmt::format("unknown strategy '{}' (append, antijoin, overwrite, transactional, upsert)", name));
}

}  // namespace idemload::strategies
