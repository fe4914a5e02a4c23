#include "citytwin/core/notifier.hpp"

#include <algorithm>

#include "citytwin/common/thread_name.hpp"
#include "citytwin/common/thread_priority.hpp"

namespace citytwin::core {
namespace {
// Notifications one thread sends for a subscription before serving another.
constexpr unsigned kBurst = 32;
// Subscriptions of one lane whose heads go in one send_batch(), and batches a thread sends
// for a lane before serving others.
constexpr std::size_t kLaneBatch = 64;
constexpr unsigned kLaneRounds = 16;
// Body size beyond which waiting notifications are not joined further.
constexpr std::size_t kJoinMaxBytes = 256 * 1024;

// Keeps the completions of joined notifications: the joined one is handled when all are.
struct JoinedCompletions {
  std::shared_ptr<const void> first;
  std::shared_ptr<const void> second;
};

}  // namespace

struct Notifier::Channel {
  std::string key;  // tenant and id, as given to add()
  struct Item {
    std::uint64_t number = 0;
    OutgoingNotification notification;
    Lane* lane = nullptr;  // from NotificationSender::lane() when enqueued; not persisted
  };
  // Shared, so the thread sending the head holds it without copying the notification (and
  // keeps it should remove() clear the queue meanwhile).
  std::deque<std::shared_ptr<Item>> queue;
  std::uint64_t next_number = 0;
  bool in_flight = false;
  bool scheduled = false;  // in ready_ or retry_
  bool removed = false;
  unsigned failures = 0;  // consecutive failures of the head notification
  SteadyTime retry_at{};
  DeliveryStats stats;
  // The endpoint of the latest notification enqueued and its lane (see lane_of).
  std::shared_ptr<const NotificationEndpoint> lane_endpoint;
  Lane* lane = nullptr;
};

Notifier::Notifier(NotificationSender& sender, const Clock& clock, NotifierOptions options,
                   StatusChanged on_status_change)
    : sender_(sender),
      clock_(clock),
      options_(options),
      on_status_change_(std::move(on_status_change)) {
  options_.threads = std::max(1u, options_.threads);
  options_.queue_limit = std::max<std::size_t>(1, options_.queue_limit);
  options_.max_attempts = std::max(1u, options_.max_attempts);
}

Notifier::~Notifier() {
  stop();
}

void Notifier::start() {
  std::lock_guard lock(mutex_);
  if (!threads_.empty()) return;
  for (unsigned i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { work(); });
}

void Notifier::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

Notifier::Handle Notifier::add(const std::string& key, DeliveryStats stats) {
  std::lock_guard lock(mutex_);
  auto& channel = channels_[key];
  if (!channel) {
    channel = std::make_shared<Channel>();
    channel->key = key;
  }
  channel->stats = std::move(stats);
  return channel;
}

void Notifier::remove(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto found = channels_.find(key);
  if (found == channels_.end()) return;
  found->second->removed = true;
  found->second->queue.clear();
  channels_.erase(found);
}

// Puts a channel with work in ready_ (or retry_ while it backs off). Needs mutex_.
void Notifier::schedule(const Handle& channel) {
  if (channel->scheduled || channel->in_flight || channel->queue.empty()) return;
  channel->scheduled = true;
  // No clock read for a channel that never failed (retry_at unset): one per notification.
  if (channel->retry_at != SteadyTime{} && channel->retry_at > std::chrono::steady_clock::now()) {
    retry_.emplace(channel->retry_at, channel);
    wake_one();  // a sleeping thread must learn the new deadline
  } else {
    make_ready(channel);
  }
}

void Notifier::make_ready(const Handle& channel) {
  Lane* lane = channel->queue.front()->lane;
  if (lane == nullptr) {
    ready_.push_back(Ready{channel, nullptr});
    wake_one();
    return;
  }
  lane->waiting.push_back(channel);
  if (!lane->announced) {
    lane->announced = true;
    ready_.push_back(Ready{nullptr, lane});
    wake_one();
  }
}

// A thread that is not waiting looks at ready_ before it waits again, so only a waiting one
// needs the (system call) wake-up.
void Notifier::wake_one() {
  if (idle_ > 0) wake_.notify_one();
}

Notifier::Lane* Notifier::lane_of(Channel& channel, const OutgoingNotification& notification) {
  // The same endpoint object as last time (a subscription's notifications share one): no
  // comparison of the URIs.
  if (channel.lane_endpoint == notification.endpoint && channel.lane_endpoint) return channel.lane;
  static const NotificationEndpoint kNowhere;
  const NotificationEndpoint& last = channel.lane_endpoint ? *channel.lane_endpoint : kNowhere;
  const NotificationEndpoint& next = notification.to();
  if (last.uri != next.uri || last.notifier_info != next.notifier_info) {
    std::string name = sender_.lane(notification);
    if (name.empty()) {
      channel.lane = nullptr;
    } else {
      auto& lane = lanes_[std::move(name)];
      if (!lane) lane = std::make_unique<Lane>();
      channel.lane = lane.get();
    }
  }
  channel.lane_endpoint = notification.endpoint;
  return channel.lane;
}

void Notifier::enqueue(const std::string& key, OutgoingNotification notification) {
  std::lock_guard lock(mutex_);
  auto found = channels_.find(key);
  if (found == channels_.end()) return;
  enqueue_locked(found->second, std::move(notification));
}

void Notifier::enqueue(const Handle& channel, OutgoingNotification notification) {
  if (!channel) return;
  std::lock_guard lock(mutex_);
  enqueue_locked(channel, std::move(notification));
}

void Notifier::enqueue_locked(const Handle& handle, OutgoingNotification notification) {
  if (handle->removed) return;
  Channel& channel = *handle;
  Lane* lane = lane_of(channel, notification);
  if (join_waiting(channel, notification)) return;  // scheduled with the one it joined
  if (channel.queue.size() >= options_.queue_limit) {
    // Drop the oldest waiting notification; the head is not waiting while it is in flight.
    auto oldest = channel.in_flight && channel.queue.size() > 1 ? channel.queue.begin() + 1
                                                                : channel.queue.begin();
    if (!(channel.in_flight && channel.queue.size() == 1)) {
      channel.queue.erase(oldest);
      ++channel.stats.dropped;
      if (oldest == channel.queue.begin()) channel.failures = 0;
    }
  }
  channel.queue.push_back(std::make_shared<Channel::Item>(
      Channel::Item{channel.next_number++, std::move(notification), lane}));
  schedule(handle);
}

bool Notifier::join_waiting(Channel& channel, OutgoingNotification& notification) {
  if (options_.join_limit < 2 || !notification.joinable || channel.queue.empty()) return false;
  // The head is read without the lock while it is in flight: never touched then.
  if (channel.in_flight && channel.queue.size() == 1) return false;
  OutgoingNotification& last = channel.queue.back()->notification;
  if (!last.joinable || last.joinable->trigger != notification.joinable->trigger ||
      !last.same_endpoint(notification)) {
    return false;
  }
  auto& joined = *last.joinable;
  const auto& added = *notification.joinable;
  const std::size_t item_bytes = added.data_end - added.data_begin;
  if (joined.entity_ids.size() + added.entity_ids.size() > options_.join_limit ||
      last.body.size() + item_bytes + 1 > kJoinMaxBytes) {
    return false;
  }
  // An entity twice in one `data` would leave its receiver to guess which state is newer.
  for (const auto& id : added.entity_ids) {
    if (std::find(joined.entity_ids.begin(), joined.entity_ids.end(), id) !=
        joined.entity_ids.end()) {
      return false;
    }
  }
  std::string items;
  items.reserve(item_bytes + 1);
  items += ',';
  items.append(notification.body, added.data_begin, item_bytes);
  last.body.insert(joined.data_end, items);
  joined.data_end += items.size();
  joined.entity_ids.insert(joined.entity_ids.end(), added.entity_ids.begin(),
                           added.entity_ids.end());
  if (notification.completion) {
    last.completion = last.completion
                          ? std::make_shared<const JoinedCompletions>(JoinedCompletions{
                                std::move(last.completion), std::move(notification.completion)})
                          : std::move(notification.completion);
  }
  return true;
}

DeliveryStats Notifier::stats(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto found = channels_.find(key);
  if (found == channels_.end()) return DeliveryStats{};
  DeliveryStats stats = found->second->stats;
  stats.queued = found->second->queue.size();
  return stats;
}

std::vector<std::pair<std::string, DeliveryStats>> Notifier::all_stats() const {
  std::vector<std::pair<std::string, DeliveryStats>> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, channel] : channels_) {
      out.emplace_back(key, channel->stats);
      out.back().second.queued = channel->queue.size();
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::vector<std::pair<std::string, std::vector<OutgoingNotification>>> Notifier::take_pending() {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::vector<OutgoingNotification>>> out;
  for (auto& [key, channel] : channels_) {
    if (channel->queue.empty()) continue;
    std::vector<OutgoingNotification> items;
    for (auto& item : channel->queue) items.push_back(std::move(item->notification));
    channel->queue.clear();
    out.emplace_back(key, std::move(items));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::chrono::milliseconds Notifier::backoff(unsigned failures) const {
  auto delay = options_.retry_initial;
  for (unsigned i = 1; i < failures && delay < options_.retry_max; ++i) delay *= 2;
  return std::min(delay, options_.retry_max);
}

void Notifier::work() {
  name_this_thread("ct-notify");
  lower_this_thread_priority(options_.nice);
  Lock lock(mutex_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    while (!retry_.empty() && retry_.begin()->first <= now) {
      Handle channel = std::move(retry_.begin()->second);
      retry_.erase(retry_.begin());
      if (channel->removed) continue;
      if (channel->queue.empty() || channel->in_flight) {
        channel->scheduled = false;
      } else {
        make_ready(channel);
      }
    }
    if (ready_.empty()) {
      ++idle_;
      if (retry_.empty()) {
        wake_.wait(lock);
      } else {
        // A copy: wait_until keeps reading its deadline while unlocked, and another worker
        // may erase this entry meanwhile (found by AddressSanitizer).
        const auto until = retry_.begin()->first;
        wake_.wait_until(lock, until);
      }
      --idle_;
      continue;
    }
    Ready next = std::move(ready_.front());
    ready_.pop_front();
    if (next.channel) {
      serve_channel(lock, std::move(next.channel));
    } else {
      serve_lane(lock, *next.lane);
    }
  }
}

bool Notifier::settle(Channel& channel, std::uint64_t number, const Status& sent, Instant at) {
  DeliveryStats& stats = channel.stats;
  ++stats.times_sent;
  stats.last_notification = at;
  bool finished = true;
  if (sent.ok()) {
    stats.last_success = at;
    stats.failing = false;
    channel.failures = 0;
    channel.retry_at = {};
  } else {
    ++stats.times_failed;
    stats.last_failure = at;
    stats.last_failure_reason = sent.error().detail;
    stats.failing = true;
    ++channel.failures;
    channel.retry_at = std::chrono::steady_clock::now() + backoff(channel.failures);
    if (channel.failures < options_.max_attempts) {
      finished = false;  // retried later, in its place at the head
    } else {
      ++stats.dropped;
      channel.failures = 0;
    }
  }
  if (finished && !channel.queue.empty() && channel.queue.front()->number == number) {
    channel.queue.pop_front();
  }
  return finished;
}

void Notifier::serve_channel(Lock& lock, Handle channel) {
  if (channel->removed) return;
  channel->scheduled = false;
  if (channel->in_flight || channel->queue.empty()) return;
  channel->in_flight = true;
  bool was_failing = channel->stats.failing;
  // While the receiver keeps answering, send a burst of the channel's notifications before
  // giving the thread to another subscription: a busy subscription drains quickly and the
  // others still get a turn.
  for (unsigned burst = 0; burst < kBurst && !stopping_; ++burst) {
    std::shared_ptr<const Channel::Item> item = channel->queue.front();
    lock.unlock();
    Status sent = sender_.send(item->notification);
    Instant at = clock_.now();
    lock.lock();
    if (channel->removed) break;
    settle(*channel, item->number, sent, at);
    if (!sent.ok() || channel->queue.empty()) break;
    // An endpoint changed to one with a lane: the rest goes with that lane.
    if (channel->queue.front()->lane != nullptr) break;
  }
  channel->in_flight = false;
  if (channel->removed) return;
  const DeliveryStats& stats = channel->stats;
  schedule(channel);
  if (was_failing != stats.failing && on_status_change_) {
    DeliveryStats snapshot = stats;
    lock.unlock();
    on_status_change_(channel->key, snapshot);
    lock.lock();
  }
}

void Notifier::serve_lane(Lock& lock, Lane& lane) {
  struct Taken {
    Handle channel;
    std::shared_ptr<const Channel::Item> item;
    bool was_failing = false;
  };
  std::vector<std::pair<std::string, DeliveryStats>> status_changes;
  for (unsigned round = 0; round < kLaneRounds && !stopping_; ++round) {
    if (lane.waiting.empty()) break;
    std::vector<Taken> taken;
    while (!lane.waiting.empty() && taken.size() < kLaneBatch) {
      Handle channel = std::move(lane.waiting.front());
      lane.waiting.pop_front();
      if (channel->removed) continue;
      channel->scheduled = false;
      if (channel->in_flight || channel->queue.empty()) continue;
      if (channel->queue.front()->lane != &lane) {
        schedule(channel);  // its endpoint changed: it belongs elsewhere now
        continue;
      }
      channel->in_flight = true;
      taken.push_back(Taken{channel, channel->queue.front(), channel->stats.failing});
    }
    if (taken.empty()) continue;
    lock.unlock();
    std::vector<const OutgoingNotification*> batch;
    batch.reserve(taken.size());
    for (const auto& item : taken) batch.push_back(&item.item->notification);
    std::vector<Status> sent = sender_.send_batch(batch);
    Instant at = clock_.now();
    lock.lock();
    for (std::size_t i = 0; i < taken.size(); ++i) {
      Channel& channel = *taken[i].channel;
      channel.in_flight = false;
      if (channel.removed) continue;
      Status status = i < sent.size() ? sent[i]
                                      : Status(make_error(ErrorKind::kServiceUnavailable,
                                                          "the sender gave no answer for it"));
      settle(channel, taken[i].item->number, status, at);
      schedule(taken[i].channel);
      if (taken[i].was_failing != channel.stats.failing && on_status_change_) {
        status_changes.emplace_back(channel.key, channel.stats);
      }
    }
  }
  // Released: another thread takes the lane up again if work is left (behind what is
  // already ready, so other subscriptions get their turn).
  lane.announced = !lane.waiting.empty();
  if (lane.announced) {
    ready_.push_back(Ready{nullptr, &lane});
    wake_one();
  }
  if (!status_changes.empty()) {
    lock.unlock();
    for (const auto& [key, stats] : status_changes) on_status_change_(key, stats);
    lock.lock();
  }
}

}  // namespace citytwin::core
