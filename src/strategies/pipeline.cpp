#include "strategies/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <iterator>
#include <numeric>
#include <optional>
#include <thread>

#include "core/error.h"
#include "core/failpoint.h"
#include "core/key_hash.h"
#include "core/producer_thread.h"
#include "core/value_text.h"
#include "formats/prefetch_reader.h"
#include "ops/gather.h"

namespace idemload::strategies {

DedupedSource::DedupedSource(StrategyContext& context, ops::KeySet* present, ops::KeySet* scope)
    : context_(context),
      deduper_(context.key_columns),
      seeded_(present != nullptr || scope != nullptr),
      raw_(context.source->schema()),
      scope_(scope) {
  if (present != nullptr) {
    deduper_.seed(std::move(*present));  // sized by the caller (antijoin: expected_keys)
  } else if (scope != nullptr) {
    // The source's keys not in scope: about as many as its rows beyond the scope's keys.
    const auto rows = static_cast<int64_t>(expected_keys(context));
    deduper_.reserve(
        static_cast<size_t>(std::max<int64_t>(rows - static_cast<int64_t>(scope->size()), 0)));
  } else {
    deduper_.reserve(expected_keys(context));
  }
}

bool DedupedSource::defer_all_but_keys(StrategyContext& context) {
  return !context.key_columns.empty() && context.source->defer_columns(context.key_columns);
}

ReadAheadQueue::ReadAheadQueue(std::vector<size_t> key_columns, HashFunction hash,
                               ops::KeySet* scope, formats::BatchReader* reader)
    : key_columns_(std::move(key_columns)),
      key_positions_(key_columns_.size()),
      hash_(hash),
      scope_(scope),
      reader_(reader) {
  std::iota(key_positions_.begin(), key_positions_.end(), size_t{0});
}

void ReadAheadQueue::prepare(const Batch& batch) {
  std::unique_ptr<ReadAhead> ahead;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!spare_.empty()) {
      ahead = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  if (!ahead) ahead = std::make_unique<ReadAhead>();
  ahead->keys.encode(batch, batch.deferred ? key_positions_ : key_columns_, hash_);
  ahead->unmarked = 0;
  ahead->in_scope.clear();
  if (scope_ != nullptr) {
    ahead->in_scope.resize(batch.num_rows() / kScopeShareDivisor);
    scope_->find_unmarking(ahead->keys, 0, ahead->in_scope.size(), ahead->in_scope.data(),
                           ahead->unmarked);
    const auto in_scope =
        static_cast<size_t>(std::count(ahead->in_scope.begin(), ahead->in_scope.end(), 1));
    if (batch.deferred && reader_ != nullptr &&
        (ahead->in_scope.size() - in_scope) * 4 > ahead->in_scope.size()) {
      reader_->stop_deferring();
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ready_.push_back(std::move(ahead));
}

std::unique_ptr<ReadAhead> ReadAheadQueue::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (ready_.empty()) throw Error::Internal("a batch was handed over without its keys' encodings");
  std::unique_ptr<ReadAhead> ahead = std::move(ready_.front());
  ready_.pop_front();
  return ahead;
}

void ReadAheadQueue::give_back(std::unique_ptr<ReadAhead> ahead) {
  std::lock_guard<std::mutex> lock(mutex_);
  spare_.push_back(std::move(ahead));
}

bool DedupedSource::next(Batch& out, StrategyStats& stats) {
  if (!context_.source->next(raw_)) return false;
  IDEMLOAD_FAILPOINT(after_rows_read);
  std::unique_ptr<ReadAhead> ahead;
  if (ahead_) ahead = ahead_->take();
  if (raw_.deferred) {
    if (key_positions_.size() != context_.key_columns.size()) {
      key_positions_.resize(context_.key_columns.size());
      std::iota(key_positions_.begin(), key_positions_.end(), size_t{0});
    }
    select(key_positions_, ahead.get());
    read_wanted(out);
  } else {
    select(context_.key_columns, ahead.get());
    ops::reset_like(raw_, out);
    ops::gather_append(raw_, selection_.data(), selection_.size(), out);
  }
  if (ahead) ahead_->give_back(std::move(ahead));
  if (scope_ != nullptr) {
    // The set apart holds the keys not in scope alone.
    stats.rows_read = rows_in_;
    stats.rows_matched = scope_matched_;
    stats.rows_distinct = deduper_.distinct_keys() + scope_matched_;
    stats.rows_duplicate = rows_in_ - stats.rows_distinct;
  } else {
    stats.rows_read = deduper_.rows_in();
    stats.rows_duplicate = deduper_.rows_dropped();
    stats.rows_distinct = deduper_.distinct_keys();
    if (seeded_) stats.rows_matched = deduper_.rows_matched();
  }
  if (context_.on_progress) context_.on_progress(stats);
  return true;
}

void DedupedSource::select(const std::vector<size_t>& key_columns, ReadAhead* ahead) {
  if (ahead == nullptr) {
    ahead = &own_ahead_;
    own_ahead_.keys.encode(raw_, key_columns, deduper_.keys().hash_function());
    own_ahead_.in_scope.clear();
    own_ahead_.unmarked = 0;
  }
  if (scope_ == nullptr) {
    deduper_.select(raw_, key_columns, selection_, ahead->keys);
    return;
  }
  // The keys in scope fix the key's types, as when they seed the Deduper's set.
  scope_->check_key_types(raw_, key_columns, "this batch");
  const size_t rows = raw_.num_rows();
  if (ahead->keys.size() != rows || ahead->in_scope.size() > rows) {
    throw Error::Internal(fmt::format("{} keys encoded and {} looked up for a batch of {} rows",
                                      ahead->keys.size(), ahead->in_scope.size(), rows));
  }
  // The rows the reading thread did not look up in scope, then the rows in scope of neither.
  const size_t looked_up = ahead->in_scope.size();
  ahead->in_scope.resize(rows);
  int64_t unmarked = ahead->unmarked;
  scope_->find_unmarking(ahead->keys, looked_up, rows, ahead->in_scope.data() + looked_up,
                         unmarked);
  candidates_.clear();
  for (size_t row = 0; row < rows; ++row) {
    if (ahead->in_scope[row] == 0) candidates_.push_back(static_cast<uint32_t>(row));
  }
  deduper_.select_rows(raw_, key_columns, candidates_, ahead->keys, selection_);
  rows_in_ += static_cast<int64_t>(rows);
  scope_matched_ += unmarked;
}

void DedupedSource::read_wanted(Batch& out) {
  const std::vector<size_t>& keys = context_.key_columns;
  const std::vector<size_t>& deferred = raw_.deferred->columns();
  const std::shared_ptr<const Schema>& schema = context_.source->schema();
  if (raw_.num_columns() != keys.size() || keys.size() + deferred.size() != schema->size() ||
      raw_.source_rows.size() != raw_.num_rows()) {
    throw Error::Internal(fmt::format(
        "a batch of {} columns ({} rows located) with {} deferred, for a key of {} columns of {}",
        raw_.num_columns(), raw_.source_rows.size(), deferred.size(), keys.size(), schema->size()));
  }
  ops::gather(raw_, selection_, wanted_keys_);
  if (out.schema_ptr() != schema) {
    out = Batch(schema);
  } else {
    out.clear();
  }
  out.source_file = raw_.source_file;
  for (size_t idx = 0; idx < keys.size(); ++idx)
    std::swap(out.column(keys[idx]), wanted_keys_.column(idx));
  std::swap(out.source_rows, wanted_keys_.source_rows);
  if (out.num_rows() == 0) return;  // every row present or repeated: nothing else is read
  IDEMLOAD_FAILPOINT(deferred_columns_read);
  deferred_out_.clear();
  for (size_t column : deferred) deferred_out_.push_back(&out.column(column));
  raw_.deferred->read(out.source_rows, deferred_out_);
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
      // Wait for a free slot, then produce outside the lock, into a batch of our own. Not the
      // other way round: a batch produced before its slot is free would put one more batch
      // between what the producer has read and what the consumers have taken (for
      // write_chunks, one more chunk of read rows that a kill loses).
      {
        std::unique_lock<std::mutex> lock(mutex_);
        freed_.wait(lock, [this] { return stop_ || count_ < slots_.size(); });
        if (stop_) return;
      }
      const bool more = produce_(batch, producer_stats_);
      std::unique_lock<std::mutex> lock(mutex_);
      if (!more) break;
      if (stop_) return;
      // The slot waited for is still free: only this thread fills slots.
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
  filled_.notify_all();  // every consumer waiting (write_chunks may run several)
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

size_t expected_keys(const StrategyContext& context) {
  // A corrupt footer may claim any count: past the cap the set simply grows as it fills.
  constexpr int64_t kMostReserved = int64_t{1} << 25;
  std::optional<int64_t> rows = context.source->rows_expected();
  return rows ? static_cast<size_t>(std::clamp<int64_t>(*rows, 0, kMostReserved)) : 0;
}

bool mostly_in_scope(const StrategyContext& context, int64_t scope_keys) {
  std::optional<int64_t> rows = context.source->rows_expected();
  return rows && scope_keys >= 0 && scope_keys * 2 >= *rows;
}

void scan_scope_keys(StrategyContext& context, ops::KeySet& present, StrategyStats& stats) {
  const auto started = std::chrono::steady_clock::now();
  Schema key_schema = context.source->schema()->select(context.key_columns);
  std::vector<size_t> all_columns(key_schema.size());
  std::iota(all_columns.begin(), all_columns.end(), size_t{0});
  // Every batch the scan returns has the columns of key_schema (Target::scan).
  present.check_key_types(Batch(std::make_shared<const Schema>(key_schema)), all_columns, "the table's keys");

  // The target's scan (reading, converting, encoding and hashing the keys) runs on a second
  // thread; this one inserts them. At most kInFlight batches of encoded keys exist, recycled.
  constexpr size_t kInFlight = 3;
  std::deque<ops::EncodedKeys> full;
  std::vector<ops::EncodedKeys> spare(kInFlight);
  int64_t rows = 0;  // rows the scan returned (the scanning thread's, read after the join)
  const HashFunction hash = present.hash_function();
  ProducerThread scanner;  // after what its thread uses: it is destroyed (and joined) first
  scanner.start([&] {
    context.target->scan(context.table, key_schema, context.scope, kDefaultBatchRows, [&](const Batch& keys) {
      std::unique_lock<std::mutex> lock(scanner.mutex);
      scanner.wait_for_room(lock, [&] { return !spare.empty(); });
      ops::EncodedKeys encoded = std::move(spare.back());
      spare.pop_back();
      lock.unlock();
      encoded.encode(keys, all_columns, hash);
      rows += static_cast<int64_t>(keys.num_rows());
      lock.lock();
      full.push_back(std::move(encoded));
      scanner.changed.notify_all();
    });
  });
  try {
    while (true) {
      std::unique_lock<std::mutex> lock(scanner.mutex);
      scanner.wait_for_ready(lock, [&] { return !full.empty(); });
      if (full.empty()) break;  // the scan ended (or failed: rethrown below)
      ops::EncodedKeys encoded = std::move(full.front());
      full.pop_front();
      lock.unlock();
      present.insert_all(encoded, /*mark=*/true);
      lock.lock();
      spare.push_back(std::move(encoded));
      scanner.changed.notify_all();
    }
  } catch (...) {
    scanner.stop();
    throw;
  }
  scanner.finish();
  stats.scope_keys = static_cast<int64_t>(present.size());
  stats.scope_rows = rows;
  stats.seconds_scan += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (rows != stats.scope_keys) {
    // Duplicate keys already in scope (e.g. left by an earlier append): the invariant cannot
    // hold whatever we insert; report it rather than hide it.
    stats.keys_only_in_scope.reset();
  }
}

ChunkBuilder::ChunkBuilder(const StrategyContext& context, size_t ranges)
    : key_columns_(context.key_columns),
      chunk_rows_(std::max<size_t>(context.chunk_rows, 1)),
      budget_(chunk_rows_ * kBudgetChunks),
      partitions_(std::max<size_t>(ranges, 1)),
      picks_(partitions_.size()) {}

bool ChunkBuilder::due() const {
  if (draining_ || buffered_ >= budget_) return true;
  return std::any_of(partitions_.begin(), partitions_.end(),
                     [this](const Batch& partition) { return partition.num_rows() >= chunk_rows_; });
}

size_t ChunkBuilder::partition_of(std::string_view key) const {
  return static_cast<size_t>(std::upper_bound(bounds_.begin(), bounds_.end(), key) - bounds_.begin());
}

size_t ChunkBuilder::add(const Batch& rows, size_t offset) {
  if (offset >= rows.num_rows() || due()) return offset;
  if (rows.source_file != file_) {
    // A batch names one source file for its rows' errors: the rows of the file before go first.
    if (!empty()) {
      draining_ = true;
      return offset;
    }
    file_ = rows.source_file;
  }
  if (!split_done_) {
    // Until the bounds are known, rows wait in partition 0.
    Batch& first = partitions_[0];
    const size_t take = std::min(chunk_rows_ - std::min(chunk_rows_, first.num_rows()), rows.num_rows() - offset);
    selection_.resize(take);
    std::iota(selection_.begin(), selection_.end(), static_cast<uint32_t>(offset));
    ops::gather_append(rows, selection_.data(), take, first);
    buffered_ += take;
    if (first.num_rows() >= chunk_rows_ && !key_columns_.empty() && partitions_.size() > 1) split();
    return offset + take;
  }
  return route(rows, offset, /*limited=*/true);
}

size_t ChunkBuilder::route(const Batch& rows, size_t offset, bool limited) {
  for (auto& pick : picks_) pick.clear();
  size_t row = offset;
  for (; row < rows.num_rows(); ++row) {
    // Only the rows taken are encoded: a batch cut by a chunk comes back here from `offset`.
    key_arena_.clear();
    encode_key(rows, key_columns_, row, key_arena_);
    const size_t part = partition_of(key_arena_);
    if (limited && (partitions_[part].num_rows() + picks_[part].size() >= chunk_rows_ ||
                    buffered_ + (row - offset) >= budget_)) {
      break;
    }
    picks_[part].push_back(static_cast<uint32_t>(row));
  }
  for (size_t part = 0; part < partitions_.size(); ++part) {
    if (!picks_[part].empty()) ops::gather_append(rows, picks_[part].data(), picks_[part].size(), partitions_[part]);
  }
  buffered_ += row - offset;
  return row;
}

void ChunkBuilder::split() {
  Batch waiting;
  std::swap(waiting, partitions_[0]);
  encode_keys(waiting, key_columns_, key_arena_, key_offsets_);
  // The bounds: quantiles of (a sample of about kSampleKeys of) these keys.
  const size_t rows = waiting.num_rows();
  const size_t step = std::max<size_t>(rows / kSampleKeys, 1);
  std::vector<std::string_view> sample;
  for (size_t row = 0; row < rows; row += step) {
    sample.emplace_back(key_arena_.data() + key_offsets_[row], key_offsets_[row + 1] - key_offsets_[row]);
  }
  set_bounds(sample);
  split_done_ = true;
  buffered_ = 0;
  route(waiting, 0, /*limited=*/false);
}

void ChunkBuilder::bound_by(std::vector<std::string_view> sample) {
  if (sample.empty() || key_columns_.empty() || partitions_.size() < 2 || split_done_ || !empty()) return;
  set_bounds(sample);
  split_done_ = true;
}

void ChunkBuilder::set_bounds(std::vector<std::string_view>& sample) {
  std::sort(sample.begin(), sample.end());
  bounds_.clear();
  for (size_t part = 1; part < partitions_.size(); ++part) {
    std::string_view bound = sample[part * sample.size() / partitions_.size()];
    if (bounds_.empty() || bounds_.back() < bound) bounds_.emplace_back(bound);
  }
}

void ChunkBuilder::take(Batch& chunk) {
  auto fullest = std::max_element(partitions_.begin(), partitions_.end(),
                                  [](const Batch& a, const Batch& b) { return a.num_rows() < b.num_rows(); });
  buffered_ -= fullest->num_rows();
  std::swap(chunk, *fullest);
  *fullest = Batch();  // not the recycled chunk's capacity: the partitions would hold it all
  if (buffered_ == 0) draining_ = false;
}

void ChunkBuilder::sort(Batch& chunk) {
  if (key_columns_.empty() || chunk.num_rows() < 2) return;
  key_arena_.clear();
  encode_keys(chunk, key_columns_, key_arena_, key_offsets_);
  auto key_of = [this](uint32_t row) {
    return std::string_view(key_arena_.data() + key_offsets_[row],
                            key_offsets_[row + 1] - key_offsets_[row]);
  };
  // Each row's first 40 key bytes, zero-padded, as five big-endian integers: ordering them is
  // ordering those bytes, and nearly every comparison ends there. Only rows whose first 40
  // bytes tie compare their whole keys. 16 bytes are not enough: a chunk holds many rows of
  // each client IP, and the IP alone fills them. Nor are 32: after a 15-character IP and the
  // date, they hold only the top of the time, so rows of one IP and day within about 70
  // minutes tie (on EDGAR rows, the whole-key comparisons took a quarter of the sort).
  const auto rows = static_cast<uint32_t>(chunk.num_rows());
  order_.resize(rows);
  for (uint32_t row = 0; row < rows; ++row) {
    std::string_view key = key_of(row);
    char head[sizeof(SortEntry::head)] = {};
    std::memcpy(head, key.data(), std::min(sizeof head, key.size()));
    SortEntry& entry = order_[row];
    for (size_t word = 0; word < std::size(entry.head); ++word) {
      uint64_t value = 0;
      std::memcpy(&value, head + 8 * word, 8);
      entry.head[word] = __builtin_bswap64(value);
    }
    entry.row = row;
  }
  auto less = [&key_of](const SortEntry& a, const SortEntry& b) {
    for (size_t word = 0; word < std::size(a.head); ++word) {
      if (a.head[word] != b.head[word]) return a.head[word] < b.head[word];
    }
    return key_of(a.row) < key_of(b.row);
  };
  if (std::is_sorted(order_.begin(), order_.end(), less)) return;
  std::sort(order_.begin(), order_.end(), less);
  selection_.resize(rows);
  for (uint32_t idx = 0; idx < rows; ++idx) selection_[idx] = order_[idx].row;
  permuter_.apply(chunk, selection_);
}

namespace {

// What the writers share: the committed totals and the first error.
struct CommitState {
  std::mutex mutex;
  StrategyStats committed;  // producer counts as of the latest chunk, written counts summed
  std::exception_ptr error;
  bool stop = false;
};

// One writer: takes chunks from the pipe and commits each on `target` until the end, an error
// or another writer's error.
void run_writer(StrategyContext& context, targets::Target& target, targets::BulkWriter& writer,
                BatchPipe& pipe, CommitState& state) {
  Batch chunk;
  StrategyStats produced;
  try {
    auto stopped = [&state] {
      std::lock_guard<std::mutex> lock(state.mutex);
      return state.stop;
    };
    while (!stopped()) {
      // Another writer may fail while this one waits: its chunk is then left unwritten.
      if (!pipe.next(chunk, produced) || stopped()) return;
      int64_t inserted = 0;
      if (chunk.num_rows() > 0) {
        IDEMLOAD_FAILPOINT(target_write);
        target.begin();
        try {
          inserted += writer.write(chunk);
          inserted += writer.flush();
          IDEMLOAD_FAILPOINT(before_chunk_commit);
          if (context.in_chunk_transaction)
            context.in_chunk_transaction(target, produced.rows_read, inserted);
          IDEMLOAD_FAILPOINT(inside_commit);
          target.commit();
        } catch (...) {
          target.rollback();
          throw;
        }
      }
      // The counts move to the totals only once the chunk is committed: a rolled-back chunk
      // counts for nothing.
      {
        std::lock_guard<std::mutex> lock(state.mutex);
        StrategyStats& total = state.committed;
        total.rows_read = std::max(total.rows_read, produced.rows_read);
        total.rows_duplicate = std::max(total.rows_duplicate, produced.rows_duplicate);
        total.rows_distinct = std::max(total.rows_distinct, produced.rows_distinct);
        total.rows_matched = std::max(total.rows_matched, produced.rows_matched);
        total.rows_inserted += inserted;
        if (chunk.num_rows() > 0) {
          if (total.chunks_committed == 0) total.first_commit = std::chrono::steady_clock::now();
          total.chunks_committed += 1;
        }
        if (context.on_progress) context.on_progress(total);
      }
      if (chunk.num_rows() > 0) IDEMLOAD_FAILPOINT(after_chunk_commit);
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (!state.error) state.error = std::current_exception();
    state.stop = true;
  }
}

}  // namespace

void write_chunks(StrategyContext& context, targets::WriteMode mode, const RowFilter& filter,
                  StrategyStats& stats, ops::KeySet* present) {
  targets::WriteOptions options;
  options.mode = mode;
  options.key = context.key;
  options.lineage = context.lineage;
  const std::shared_ptr<const Schema>& schema = context.source->schema();
  const size_t writers =
      context.target->parallel_writes() ? std::max<size_t>(context.writers, 1) : 1;
  // The further connections, each with its own writer, opened before anything is read.
  std::vector<std::unique_ptr<targets::Target>> connections;
  std::vector<std::unique_ptr<targets::BulkWriter>> bulk_writers;
  bulk_writers.push_back(context.target->writer(context.table, *schema, options));
  for (size_t idx = 1; idx < writers; ++idx) {
    connections.push_back(context.target->reconnect());
    bulk_writers.push_back(connections.back()->writer(context.table, *schema, options));
  }

  // The producer's own copy of the context, without the progress callback (the writers report
  // progress). It owns the source, the Deduper, the filter's state and the builder.
  StrategyContext producer_context = context;
  producer_context.on_progress = nullptr;
  // When most of the source is in scope already (a re-run, a recovery), the writers wait for
  // the reader through long runs of present rows: the source is then decoded on a thread of its
  // own, ahead of the de-duplication. Otherwise the reader waits for the writers, and a third
  // busy thread would only take the database's cores (PostgreSQL's load: 0.4 s slower).
  const bool mostly_present = present != nullptr && mostly_in_scope(context, stats.scope_keys);
  std::optional<formats::PrefetchReader> prefetched;
  std::shared_ptr<ReadAheadQueue> ahead;
  std::vector<std::string> bounds_sample;
  if (mostly_present) {
    // The key ranges from a sample of the keys in scope, not from the first rows missing: those
    // are no fair sample then. In a recovery they are mostly the rows the failed job had read
    // but not committed, the rows waiting in its builder: rows of the ranges it had not written
    // yet. Bounds cut from them left a few wide ranges, which most later rows fell into: chunks
    // from wide ranges, with fewer rows for each page of the key's B-tree they write (SQLite,
    // the 10 M-row recovery, four runs each, alternating: 7.2–7.3 s instead of 7.5–8.1 s). The
    // keys in scope follow the table's keys, whose B-tree the ranges are for. (Taken before the
    // reading thread starts to look keys up in the set.)
    bounds_sample = present->sample(ChunkBuilder::kSampleKeys);
    // The rows present are then dropped by their key alone: their other columns are never
    // decoded (the recovery's reader decompressed 0.3 GB for the 20% of the rows it wrote).
    if (!filter) DedupedSource::defer_all_but_keys(context);
    // The reading thread, with little left to decode, also encodes the keys and looks a share
    // of them up in scope: the de-duplicating thread, which looked every row up, was the
    // busier one (the recovery's, 0.7 s over 8 M rows while the reader waited).
    ahead = std::make_shared<ReadAheadQueue>(context.key_columns, present->hash_function(), present,
                                             context.source);
    // Eight batches ahead rather than two: the hand-overs then rarely find the queue empty
    // (the recovery's reader waited 0.03–0.07 s for its batches instead of 0.22 s).
    constexpr size_t kReadAhead = 8;
    prefetched.emplace(*context.source, kReadAhead,
                       [ahead](const Batch& batch) { ahead->prepare(batch); });
    producer_context.source = &*prefetched;
  }
  ChunkBuilder builder(producer_context, context.target->chunk_key_ranges());
  if (mostly_present)
    builder.bound_by(std::vector<std::string_view>(bounds_sample.begin(), bounds_sample.end()));
  // When most of the source is present, `present` stays apart, looked up by both threads;
  // otherwise the source's set takes it over.
  DedupedSource source(producer_context, mostly_present ? nullptr : present,
                       mostly_present ? present : nullptr);
  if (ahead) source.use_read_ahead(ahead);
  Batch deduped(schema);
  Batch rows(schema);
  size_t offset = 0;  // rows of `rows` already in a chunk
  bool source_done = false;
  bool final_stats_sent = false;
  CommitState state;
  state.committed = stats;
  {
    // `chunk` is the pipe's own batch, recycled: the builder swaps its fullest partition into
    // it, then it is sorted in place. A chunk per writer waits in the pipe, ready for the
    // writer that ends its chunk next; with the chunks being written and the rows waiting in
    // the builder (at most kBudgetChunks chunks' worth), 2 × writers + kBudgetChunks chunks are
    // in memory at most. The producer reads on for another chunk only once a waiting one is
    // taken: the rows a kill loses (read, not committed) are those of the chunks being written,
    // the waiting ones and the builder's.
    BatchPipe pipe(
        [&](Batch& chunk, StrategyStats& produced) {
          if (chunk.schema_ptr() != schema) {
            chunk = Batch(schema);
          } else {
            chunk.clear();
          }
          while (!builder.due()) {
            if (offset == rows.num_rows()) {
              if (source_done || !source.next(deduped, produced)) {
                source_done = true;
                break;
              }
              offset = 0;
              if (filter) {
                filter(deduped, rows, produced);
              } else {
                std::swap(rows, deduped);
              }
              continue;
            }
            offset = builder.add(rows, offset);
          }
          if (builder.empty()) {
            // One last, empty hand-over carries the stats of the batches read after the last
            // chunk (e.g. rows all present or duplicates); an empty chunk commits nothing.
            if (final_stats_sent) return false;
            final_stats_sent = true;
            return true;
          }
          builder.take(chunk);
          builder.sort(chunk);
          return true;
        },
        stats, writers);
    std::vector<std::thread> threads;
    for (size_t idx = 1; idx < writers; ++idx) {
      threads.emplace_back([&, idx] {
        run_writer(context, *connections[idx - 1], *bulk_writers[idx], pipe, state);
      });
    }
    run_writer(context, *context.target, *bulk_writers[0], pipe, state);
    for (auto& thread : threads) thread.join();
  }  // the pipe stops its producer here, if an error ended the writers early
  stats = state.committed;
  if (state.error) std::rethrow_exception(state.error);
  prefetched.reset();  // its thread no longer looks keys up in `present`
  stats.count_split = count_split_of(context, source.keys());
}

targets::CountSplit count_split_of(const StrategyContext& context, const ops::KeySet& keys, size_t min_keys) {
  if (keys.size() < min_keys || context.key_columns.empty()) return {};
  const Field& first = context.source->schema()->field(context.key_columns[0]);
  const Type type = first.type;
  if (type != Type::kString && type != Type::kInt64 && type != Type::kDate) return {};
  // The encodings sort like the keys, and so by their first value first.
  std::vector<std::string> sample = keys.sample(ChunkBuilder::kSampleKeys);
  if (sample.empty()) return {};
  const auto middle = sample.begin() + static_cast<std::ptrdiff_t>(sample.size() / 2);
  std::nth_element(sample.begin(), middle, sample.end());
  int64_t int_value = 0;
  std::string bytes;
  if (!decode_first_value(*middle, storage_of(type), int_value, bytes)) return {};
  targets::CountSplit split;
  split.column = first.name;
  if (type == Type::kString) {
    split.at = std::move(bytes);
  } else if (type == Type::kDate) {
    split.at = format_date(int_value);
  } else {
    split.at = int_value;
  }
  return split;
}

}  // namespace idemload::strategies
