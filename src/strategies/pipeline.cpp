#include "strategies/pipeline.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/failpoint.h"
#include "core/key_hash.h"
#include "ops/gather.h"

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

BatchPipe::BatchPipe(Producer produce, const StrategyStats& initial, size_t depth)
    : produce_(std::move(produce)), producer_stats_(initial), slots_(std::max<size_t>(depth, 1)) {
  thread_ = std::thread([this] { run(); });
}

BatchPipe::~BatchPipe() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  freed_.notify_all();
  thread_.join();
}

void BatchPipe::run() {
  Batch batch;
  try {
    while (true) {
      // Produce outside the lock, into a batch of our own; then wait for a free slot.
      const bool more = produce_(batch, producer_stats_);
      std::unique_lock<std::mutex> lock(mutex_);
      if (!more) break;
      freed_.wait(lock, [this] { return stop_ || count_ < slots_.size(); });
      if (stop_) return;
      Slot& slot = slots_[(head_ + count_) % slots_.size()];
      std::swap(slot.batch, batch);
      slot.stats = producer_stats_;
      ++count_;
      lock.unlock();
      filled_.notify_one();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  filled_.notify_one();
}

bool BatchPipe::next(Batch& out, StrategyStats& stats) {
  std::unique_lock<std::mutex> lock(mutex_);
  filled_.wait(lock, [this] { return count_ > 0 || done_; });
  if (count_ == 0) {
    // Batches produced before a failure are handed over first, as a single thread would have.
    if (error_) std::rethrow_exception(error_);
    return false;
  }
  Slot& slot = slots_[head_];
  std::swap(out, slot.batch);
  stats = slot.stats;
  head_ = (head_ + 1) % slots_.size();
  --count_;
  lock.unlock();
  freed_.notify_one();
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
  const size_t chunk_rows = std::max<size_t>(context_.chunk_rows, 1);
  size_t offset = 0;
  while (offset < rows.num_rows()) {
    const size_t take = std::min(chunk_rows - std::min(chunk_rows, pending_.num_rows()), rows.num_rows() - offset);
    selection_.resize(take);
    std::iota(selection_.begin(), selection_.end(), static_cast<uint32_t>(offset));
    ops::gather_append(rows, selection_.data(), take, pending_);
    offset += take;
    if (pending_.num_rows() >= chunk_rows) commit_chunk(stats);
  }
}

const Batch& ChunkedWriter::sorted_by_key() {
  // Rows in key order reach the key's B-tree (primary key, unique index) as a sweep from left
  // to right instead of random probes: each index page is visited once per chunk. The chunk's
  // rows and what it commits are the same; only the order of the INSERTs changes. The key
  // encodings sort like the keys (core/key_hash.h).
  key_arena_.clear();
  encode_keys(pending_, context_.key_columns, key_arena_, key_offsets_);
  auto key_of = [this](uint32_t row) {
    return std::string_view(key_arena_.data() + key_offsets_[row], key_offsets_[row + 1] - key_offsets_[row]);
  };
  selection_.resize(pending_.num_rows());
  std::iota(selection_.begin(), selection_.end(), 0u);
  auto less = [&key_of](uint32_t a, uint32_t b) { return key_of(a) < key_of(b); };
  if (std::is_sorted(selection_.begin(), selection_.end(), less)) return pending_;
  std::sort(selection_.begin(), selection_.end(), less);
  ops::gather(pending_, selection_, sorted_);
  return sorted_;
}

void ChunkedWriter::commit_chunk(StrategyStats& stats) {
  if (pending_.num_rows() == 0) return;
  IDEMLOAD_FAILPOINT(target_write);
  // The counts move to `stats` only once the chunk is committed: a rolled-back chunk counts for
  // nothing, and the ledger progress written inside the transaction commits with the rows.
  StrategyStats next = stats;
  context_.target->begin();
  try {
    next.rows_inserted += writer_->write(context_.key_columns.empty() ? pending_ : sorted_by_key());
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
