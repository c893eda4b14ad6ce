#include "targets/halved_scan.h"

#include <atomic>
#include <deque>
#include <mutex>

#include "core/producer_thread.h"

namespace idemload::targets {

void scan_halves(size_t pieces, const PieceScan& first, const PieceScan& second, const BatchSink& sink,
                 size_t waiting) {
  std::atomic<size_t> next_piece{0};
  std::atomic<bool> other_failed{false};  // this thread then takes no further piece
  std::deque<Batch> held;  // the other thread's batches, waiting for this one
  ProducerThread reader;   // after what its thread uses: it is destroyed (and joined) first
  reader.start([&] {
    const BatchSink hold = [&](const Batch& batch) {
      std::unique_lock<std::mutex> lock(reader.mutex);
      reader.wait_for_room(lock, [&] { return held.size() < waiting; });
      held.push_back(batch);
      reader.changed.notify_all();
    };
    try {
      for (size_t piece = next_piece++; piece < pieces; piece = next_piece++) second(piece, hold);
    } catch (...) {
      other_failed = true;
      throw;  // to the ProducerThread: rethrown by finish()
    }
  });
  // Hands over the other thread's waiting batches; with `until_done`, until there are no more.
  auto drain = [&](bool until_done) {
    while (true) {
      std::unique_lock<std::mutex> lock(reader.mutex);
      if (until_done) reader.wait_for_ready(lock, [&] { return !held.empty(); });
      if (held.empty()) return;
      Batch batch = std::move(held.front());
      held.pop_front();
      reader.changed.notify_all();
      lock.unlock();
      sink(batch);
    }
  };
  try {
    const BatchSink own = [&](const Batch& batch) {
      sink(batch);
      drain(false);
    };
    for (size_t piece = next_piece++; piece < pieces && !other_failed; piece = next_piece++) {
      first(piece, own);
      drain(false);  // a piece may have returned no batch
    }
    drain(true);
  } catch (...) {
    reader.stop();
    throw;
  }
  reader.finish();
}

}  // namespace idemload::targets
