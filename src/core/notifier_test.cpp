// Delivery queues: order, retries with backoff, failed status and recovery, bounded queues.
#include "citytwin/core/notifier.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "subscription_test_support.hpp"

namespace citytwin::core {
namespace {
using namespace std::chrono_literals;
using testing::ManualClock;
using testing::RecordingSender;

OutgoingNotification note(int n) {
  return OutgoingNotification{"http://h/x", {}, std::to_string(n), nullptr, {}};
}

NotifierOptions fast() {
  NotifierOptions options;
  options.threads = 3;
  options.retry_initial = 5ms;
  options.retry_max = 20ms;
  options.max_attempts = 3;
  return options;
}

template <class Predicate>
bool eventually(Predicate predicate) {
  for (int i = 0; i < 500; ++i) {
    if (predicate()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return predicate();
}

TEST(Notifier, DeliversInOrderPerSubscription) {
  ManualClock clock;
  RecordingSender sender;
  Notifier notifier(sender, clock, fast(), nullptr);
  notifier.add("a", {});
  notifier.start();
  for (int i = 0; i < 50; ++i) notifier.enqueue("a", note(i));
  auto sent = sender.wait_for(50);
  ASSERT_EQ(sent.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(sent[i].body, std::to_string(i));
  EXPECT_TRUE(eventually([&] { return notifier.stats("a").times_sent == 50; }));
  EXPECT_EQ(notifier.stats("a").times_failed, 0u);
  EXPECT_TRUE(notifier.stats("a").last_success.has_value());
}

TEST(Notifier, RetriesThenReportsFailedThenRecovers) {
  ManualClock clock;
  RecordingSender sender;
  std::atomic<int> flips{0};
  Notifier notifier(sender, clock, fast(),
                    [&](const std::string&, const DeliveryStats&) { ++flips; });
  notifier.add("a", {});
  notifier.start();
  sender.set_failing(true);
  notifier.enqueue("a", note(1));
  // max_attempts = 3: three attempts, then the notification is dropped.
  ASSERT_TRUE(eventually([&] { return notifier.stats("a").dropped == 1; }));
  auto failed = notifier.stats("a");
  EXPECT_EQ(failed.times_sent, 3u);
  EXPECT_EQ(failed.times_failed, 3u);
  EXPECT_TRUE(failed.failing);
  EXPECT_TRUE(failed.last_failure.has_value());
  EXPECT_FALSE(failed.last_success.has_value());
  EXPECT_EQ(sender.attempts(), 3u);

  sender.set_failing(false);
  notifier.enqueue("a", note(2));
  auto sent = sender.wait_for(1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].body, "2");
  ASSERT_TRUE(eventually([&] { return !notifier.stats("a").failing; }));
  EXPECT_EQ(flips.load(), 2);  // active -> failed -> active
}

TEST(Notifier, RetriedNotificationKeepsItsPlace) {
  ManualClock clock;
  RecordingSender sender;
  auto options = fast();
  options.max_attempts = 100;
  Notifier notifier(sender, clock, options, nullptr);
  notifier.add("a", {});
  sender.set_failing(true);
  notifier.start();
  notifier.enqueue("a", note(1));
  notifier.enqueue("a", note(2));
  ASSERT_TRUE(eventually([&] { return sender.attempts() >= 3; }));
  sender.set_failing(false);
  auto sent = sender.wait_for(2);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].body, "1");
  EXPECT_EQ(sent[1].body, "2");
}

TEST(Notifier, FullQueueDropsTheOldest) {
  ManualClock clock;
  RecordingSender sender;
  auto options = fast();
  options.queue_limit = 3;
  Notifier notifier(sender, clock, options, nullptr);
  notifier.add("a", {});
  for (int i = 0; i < 10; ++i) notifier.enqueue("a", note(i));  // not started: all wait
  EXPECT_EQ(notifier.stats("a").dropped, 7u);
  notifier.start();
  auto sent = sender.wait_for(3);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].body, "7");
  EXPECT_EQ(sent[2].body, "9");
}

// A receiver that hangs occupies one thread; other subscriptions keep being served.
class HangingSender final : public NotificationSender {
 public:
  Status send(const OutgoingNotification& notification) override {
    if (notification.uri == "http://hang/") {
      std::unique_lock lock(mutex_);
      release_.wait(lock, [&] { return released_; });
      return make_error(ErrorKind::kServiceUnavailable, "timed out");
    }
    ++delivered_;
    return ok_status();
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    release_.notify_all();
  }
  std::atomic<int> delivered_{0};

 private:
  std::mutex mutex_;
  std::condition_variable release_;
  bool released_ = false;
};

TEST(Notifier, HangingReceiverDoesNotStallOthers) {
  ManualClock clock;
  HangingSender sender;
  Notifier notifier(sender, clock, fast(), nullptr);
  notifier.add("slow", {});
  notifier.add("fast", {});
  notifier.start();
  notifier.enqueue("slow", OutgoingNotification{"http://hang/", {}, "x", nullptr, {}});
  notifier.enqueue("slow", OutgoingNotification{"http://hang/", {}, "y", nullptr, {}});
  for (int i = 0; i < 20; ++i) notifier.enqueue("fast", note(i));
  EXPECT_TRUE(eventually([&] { return sender.delivered_ == 20; }));
  sender.release();
}

TEST(Notifier, RemovedSubscriptionGetsNothingMore) {
  ManualClock clock;
  RecordingSender sender;
  Notifier notifier(sender, clock, fast(), nullptr);
  notifier.add("a", {});
  notifier.enqueue("a", note(1));
  notifier.remove("a");
  notifier.enqueue("a", note(2));
  notifier.start();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sender.attempts(), 0u);
}

}  // namespace
}  // namespace citytwin::core
