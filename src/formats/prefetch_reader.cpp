#include "formats/prefetch_reader.h"

#include <algorithm>
#include <utility>

namespace idemload::formats {

PrefetchReader::PrefetchReader(BatchReader& inner, size_t depth,
                               std::function<void(const Batch&)> on_read)
    : inner_(inner), schema_(inner.schema()), rows_expected_(inner.rows_expected()) {
  for (size_t idx = 0; idx < std::max<size_t>(depth, 1); ++idx) spare_.emplace_back(schema_);
  thread_.start([this, on_read = std::move(on_read)] {
    while (true) {
      std::unique_lock<std::mutex> lock(thread_.mutex);
      thread_.wait_for_room(lock, [&] { return !spare_.empty(); });
      Batch batch = std::move(spare_.back());
      spare_.pop_back();
      lock.unlock();
      const bool more = inner_.next(batch);
      if (more && on_read) on_read(batch);
      const int64_t rejected = inner_.rows_rejected();
      lock.lock();
      if (!more) {
        final_rejected_ = rejected;
        return;  // ProducerThread marks the end
      }
      full_.push_back(Slot{std::move(batch), rejected});
      thread_.changed.notify_all();
    }
  });
}

PrefetchReader::~PrefetchReader() { thread_.stop(); }

bool PrefetchReader::next(Batch& out) {
  if (ended_) return false;
  std::unique_lock<std::mutex> lock(thread_.mutex);
  thread_.wait_for_ready(lock, [&] { return !full_.empty(); });
  if (full_.empty()) {
    lock.unlock();
    ended_ = true;
    thread_.finish();  // rethrows the inner reader's error, if it ended with one
    rows_rejected_ = final_rejected_;
    return false;
  }
  Slot slot = std::move(full_.front());
  full_.pop_front();
  // The caller's previous batch becomes a spare: its buffers are reused for a later batch.
  if (out.schema_ptr() != schema_) out = Batch(schema_);
  std::swap(out, slot.batch);
  spare_.push_back(std::move(slot.batch));
  thread_.changed.notify_all();
  lock.unlock();
  rows_read_ += static_cast<int64_t>(out.num_rows());
  rows_rejected_ = slot.rejected;
  return true;
}

}  // namespace idemload::formats
