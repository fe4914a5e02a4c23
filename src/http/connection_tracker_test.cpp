#include "connection_tracker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace citytwin::http {
namespace {

using std::chrono::milliseconds;

TEST(ConnectionTracker, CountsConnectionsAndBusyOnes) {
  ConnectionTracker tracker;
  std::size_t a = tracker.add([] {});
  std::size_t b = tracker.add([] {});
  EXPECT_EQ(tracker.count(), 2u);
  tracker.set_busy(true);
  tracker.set_busy(true);
  EXPECT_EQ(tracker.busy_count(), 2u);
  tracker.set_busy(false);
  EXPECT_EQ(tracker.busy_count(), 1u);
  tracker.remove(b, true);  // closed in the middle of its request
  EXPECT_EQ(tracker.busy_count(), 0u);
  tracker.remove(a, false);
  tracker.remove(a, true);  // a second removal changes nothing
  EXPECT_EQ(tracker.count(), 0u);
  EXPECT_EQ(tracker.busy_count(), 0u);
}

TEST(ConnectionTracker, ShutdownClosesIdleOnesAndWaitsForBusyOnes) {
  ConnectionTracker tracker;
  std::atomic<int> closed{0};
  tracker.add([&closed] { ++closed; });
  tracker.add([&closed] { ++closed; });
  tracker.set_busy(true);
  EXPECT_FALSE(tracker.shutting_down());
  tracker.begin_shutdown();
  EXPECT_TRUE(tracker.shutting_down());
  EXPECT_EQ(closed.load(), 2);
  std::thread finisher([&tracker] {
    std::this_thread::sleep_for(milliseconds(20));
    tracker.set_busy(false);
  });
  // Returns once the busy connection is done; the generous timeout is never reached.
  tracker.wait_until_idle(milliseconds(60000));
  EXPECT_EQ(tracker.busy_count(), 0u);
  finisher.join();
}

}  // namespace
}  // namespace citytwin::http
