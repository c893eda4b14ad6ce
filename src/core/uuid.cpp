#include "core/uuid.h"

#include <chrono>
#include <mutex>
#include <random>

#include <fmt/format.h>

#include "core/value_text.h"

namespace idemload {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_time_ms(int64_t ms) {
  std::string text = format_timestamp((ms - ms % 1000) * 1000);
  return fmt::format("{}.{:03}Z", text, ms % 1000);
}

std::string new_uuid_v7() {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}() ^ static_cast<uint64_t>(now_ms())};
  static int64_t last_ms = 0;
  static uint16_t counter = 0;
  uint64_t rand_a, rand_b;
  int64_t ms = now_ms();
  {
    std::lock_guard lock(mutex);
    // Monotonic within a process: the 12-bit rand_a field counts up within one millisecond.
    if (ms <= last_ms) {
      ms = last_ms;
      ++counter;
    } else {
      counter = static_cast<uint16_t>(rng() & 0x3FF);
    }
    last_ms = ms;
    rand_a = counter & 0xFFF;
    rand_b = rng();
  }
  uint64_t high = (static_cast<uint64_t>(ms) << 16) | (0x7ULL << 12) | rand_a;
  uint64_t low = (rand_b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xFFFF, high & 0xFFFF,
                     low >> 48, low & 0xFFFFFFFFFFFFULL);
}

}  // namespace idemload
