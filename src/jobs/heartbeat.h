// A background thread that writes the job's heartbeat_at every interval on its own
// connection, so that `monitor` can tell a live job from a dead one. Its failures are counted
// and reported, never fatal to the load.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "targets/target.h"

namespace idemload::jobs {

class Heartbeat {
 public:
  // Starts beating for `job_id` through `connection` (which the heartbeat owns).
  Heartbeat(std::unique_ptr<targets::Target> connection, std::string job_id, int64_t interval_ms);
  ~Heartbeat();  // stops and joins
  void stop();
  int64_t failures() const { return failures_.load(); }
  std::string last_error() const;

 private:
  void loop();
  std::unique_ptr<targets::Target> connection_;
  std::string job_id_;
  int64_t interval_ms_;
  std::atomic<int64_t> failures_{0};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace idemload::jobs
