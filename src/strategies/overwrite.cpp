// overwrite: deletes the whole scope and inserts every source row, in one transaction with the
// ledger's `succeeded` (for scope `all`: builds a new table and swaps it in). The end state does
// not depend on the start state, so any earlier partial attempt is simply replaced.
#include "core/error.h"
#include "core/failpoint.h"
#include "strategies/pipeline.h"

namespace idemload::strategies {

class OverwriteStrategy : public Strategy {
 public:
  std::string_view name() const override { return "overwrite"; }
  void run(StrategyContext& context, StrategyStats& stats) override {
    if (context.scope.kind == targets::Scope::Kind::kAll) {
      run_swap(context, stats);
    } else {
      run_delete_insert(context, stats);
    }
  }

 private:
  static void write_all(StrategyContext& context, targets::BulkWriter& writer, StrategyStats& next) {
    DedupedSource source(context);
    Batch deduped(context.source->schema());
    while (source.next(deduped, next)) {
      IDEMLOAD_FAILPOINT(target_write);
      next.rows_inserted += writer.write(deduped);
    }
    next.rows_inserted += writer.flush();
    next.keys_only_in_scope = 0;
    next.chunks_committed = 1;
  }

  static void commit_with_ledger(StrategyContext& context, StrategyStats& stats, StrategyStats& next) {
    IDEMLOAD_FAILPOINT(before_chunk_commit);
    next.finished_in_transaction = true;
    if (context.finish_in_transaction && !context.finish_in_transaction(next)) {
      context.target->rollback();
      stats.finished_in_transaction = true;
      return;
    }
    IDEMLOAD_FAILPOINT(inside_commit);
    context.target->commit();
    stats = next;
    IDEMLOAD_FAILPOINT(after_chunk_commit);
  }

  static void run_delete_insert(StrategyContext& context, StrategyStats& stats) {
    targets::Target& target = *context.target;
    targets::WriteOptions options;
    options.lineage = context.lineage;
    auto writer = target.writer(context.table, *context.source->schema(), options);
    StrategyStats next = stats;
    target.begin();
    try {
      next.rows_deleted = target.delete_scope(context.table, context.scope);
      write_all(context, *writer, next);
      commit_with_ledger(context, stats, next);
    } catch (...) {
      target.rollback();
      throw;
    }
  }

  static void run_swap(StrategyContext& context, StrategyStats& stats) {
    targets::Target& target = *context.target;
    auto schema = target.table_schema(context.table);
    if (!schema) throw Error::Internal("overwrite: table vanished");
    std::string staging = context.table + "__idemload_new";
    // A staging table left by a crashed attempt is dropped and rebuilt.
    target.drop_table(staging);
    targets::CreateOptions create;
    create.lineage = false;  // the schema read back already has _batch when the table has it
    if (target.has_unique_key(context.table, context.key)) create.primary_key = context.key;
    target.create_table(staging, *schema, create);
    targets::WriteOptions options;
    options.lineage = context.lineage;
    auto writer = target.writer(staging, *context.source->schema(), options);
    StrategyStats next = stats;
    next.rows_deleted = target.count(context.table, context.scope);
    write_all(context, *writer, next);
    target.begin();
    try {
      target.replace_table(context.table, staging);
      commit_with_ledger(context, stats, next);
    } catch (...) {
      target.rollback();
      throw;
    }
  }
};

std::unique_ptr<Strategy> make_overwrite() { return std::make_unique<OverwriteStrategy>(); }

}  // namespace idemload::strategies
