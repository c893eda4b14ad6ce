// transactional: one transaction holds the anti-join of the source against the scope, every
// missing row, and the ledger's `succeeded`. A failure anywhere commits nothing; the ledger
// row, checked inside the same transaction, stops a second apply.
#include "core/failpoint.h"
#include "strategies/pipeline.h"

namespace idemload::strategies {

class TransactionalStrategy : public Strategy {
 public:
  std::string_view name() const override { return "transactional"; }
  bool scans_scope_first(const StrategyContext&) const override { return true; }
  void run(StrategyContext& context, StrategyStats& stats) override {
    targets::Target& target = *context.target;
    targets::WriteOptions options;
    options.key = context.key;
    options.lineage = context.lineage;
    auto writer = target.writer(context.table, *context.source->schema(), options);
    StrategyStats next = stats;
    target.begin();
    try {
      // Keys are read inside the transaction, so that no other writer's rows slip in between.
      ops::KeySet present;
      scan_scope_keys(context, present, next);
      stats.scope_rows = next.scope_rows;  // the job's count at the start, even if this fails
      ops::AntiJoin anti_join(present, context.key_columns);
      DedupedSource source(context);
      Batch deduped(context.source->schema());
      Batch missing(context.source->schema());
      while (source.next(deduped, next)) {
        anti_join.apply(deduped, missing);
        IDEMLOAD_FAILPOINT(target_write);
        next.rows_inserted += writer->write(missing);
      }
      next.rows_inserted += writer->flush();
      next.rows_matched = anti_join.rows_matched();
      next.keys_only_in_scope = next.scope_keys - next.rows_matched;
      next.chunks_committed = 1;
      IDEMLOAD_FAILPOINT(before_chunk_commit);
      next.finished_in_transaction = true;
      if (context.finish_in_transaction && !context.finish_in_transaction(next)) {
        target.rollback();
        stats.finished_in_transaction = true;  // nothing applied: another job already did it
        return;
      }
      IDEMLOAD_FAILPOINT(inside_commit);
      target.commit();
    } catch (...) {
      target.rollback();
      throw;
    }
    stats = next;
    IDEMLOAD_FAILPOINT(after_chunk_commit);
  }
};

std::unique_ptr<Strategy> make_transactional() { return std::make_unique<TransactionalStrategy>(); }

}  // namespace idemload::strategies
