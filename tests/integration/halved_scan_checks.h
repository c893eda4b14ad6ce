// Checks shared by the tests of PostgreSQL's and SQLite's halved scans. Their tables hold
// k = 0 … rows - 1, hundreds of k alternating between batches a and b, every seventh row deleted;
// while the scan of batch a runs, another connection moves rows of it (k becomes k + 1 000 000).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "targets/target.h"

namespace idemload::testing {

// The keys of batch a.
inline std::vector<int64_t> batch_a_keys(int64_t rows) {
  std::vector<int64_t> keys;
  for (int64_t k = 0; k < rows; ++k) {
    if ((k / 100) % 2 == 0 && k % 7 != 0) keys.push_back(k);
  }
  return keys;
}

// `seen` (each k modulo 1 000 000) holds every key of batch a exactly once, moved or not.
inline void expect_each_row_once(std::vector<int64_t> seen, int64_t rows, int moved) {
  const std::vector<int64_t> expected = batch_a_keys(rows);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen.size(), expected.size()) << moved << " rows moved";
  EXPECT_TRUE(seen == expected) << "each row of the scope exactly once, moved or not";
}

// Moves rows of batch a with k below `below` to the end of the table (`quoted`), a row per
// transaction on a connection of its own: k becomes k + 1 000 000. Runs until stop().
class RowMover {
 public:
  RowMover(targets::Target& target, const std::string& quoted, int64_t below)
      : thread_([this, connection = target.reconnect(), quoted, below] {
          for (int64_t k = 1; k < below && !stop_; ++k) {
            if ((k / 100) % 2 != 0 || k % 7 == 0) continue;
            connection->begin();
            connection->execute(fmt::format("DELETE FROM {} WHERE k = ?", quoted), {k});
            connection->execute(fmt::format("INSERT INTO {} (k, payload, _batch) VALUES (?, 'moved', 'a')", quoted),
                                {k + 1000000});
            connection->commit();
            ++moved_;
          }
        }) {}
  ~RowMover() { stop(); }
  RowMover(const RowMover&) = delete;
  RowMover& operator=(const RowMover&) = delete;

  void wait_for(int rows) const {
    while (moved_ < rows) std::this_thread::yield();
  }
  // Stops the moves and returns how many rows moved.
  int stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return moved_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> moved_{0};
  std::thread thread_;  // last: it starts once the counters exist
};

// A sink that throws at its third batch stops the scan of the whole table: the error reaches
// the caller.
inline void expect_sink_error_stops_scan(targets::Target& target, const std::string& table) {
  int batches = 0;
  EXPECT_THROW(target.scan(table, Schema({Field{"k", Type::kInt64}}), targets::Scope::all(), 1000,
                           [&](const Batch&) {
                             if (++batches == 3) throw std::runtime_error("stop");
                           }),
               std::runtime_error);
}

}  // namespace idemload::testing
