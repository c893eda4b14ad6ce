// antijoin: inserts only the source rows whose key is not yet in scope, committing in chunks.
// A crash between chunks leaves committed chunks in place; the next run's anti-join skips them.
//   client:    scope keys streamed into an exact in-memory KeySet, which then de-duplicates
//              the source and drops the keys it holds, batch by batch;
//   push-down: the de-duplicated source bulk-copied into a temporary table, then one
//              INSERT … SELECT … WHERE NOT EXISTS in the database (for scopes too large for memory).
#include "core/failpoint.h"
#include "strategies/pipeline.h"

namespace idemload::strategies {

class AntiJoinStrategy : public Strategy {
 public:
  std::string_view name() const override { return "antijoin"; }
  bool scans_scope_first(const StrategyContext& context) const override { return !context.push_down; }
  void run(StrategyContext& context, StrategyStats& stats) override {
    if (context.push_down) {
      run_push_down(context, stats);
    } else {
      run_client(context, stats);
    }
  }

 private:
  static void run_client(StrategyContext& context, StrategyStats& stats) {
    ops::KeySet present;
    // The set ends up holding the keys in scope and the source's new keys. Sized once from the
    // source's row count (a re-run's source holds the keys in scope): growing a table of
    // millions of keys re-places them all and touches fresh memory each time.
    present.reserve(expected_keys(context));
    scan_scope_keys(context, present, stats);
    // The keys in scope seed the de-duplication's set: one exact set and one probe per row
    // both de-duplicate the source and anti-join it. Reading, de-duplicating and sorting
    // chunks run on a second thread, ahead of the writes on this one.
    write_chunks(context, targets::WriteMode::kInsert, nullptr, stats, &present);
    stats.keys_only_in_scope = stats.scope_keys - stats.rows_matched;
  }

  static void run_push_down(StrategyContext& context, StrategyStats& stats) {
    targets::Target& target = *context.target;
    const Schema& schema = *context.source->schema();
    std::string temp = target.create_temp_table(schema);
    targets::WriteOptions options;
    auto writer = target.writer(temp, schema, options);
    DedupedSource source(context);
    Batch deduped(context.source->schema());
    while (source.next(deduped, stats)) writer->write(deduped);
    writer->flush();
    int64_t before = target.count(context.table, context.scope);
    IDEMLOAD_FAILPOINT(target_write);
    target.begin();
    try {
      StrategyStats next = stats;
      next.rows_inserted = target.insert_missing(context.table, temp, schema, context.key, context.scope, context.lineage);
      next.rows_matched = next.rows_distinct - next.rows_inserted;
      next.scope_keys = before;
      next.keys_only_in_scope = before - next.rows_matched;
      next.chunks_committed = 1;
      if (context.in_chunk_transaction)
        context.in_chunk_transaction(target, next.rows_read, next.rows_inserted);
      IDEMLOAD_FAILPOINT(inside_commit);
      target.commit();
      next.first_commit = std::chrono::steady_clock::now();
      stats = next;
    } catch (...) {
      target.rollback();
      throw;
    }
    IDEMLOAD_FAILPOINT(after_chunk_commit);
    target.drop_table(temp);
  }
};

std::unique_ptr<Strategy> make_antijoin() { return std::make_unique<AntiJoinStrategy>(); }

}  // namespace idemload::strategies
