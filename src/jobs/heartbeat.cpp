#include "jobs/heartbeat.h"

#include <cstdio>

#include "core/error.h"
#include "core/uuid.h"
#include "jobs/ledger.h"

namespace idemload::jobs {

Heartbeat::Heartbeat(std::unique_ptr<targets::Target> connection, std::string job_id,
                     int64_t interval_ms)
    : connection_(std::move(connection)), job_id_(std::move(job_id)), interval_ms_(interval_ms) {
  thread_ = std::thread([this] { loop(); });
}

Heartbeat::~Heartbeat() { stop(); }

void Heartbeat::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string Heartbeat::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

void Heartbeat::loop() {
  Ledger ledger(*connection_);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    try {
      ledger.heartbeat(job_id_, now_ms());
    } catch (const std::exception& error) {
      // Reported in the job's summary and on stderr; a missed beat only makes the job look
      // stale sooner, it never corrupts data.
      failures_.fetch_add(1);
      std::fprintf(stderr, "idemload: warning: heartbeat for job %s not written: %s\n",
                   job_id_.c_str(), error.what());
      lock.lock();
      last_error_ = error.what();
      continue;
    }
    lock.lock();
  }
}

}  // namespace idemload::jobs
