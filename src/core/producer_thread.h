// ProducerThread: a thread that produces what the thread which started it consumes, the two
// handing things over under one mutex and condition variable. The producer waits for room (or
// is stopped); the consumer waits for something to take (or the producer's end). What the
// producer throws reaches the consumer once it has taken everything handed over before.
// Used by the scan of the keys in scope (strategies), PostgreSQL's halved scan (targets) and
// PrefetchReader (formats).
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace idemload {

// Declare it after everything its thread uses: the destructor stops and joins the thread.
class ProducerThread {
 public:
  ProducerThread() = default;
  ~ProducerThread() { stop(); }
  ProducerThread(const ProducerThread&) = delete;
  ProducerThread& operator=(const ProducerThread&) = delete;

  // What both sides lock and wait on; the producer and the consumer notify `changed` after
  // each hand-over.
  std::mutex mutex;
  std::condition_variable changed;

  // Runs `produce` on the thread (once).
  void start(std::function<void()> produce) {
    thread_ = std::thread([this, produce = std::move(produce)] {
      try {
        produce();
      } catch (const Stopped&) {
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        error_ = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex);
      done_ = true;
      changed.notify_all();
    });
  }

  // Producer side, `lock` held on `mutex`: waits until `room()`. When the consumer has stopped
  // the producer, throws an exception of its own that ends `produce` quietly (code between
  // here and `produce` must let it pass, as it would any error).
  template <typename Room>
  void wait_for_room(std::unique_lock<std::mutex>& lock, Room room) {
    changed.wait(lock, [&] { return stop_ || room(); });
    if (stop_) throw Stopped{};
  }

  // Consumer side, `lock` held on `mutex`: waits until `ready()` or the producer has ended.
  template <typename Ready>
  void wait_for_ready(std::unique_lock<std::mutex>& lock, Ready ready) {
    changed.wait(lock, [&] { return done_ || ready(); });
  }

  // Consumer side: asks the producer to stop and waits for its thread (after an error of the
  // consumer's, say). Its own error, if any, is dropped.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop_ = true;
    }
    changed.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Consumer side, once it has taken everything: waits for the thread and rethrows what the
  // producer threw.
  void finish() {
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  struct Stopped {};

  std::thread thread_;
  bool stop_ = false;
  bool done_ = false;
  std::exception_ptr error_;
};

}  // namespace idemload
