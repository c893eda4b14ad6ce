#include "core/producer_thread.h"

#include <gtest/gtest.h>

#include <deque>
#include <stdexcept>

namespace idemload {
namespace {

TEST(ProducerThreadTest, HandsOverEverythingThenTheProducersError) {
  ProducerThread producer;
  std::deque<int> queue;
  producer.start([&] {
    for (int item = 0; item < 10; ++item) {
      std::unique_lock<std::mutex> lock(producer.mutex);
      producer.wait_for_room(lock, [&] { return queue.size() < 2; });
      queue.push_back(item);
      producer.changed.notify_all();
    }
    throw std::runtime_error("source broke");
  });
  std::vector<int> taken;
  while (true) {
    std::unique_lock<std::mutex> lock(producer.mutex);
    producer.wait_for_ready(lock, [&] { return !queue.empty(); });
    if (queue.empty()) break;
    EXPECT_LE(queue.size(), 2u);
    taken.push_back(queue.front());
    queue.pop_front();
    producer.changed.notify_all();
  }
  EXPECT_EQ(taken, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_THROW(producer.finish(), std::runtime_error);
}

TEST(ProducerThreadTest, StopEndsAProducerWaitingForRoomQuietly) {
  ProducerThread producer;
  std::deque<int> queue;
  int pushed = 0;  // the producer's, read after stop() joined it
  producer.start([&] {
    while (true) {
      std::unique_lock<std::mutex> lock(producer.mutex);
      producer.wait_for_room(lock, [&] { return queue.empty(); });
      queue.push_back(pushed++);
      producer.changed.notify_all();
    }
  });
  for (int item = 0; item < 3; ++item) {
    std::unique_lock<std::mutex> lock(producer.mutex);
    producer.wait_for_ready(lock, [&] { return !queue.empty(); });
    ASSERT_FALSE(queue.empty());
    EXPECT_EQ(queue.front(), item);
    queue.pop_front();
    producer.changed.notify_all();
  }
  producer.stop();
  // It pushed the item after the third at most, then was stopped while waiting for room.
  EXPECT_LE(pushed, 4);
  EXPECT_NO_THROW(producer.finish());
}

}  // namespace
}  // namespace idemload
