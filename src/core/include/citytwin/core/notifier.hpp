#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/core/notification_sender.hpp"

namespace citytwin::core {

struct NotifierOptions {
  // Threads delivering notifications. A receiver that hangs holds one of them for at most the
  // sender's timeout (one notification of a subscription is in flight at a time); the others
  // keep serving other subscriptions. Default 16.
  unsigned threads = 16;
  // Notifications waiting per subscription; when full the OLDEST waiting one is dropped (and
  // counted), so a dead receiver costs bounded memory and, when it comes back, gets the most
  // recent changes. Default 1000.
  std::size_t queue_limit = 1000;
  // Delay before the first retry of a failed notification; doubled at each further failure
  // up to retry_max. Defaults 500 ms and 30 s.
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{30000};
  // Attempts per notification (the first one included) before it is dropped; later
  // notifications are still tried (with the backoff), so delivery resumes by itself when the
  // receiver comes back. Default 5.
  unsigned max_attempts = 5;
  // Entities one notification may carry when waiting change notifications of a subscription
  // are joined (OutgoingNotification::Joinable); 1 never joins. Default 1: receivers that
  // read only data[0] exist. A join also stops at 256 KiB of body.
  std::size_t join_limit = 1;
  // Nice value of the threads that make and send notifications (the notifier's and the
  // subscription service's dispatcher): above 0 they yield the CPU to the writes that feed
  // them when both want it, and take what the writes leave. 0 keeps the process's priority.
  unsigned nice = 0;
  // Changes written but not yet dispatched (matched against the subscriptions) that the
  // subscription service holds before a writer reporting one more waits for the dispatcher:
  // the dispatcher yields the CPU to writes (nice above), so under a write load it cannot keep
  // up with, writes slow to its pace instead of its backlog growing without bound. Default
  // 10,000 (a few tens of MB for small entities).
  std::size_t dispatch_backlog = 10000;
};

// What the subscription status reports (clause 5.2.12 timesSent, timesFailed,
// lastNotification, lastSuccess, lastFailure; status "failed").
struct DeliveryStats {
  std::uint64_t times_sent = 0;    // attempts, successful or not
  std::uint64_t times_failed = 0;  // attempts that failed
  std::optional<Instant> last_notification;
  std::optional<Instant> last_success;
  std::optional<Instant> last_failure;
  std::string last_failure_reason;
  bool failing = false;       // the latest attempt failed
  std::uint64_t dropped = 0;  // dropped for the queue limit or after max_attempts (not persisted)
  std::size_t queued = 0;     // waiting or in flight now (reported, not persisted)
};

// Per-subscription delivery queues served by a pool of threads. One notification of a
// subscription is in flight at a time and they go in the order enqueued, so a receiver sees
// a subscription's notifications in order (clause 5.11); a retry keeps its place at the head.
// Subscriptions whose notifications share a lane (NotificationSender::lane(), e.g. one MQTT
// broker connection) are served by one thread at a time, which sends the heads of up to
// kLaneBatch of them in one send_batch(). Thread-safe.
class Notifier {
 public:
  // Called (on a notifier thread, without locks held) when a subscription's `failing` flips,
  // so the caller can persist the status.
  using StatusChanged = std::function<void(const std::string& key, const DeliveryStats& stats)>;

  // A registered subscription's queue, held by whoever enqueues for it often (the
  // subscription service keeps one per subscription) so that enqueue() needs no lookup by key:
  // hashing and comparing the long keys was a tenth of the dispatcher's CPU in
  // bench/subscriptions. A handle outliving remove() only makes enqueue() drop.
  struct Channel;
  using Handle = std::shared_ptr<Channel>;

  Notifier(NotificationSender& sender, const Clock& clock, NotifierOptions options,
           StatusChanged on_status_change);
  ~Notifier();  // stops the threads; waiting notifications are discarded

  void start();
  void stop();

  // Registers a subscription (key: tenant and id) with its persisted statistics; registered
  // already, it keeps its queue and takes `stats`.
  Handle add(const std::string& key, DeliveryStats stats);
  // Forgets it; a notification in flight finishes but is not retried.
  void remove(const std::string& key);
  void enqueue(const std::string& key, OutgoingNotification notification);
  // The same for the subscription of `channel` (from add()); dropped when it was removed.
  void enqueue(const Handle& channel, OutgoingNotification notification);
  // Whether waiting notifications may be joined (join_limit above 1): only then is it worth
  // describing a notification as Joinable.
  bool joins() const { return options_.join_limit > 1; }
  DeliveryStats stats(const std::string& key) const;
  // Every registered key with its statistics.
  std::vector<std::pair<std::string, DeliveryStats>> all_stats() const;
  // Removes and returns every waiting notification (the head first), per key. After stop(),
  // to save them for the next run.
  std::vector<std::pair<std::string, std::vector<OutgoingNotification>>> take_pending();

 private:
  // Channels and lanes waiting are held by pointer, not by key: a key copied into each queue
  // and looked up again to serve it cost an allocation and a hash per notification.
  // A lane (NotificationSender::lane()), looked up by name only when a channel's endpoint
  // changes: each notification then refers to it by pointer, where copying and hashing its
  // name (the broker's URI) per notification was a tenth of the dispatcher's CPU in
  // bench/write_notify_bench. Kept while the Notifier lives (one per broker connection ever
  // used).
  struct Lane {
    std::deque<Handle> waiting;  // channels with a head ready to send in this lane
    bool announced = false;      // in ready_ or being served: one thread serves it at a time
  };
  struct Ready {
    Handle channel;        // a channel to serve on its own, or null for:
    Lane* lane = nullptr;  // a lane to serve
  };
  using SteadyTime = std::chrono::steady_clock::time_point;
  using Lock = std::unique_lock<std::mutex>;
  void work();
  void schedule(const Handle& channel);
  // enqueue() with mutex_ held.
  void enqueue_locked(const Handle& channel, OutgoingNotification notification);
  // Adds `notification`'s entities to the last notification waiting in `channel` when both
  // can be joined (see OutgoingNotification::Joinable); false when it must queue on its own.
  // Needs mutex_.
  bool join_waiting(Channel& channel, OutgoingNotification& notification);
  // Puts a scheduled channel whose backoff has passed in ready_, or with its lane. Needs mutex_.
  void make_ready(const Handle& channel);
  void wake_one();
  // Sends a burst of one channel's notifications (mutex_ held on entry and exit).
  void serve_channel(Lock& lock, Handle channel);
  // Sends batches of the heads of the channels waiting in `lane` (mutex_ held on entry/exit).
  void serve_lane(Lock& lock, Lane& lane);
  // Records the outcome of sending the head `number` of `channel`; true when it left the
  // queue (delivered or given up). Needs mutex_.
  bool settle(Channel& channel, std::uint64_t number, const Status& sent, Instant at);
  std::chrono::milliseconds backoff(unsigned failures) const;

  NotificationSender& sender_;
  const Clock& clock_;
  NotifierOptions options_;
  StatusChanged on_status_change_;

  // The lane of `notification` (null: none), from the channel's cache when its endpoint is the
  // one of the previous notification (NotificationSender::lane() parses the URI). Needs mutex_.
  Lane* lane_of(Channel& channel, const OutgoingNotification& notification);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  // Hashed, not ordered: every notification looks its subscription up here, and the keys
  // ("tenant 0x1F urn:ngsi-ld:Subscription:...") share long prefixes that made the ordered
  // map's comparisons a visible part of bench/subscriptions' profile. Listings sort by key.
  std::unordered_map<std::string, std::shared_ptr<Channel>> channels_;
  std::deque<Ready> ready_;  // channels with a notification to send now, and lanes
  std::unordered_map<std::string, std::unique_ptr<Lane>> lanes_;  // by name
  unsigned idle_ = 0;                                             // threads waiting on wake_
  std::multimap<SteadyTime, Handle> retry_;  // channels waiting for a backoff to pass
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace citytwin::core
