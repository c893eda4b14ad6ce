// append: inserts every de-duplicated source row in committed chunks. NOT idempotent: a re-run
// inserts everything again. Kept as the control that shows the evaluation can fail.
#include "strategies/pipeline.h"

namespace idemload::strategies {

class AppendStrategy : public Strategy {
 public:
  std::string_view name() const override { return "append"; }
  bool idempotent() const override { return false; }
  void run(StrategyContext& context, StrategyStats& stats) override {
    write_chunks(context, targets::WriteMode::kInsert, nullptr, stats);
  }
};

std::unique_ptr<Strategy> make_append() { return std::make_unique<AppendStrategy>(); }

}  // namespace idemload::strategies
