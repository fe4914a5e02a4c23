#include "citytwin/common/thread_priority.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace citytwin {
namespace {

TEST(ThreadPriority, LowersOnlyTheCallingThread) {
  int before = this_thread_nice();
  if (before > 16) GTEST_SKIP() << "the test runs at nice " << before;
  int lowered = 0;
  bool done = false;
  std::thread([&] {
    done = lower_this_thread_priority(static_cast<unsigned>(before) + 3);
    lowered = this_thread_nice();
  }).join();
  EXPECT_TRUE(done);
  EXPECT_EQ(lowered, before + 3);
  EXPECT_EQ(this_thread_nice(), before);
}

TEST(ThreadPriority, StopsAtTheLowestPriorityAndNeverRaises) {
  int lowest = 0;
  bool raised = true;
  std::thread([&] {
    EXPECT_TRUE(lower_this_thread_priority(1000));
    lowest = this_thread_nice();
    raised = lower_this_thread_priority(0) && this_thread_nice() < lowest;
  }).join();
  EXPECT_EQ(lowest, 19);
  EXPECT_FALSE(raised);
}

}  // namespace
}  // namespace citytwin
