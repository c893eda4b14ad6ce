#include "strategies/pipeline.h"

#include "core/error.h"
#include "core/failpoint.h"

namespace idemload::strategies {

DedupedSource::DedupedSource(StrategyContext& context)
    : context_(context), deduper_(context.key_columns), raw_(context.source->schema()) {}

bool DedupedSource::next(Batch& out, StrategyStats& stats) {
  if (!context_.source->next(raw_)) return false;
  IDEMLOAD_FAILPOINT(after_rows_read);
  deduper_.apply(raw_, out);
  stats.rows_read = deduper_.rows_in();
  stats.rows_duplicate = deduper_.rows_dropped();
  stats.rows_distinct = deduper_.distinct_keys();
  if (context_.on_progress) context_.on_progress(stats);
  return true;
}

void scan_scope_keys(StrategyContext& context, ops::KeySet& present, StrategyStats& stats) {
  Schema key_schema = context.source->schema()->select(context.key_columns);
  std::vector<size_t> all_columns(key_schema.size());
  for (size_t idx = 0; idx < all_columns.size(); ++idx) all_columns[idx] = idx;
  int64_t rows = 0;
  context.target->scan(context.table, key_schema, context.scope, kDefaultBatchRows, [&](const Batch& keys) {
    present.insert_keys(keys, all_columns);
    rows += static_cast<int64_t>(keys.num_rows());
  });
  stats.scope_keys = static_cast<int64_t>(present.size());
  if (rows != stats.scope_keys) {
    // Duplicate keys already in scope (e.g. left by an earlier append): the invariant cannot
    // hold whatever we insert; report it rather than hide it.
    stats.keys_only_in_scope.reset();
  }
}

ChunkedWriter::ChunkedWriter(StrategyContext& context, targets::WriteMode mode)
    : context_(context), pending_(context.source->schema()) {
  targets::WriteOptions options;
  options.mode = mode;
  options.key = context.key;
  options.lineage = context.lineage;
  writer_ = context.target->writer(context.table, *context.source->schema(), options);
  pending_.reserve(context.chunk_rows);
}

void ChunkedWriter::add(const Batch& rows, StrategyStats& stats) {
  for (size_t row = 0; row < rows.num_rows(); ++row) {
    pending_.append_row(rows, row);
    if (pending_.num_rows() >= context_.chunk_rows) commit_chunk(stats);
  }
}

void ChunkedWriter::commit_chunk(StrategyStats& stats) {
  if (pending_.num_rows() == 0) return;
  IDEMLOAD_FAILPOINT(target_write);
  // The counts move to `stats` only once the chunk is committed: a rolled-back chunk counts for
  // nothing, and the ledger progress written inside the transaction commits with the rows.
  StrategyStats next = stats;
  context_.target->begin();
  try {
    next.rows_inserted += writer_->write(pending_);
    next.rows_inserted += writer_->flush();
    IDEMLOAD_FAILPOINT(before_chunk_commit);
    next.chunks_committed += 1;
    if (context_.in_chunk_transaction) context_.in_chunk_transaction(next);
    IDEMLOAD_FAILPOINT(inside_commit);
    context_.target->commit();
  } catch (...) {
    context_.target->rollback();
    throw;
  }
  stats = next;
  IDEMLOAD_FAILPOINT(after_chunk_commit);
  pending_.clear();
}

void ChunkedWriter::finish(StrategyStats& stats) { commit_chunk(stats); }

}  // namespace idemload::strategies
