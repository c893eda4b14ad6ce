// upsert: INSERT … ON CONFLICT DO NOTHING (or DO UPDATE with update_on_conflict) per chunk. The
// primary key or unique index on the key rejects rows already present, so a re-run after a
// crash sends every row again and the database keeps one of each.
#include "strategies/pipeline.h"

namespace idemload::strategies {

class UpsertStrategy : public Strategy {
 public:
  std::string_view name() const override { return "upsert"; }
  bool needs_unique_key() const override { return true; }
  bool scans_scope_first(const StrategyContext& context) const override { return context.update_on_conflict; }
  void run(StrategyContext& context, StrategyStats& stats) override {
    if (context.update_on_conflict) {
      run_update(context, stats);
      return;
    }
    write_chunks(context, targets::WriteMode::kInsertIgnore, nullptr, stats);
    stats.rows_matched = stats.rows_distinct - stats.rows_inserted;
  }

 private:
  // DO UPDATE: databases report inserted and updated rows together, so the keys in scope are
  // read first and the new keys counted exactly; the reconciliation then still holds.
  static void run_update(StrategyContext& context, StrategyStats& stats) {
    ops::KeySet present;
    scan_scope_keys(context, present, stats);
    ops::AntiJoin anti_join(present, context.key_columns);
    Batch new_rows(context.source->schema());
    write_chunks(
        context, targets::WriteMode::kUpsert,
        [&](Batch& deduped, Batch& rows, StrategyStats& produced) {
          anti_join.apply(deduped, new_rows);  // counts the keys already in scope
          produced.rows_matched = anti_join.rows_matched();
          std::swap(rows, deduped);
        },
        stats);
    stats.rows_matched = anti_join.rows_matched();
    stats.rows_updated = stats.rows_matched;
    stats.rows_inserted = stats.rows_distinct - stats.rows_matched;
    stats.keys_only_in_scope = stats.scope_keys - stats.rows_matched;
  }
};

std::unique_ptr<Strategy> make_upsert() { return std::make_unique<UpsertStrategy>(); }

}  // namespace idemload::strategies
