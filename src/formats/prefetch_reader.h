// PrefetchReader: reads another BatchReader on a thread of its own, a few batches ahead of the
// caller, so that decoding the source (decompressing pages, parsing CSV) overlaps with what the
// caller does with the rows before (de-duplicating, anti-joining).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "core/producer_thread.h"
#include "formats/source.h"

namespace idemload::formats {

// The inner reader is only touched by the thread while the PrefetchReader lives, and its
// handlers (SourceOptions::on_reject) run on that thread. Its errors reach next() after the
// batches read before them. rows_read() and rows_rejected() count what next() has handed over
// (rejects: those found up to the last batch handed over). Destroying it stops the thread.
class PrefetchReader : public BatchReader {
 public:
  // `on_read` (when given) runs on the thread with each batch it reads, before the batch is
  // handed over: work for the caller done ahead, in the batches' order. What it throws ends
  // the stream as the inner reader's errors do.
  explicit PrefetchReader(BatchReader& inner, size_t depth = 2,
                          std::function<void(const Batch&)> on_read = nullptr);
  ~PrefetchReader() override;
  PrefetchReader(const PrefetchReader&) = delete;
  PrefetchReader& operator=(const PrefetchReader&) = delete;

  const std::shared_ptr<const Schema>& schema() const override { return schema_; }
  bool next(Batch& out) override;
  int64_t rows_read() const override { return rows_read_; }
  int64_t rows_rejected() const override { return rows_rejected_; }
  std::optional<int64_t> rows_expected() const override { return rows_expected_; }

 private:
  struct Slot {
    Batch batch;
    int64_t rejected = 0;  // the inner reader's rejects once it had read this batch
  };
  BatchReader& inner_;
  std::shared_ptr<const Schema> schema_;
  std::optional<int64_t> rows_expected_;
  std::deque<Slot> full_;
  std::vector<Batch> spare_;
  int64_t final_rejected_ = 0;  // set by the thread at the end of the stream
  bool ended_ = false;          // the caller has seen the end
  int64_t rows_read_ = 0;
  int64_t rows_rejected_ = 0;
  ProducerThread thread_;  // after what its thread uses: it is destroyed (and joined) first
};

}  // namespace idemload::formats
