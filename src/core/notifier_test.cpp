// Delivery queues: order, retries with backoff, failed status and recovery, bounded queues.
#include "citytwin/core/notifier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "subscription_test_support.hpp"

namespace citytwin::core {
namespace {
using namespace std::chrono_literals;
using testing::ManualClock;
using testing::RecordingSender;

OutgoingNotification note(int n) {
  return OutgoingNotification{make_endpoint("http://h/x"), std::to_string(n), nullptr, {}};
}

NotifierOptions fast() {
  NotifierOptions options;
  options.join_limit = 100;
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
    if (notification.uri() == "http://hang/") {
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
  notifier.enqueue("slow", OutgoingNotification{make_endpoint("http://hang/"), "x", nullptr, {}});
  notifier.enqueue("slow", OutgoingNotification{make_endpoint("http://hang/"), "y", nullptr, {}});
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

// A handle from add() enqueues without a lookup by key; after remove() it only drops, and the
// key registered again gets a queue of its own.
TEST(Notifier, HandlesEnqueueUntilTheirSubscriptionIsRemoved) {
  ManualClock clock;
  RecordingSender sender;
  Notifier notifier(sender, clock, fast(), nullptr);
  Notifier::Handle first = notifier.add("a", {});
  EXPECT_EQ(notifier.add("a", {}), first);  // registered already: the same queue
  notifier.start();
  for (int i = 0; i < 10; ++i) notifier.enqueue(first, note(i));
  auto sent = sender.wait_for(10);
  ASSERT_EQ(sent.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(sent[i].body, std::to_string(i));
  notifier.remove("a");
  notifier.enqueue(first, note(10));
  Notifier::Handle second = notifier.add("a", {});
  EXPECT_NE(second, first);
  notifier.enqueue(second, note(11));
  sent = sender.wait_for(11);
  std::this_thread::sleep_for(50ms);
  sent = sender.wait_for(11);
  ASSERT_EQ(sent.size(), 11u);
  EXPECT_EQ(sent[10].body, "11");
  notifier.enqueue(Notifier::Handle(), note(12));  // a null handle: nothing
}

}  // namespace
}  // namespace citytwin::core

namespace citytwin::core {
namespace {

// Every notification in one lane; the first attempt at each body in `fail_once` fails.
class LaneSender final : public NotificationSender {
 public:
  explicit LaneSender(std::set<std::string> fail_once) : fail_once_(std::move(fail_once)) {}
  Status send(const OutgoingNotification&) override {
    std::lock_guard lock(mutex_);
    ++single_sends_;
    return make_error(ErrorKind::kServiceUnavailable, "lane notifications go in batches");
  }
  std::string lane(const OutgoingNotification&) override { return "broker"; }
  std::vector<Status> send_batch(const std::vector<const OutgoingNotification*>& batch) override {
    std::lock_guard lock(mutex_);
    std::vector<Status> statuses;
    for (const auto* notification : batch) {
      if (fail_once_.erase(notification->body) > 0) {
        statuses.push_back(make_error(ErrorKind::kServiceUnavailable, "refused once"));
      } else {
        delivered_.push_back(notification->body);
        statuses.push_back(ok_status());
      }
    }
    return statuses;
  }
  std::vector<std::string> delivered() const {
    std::lock_guard lock(mutex_);
    return delivered_;
  }
  int single_sends() const {
    std::lock_guard lock(mutex_);
    return single_sends_;
  }

 private:
  mutable std::mutex mutex_;
  std::set<std::string> fail_once_;
  std::vector<std::string> delivered_;
  int single_sends_ = 0;
};

// Subscriptions sharing a lane are sent in batches; each keeps its order, a failed head is
// retried in its place, and the statistics count every attempt.
TEST(Notifier, LaneBatchesKeepEachSubscriptionsOrder) {
  ManualClock clock;
  LaneSender sender({"b:3", "c:0"});
  Notifier notifier(sender, clock, fast(), nullptr);
  const std::vector<std::string> keys{"a", "b", "c"};
  for (const auto& key : keys) notifier.add(key, {});
  notifier.start();
  for (int i = 0; i < 40; ++i) {
    for (const auto& key : keys) {
      notifier.enqueue(
          key, OutgoingNotification{
                   make_endpoint("mqtt://h/t"), key + ":" + std::to_string(i), nullptr, {}});
    }
  }
  ASSERT_TRUE(eventually([&] { return sender.delivered().size() == 120; }));
  std::map<std::string, std::vector<int>> order;
  for (const auto& body : sender.delivered()) {
    order[body.substr(0, 1)].push_back(std::stoi(body.substr(2)));
  }
  for (const auto& key : keys) {
    ASSERT_EQ(order[key].size(), 40u) << key;
    for (int i = 0; i < 40; ++i) EXPECT_EQ(order[key][i], i) << key;
  }
  EXPECT_EQ(sender.single_sends(), 0);
  ASSERT_TRUE(eventually([&] { return notifier.stats("b").times_sent == 41; }));
  EXPECT_EQ(notifier.stats("b").times_failed, 1u);
  EXPECT_FALSE(notifier.stats("b").failing);
  EXPECT_EQ(notifier.stats("a").times_failed, 0u);
}

// Joining waiting change notifications (OutgoingNotification::Joinable).

OutgoingNotification change_note(const std::string& entity, const std::string& trigger = "u",
                                 const std::string& uri = "http://h/x") {
  OutgoingNotification out{
      make_endpoint(uri), R"({"id":"n-)" + entity + R"(","data":[)", nullptr, {}};
  const std::size_t begin = out.body.size();
  out.body += R"({"id":")" + entity + R"("})";
  const std::size_t end = out.body.size();
  out.body += R"(],"triggerReason":")" + trigger + R"("})";
  out.joinable = OutgoingNotification::Joinable{begin, end, {entity}, trigger};
  return out;
}

TEST(NotifierJoin, WaitingChangeNotificationsLeaveAsOneInOrder) {
  ManualClock clock;
  RecordingSender sender;
  Notifier notifier(sender, clock, fast(), nullptr);
  notifier.add("a", {});
  for (const char* id : {"e1", "e2", "e3"}) notifier.enqueue("a", change_note(id));
  EXPECT_EQ(notifier.stats("a").queued, 1u);
  notifier.start();
  auto sent = sender.wait_for(1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].body,
            R"({"id":"n-e1","data":[{"id":"e1"},{"id":"e2"},{"id":"e3"}],"triggerReason":"u"})");
  EXPECT_TRUE(eventually([&] { return notifier.stats("a").times_sent == 1; }));
}

TEST(NotifierJoin, OnlyAlikeDistinctEntitiesUpToTheLimitJoin) {
  ManualClock clock;
  RecordingSender sender;
  auto options = fast();
  options.join_limit = 3;
  Notifier notifier(sender, clock, options, nullptr);
  notifier.add("a", {});
  for (const char* id : {"e1", "e2", "e3", "e4"}) notifier.enqueue("a", change_note(id));
  notifier.enqueue("a", change_note("e4"));                       // the same entity again
  notifier.enqueue("a", change_note("e5", "other"));              // another trigger reason
  notifier.enqueue("a", change_note("e6", "other", "http://y"));  // another endpoint
  notifier.enqueue("a", note(7));                                 // not joinable
  notifier.enqueue("a", change_note("e8", "other", "http://y"));
  notifier.start();
  auto sent = sender.wait_for(7);
  ASSERT_EQ(sent.size(), 7u);
  EXPECT_EQ(sent[0].body,
            R"({"id":"n-e1","data":[{"id":"e1"},{"id":"e2"},{"id":"e3"}],"triggerReason":"u"})");
  EXPECT_EQ(sent[1].body, R"({"id":"n-e4","data":[{"id":"e4"}],"triggerReason":"u"})");
  EXPECT_EQ(sent[2].body, R"({"id":"n-e4","data":[{"id":"e4"}],"triggerReason":"u"})");
  EXPECT_EQ(sent[3].body, R"({"id":"n-e5","data":[{"id":"e5"}],"triggerReason":"other"})");
  EXPECT_EQ(sent[4].uri(), "http://y");
  EXPECT_EQ(sent[5].body, "7");
  EXPECT_EQ(sent[6].body, R"({"id":"n-e8","data":[{"id":"e8"}],"triggerReason":"other"})");
}

TEST(NotifierJoin, ALimitOfOneNeverJoins) {
  ManualClock clock;
  RecordingSender sender;
  auto options = fast();
  options.join_limit = 1;
  Notifier notifier(sender, clock, options, nullptr);
  notifier.add("a", {});
  for (const char* id : {"e1", "e2"}) notifier.enqueue("a", change_note(id));
  notifier.start();
  auto sent = sender.wait_for(2);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].body, R"({"id":"n-e2","data":[{"id":"e2"}],"triggerReason":"u"})");
}

TEST(NotifierJoin, EveryJoinedCompletionIsReleasedOnDelivery) {
  ManualClock clock;
  RecordingSender sender;
  Notifier notifier(sender, clock, fast(), nullptr);
  notifier.add("a", {});
  std::vector<std::weak_ptr<const void>> watched;
  for (const char* id : {"e1", "e2", "e3"}) {
    auto notification = change_note(id);
    auto completion = std::make_shared<int>(0);
    watched.push_back(completion);
    notification.completion = std::move(completion);
    notifier.enqueue("a", std::move(notification));
  }
  for (const auto& w : watched) EXPECT_FALSE(w.expired());
  notifier.start();
  ASSERT_EQ(sender.wait_for(1).size(), 1u);
  EXPECT_TRUE(eventually([&] {
    return std::all_of(watched.begin(), watched.end(), [](const auto& w) { return w.expired(); });
  }));
}

// The notification being sent is read without the notifier's lock: what arrives meanwhile
// joins the ones behind it, never it.
class GateSender final : public NotificationSender {
 public:
  Status send(const OutgoingNotification& notification) override {
    std::unique_lock lock(mutex_);
    entered_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    bodies_.push_back(notification.body);
    changed_.notify_all();
    return ok_status();
  }
  void wait_entered() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return entered_; });
  }
  std::vector<std::string> open_and_wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    open_ = true;
    changed_.notify_all();
    changed_.wait_for(lock, std::chrono::seconds(5), [&] { return bodies_.size() >= count; });
    return bodies_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool entered_ = false;
  bool open_ = false;
  std::vector<std::string> bodies_;
};

TEST(NotifierJoin, TheNotificationInFlightIsNeverJoined) {
  ManualClock clock;
  GateSender sender;
  Notifier notifier(sender, clock, fast(), nullptr);
  notifier.add("a", {});
  notifier.start();
  notifier.enqueue("a", change_note("e1"));
  sender.wait_entered();
  notifier.enqueue("a", change_note("e2"));
  notifier.enqueue("a", change_note("e3"));
  auto bodies = sender.open_and_wait_for(2);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0], R"({"id":"n-e1","data":[{"id":"e1"}],"triggerReason":"u"})");
  EXPECT_EQ(bodies[1], R"({"id":"n-e2","data":[{"id":"e2"},{"id":"e3"}],"triggerReason":"u"})");
}

}  // namespace
}  // namespace citytwin::core
