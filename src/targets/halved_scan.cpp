#include "targets/halved_scan.h"

#include <deque>
#include <mutex>

#include "core/producer_thread.h"

namespace idemload::targets {

void scan_halves(const std::function<void(const BatchSink&)>& first,
                 const std::function<void(const BatchSink&)>& second, const BatchSink& sink, size_t waiting) {
  std::deque<Batch> held;  // the second half's batches, waiting for this thread
  ProducerThread reader;   // after what its thread uses: it is destroyed (and joined) first
  reader.start([&] {
    second([&](const Batch& batch) {
      std::unique_lock<std::mutex> lock(reader.mutex);
      reader.wait_for_room(lock, [&] { return held.size() < waiting; });
      held.push_back(batch);
      reader.changed.notify_all();
    });
  });
  // Hands over the second half's waiting batches; with `until_done`, until there are no more.
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
    first([&](const Batch& batch) {
      sink(batch);
      drain(false);
    });
    drain(true);
  } catch (...) {
    reader.stop();
    throw;
  }
  reader.finish();
}

}  // namespace idemload::targets
