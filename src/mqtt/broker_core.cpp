#include "broker_core.hpp"

#include <algorithm>
#include <vector>

#include "citytwin/mqtt/topic.hpp"

namespace citytwin::mqtt {

Properties forwarded_properties(const Properties& in) {
  Properties out;
  out.payload_format_indicator = in.payload_format_indicator;
  out.message_expiry_interval = in.message_expiry_interval;
  out.content_type = in.content_type;
  out.response_topic = in.response_topic;
  out.correlation_data = in.correlation_data;
  out.user_properties = in.user_properties;
  return out;
}

BrokerCore::Attached BrokerCore::attach(const std::string& client_id, bool clean_start,
                                        std::uint32_t expiry_seconds, std::uint64_t owner,
                                        std::function<void()> wake, std::function<void()> evict) {
  std::lock_guard lock(mutex_);
  Attached out;
  auto it = sessions_.find(client_id);
  if (it != sessions_.end() && it->second.owner != 0 && it->second.evict) it->second.evict();
  if (it != sessions_.end() && clean_start) {
    it->second.session->cancel_deferred_will();  // the client is back before the delay
    out.journal_mark = end_session_locked(client_id);
    it = sessions_.end();
  }
  if (it == sessions_.end()) {
    it = sessions_.emplace(client_id, SessionEntry{std::make_shared<Session>(client_id), 0, {}})
             .first;
  } else {
    out.present = true;
  }
  SessionEntry& entry = it->second;
  entry.owner = owner;
  entry.evict = std::move(evict);
  Session& session = *entry.session;
  bool expiry_changed = session.expiry() != expiry_seconds;
  session.set_expiry(expiry_seconds);
  session.attach(owner, std::move(wake));
  std::uint64_t mark = update_journal(session);
  if (mark == 0 && expiry_changed) mark = session.save_state();
  out.journal_mark = std::max(out.journal_mark, mark);
  out.session = entry.session;
  return out;
}

std::uint64_t BrokerCore::update_journal(Session& session) {
  if (journal_ == nullptr) return 0;
  bool persistent = session.expiry() > 0;
  if (persistent && !session.journaled()) return session.start_journal(*journal_);
  if (!persistent && session.journaled()) {
    session.stop_journal();
    return journal_->erase_session(session.client_id());
  }
  return 0;
}

std::uint64_t BrokerCore::set_expiry(Session& session, std::uint32_t seconds) {
  std::lock_guard lock(mutex_);
  bool changed = session.expiry() != seconds;
  session.set_expiry(seconds);
  std::uint64_t mark = update_journal(session);
  return mark == 0 && changed ? session.save_state() : mark;
}

void BrokerCore::when_durable(std::uint64_t mark, std::function<void(Status)> done) {
  if (journal_ == nullptr || mark == 0) {
    done(ok_status());
    return;
  }
  journal_->when_durable(mark, std::move(done));
}

void BrokerCore::detach(const std::shared_ptr<Session>& session, std::uint64_t owner) {
  std::lock_guard lock(mutex_);
  if (!session->detach(owner, std::chrono::steady_clock::now())) return;  // taken over
  auto it = sessions_.find(session->client_id());
  if (it == sessions_.end() || it->second.session != session) return;
  it->second.owner = 0;
  it->second.evict = nullptr;
  if (session->expiry() == 0) end_session_locked(session->client_id());
}

std::uint64_t BrokerCore::end_session_locked(const std::string& client_id) {
  auto it = sessions_.find(client_id);
  if (it == sessions_.end()) return 0;
  Session& session = *it->second.session;
  std::uint64_t mark = 0;
  if (session.journaled()) {
    // Stopped first: a late acknowledgement on the old session must not erase a message of
    // a new session of the same client (sequences restart with it).
    session.stop_journal();
    mark = journal_->erase_session(client_id);
  }
  for (const auto& [filter, options] : session.subscriptions()) tree_.remove(filter, client_id);
  sessions_.erase(it);
  return mark;
}

bool BrokerCore::enqueue_to(Session& session, Message message, std::uint64_t* mark) {
  if (session.enqueue(std::move(message), options_.session_queue_limit, mark)) return true;
  stats_.messages_dropped.fetch_add(1, std::memory_order_relaxed);
  return false;
}

std::uint64_t BrokerCore::route(const Message& message) {
  struct Target {
    std::shared_ptr<Session> session;
    SubscriptionOptions options;
  };
  std::vector<Target> targets;
  {
    std::lock_guard lock(mutex_);
    if (message.retain) {
      // A retained message with an empty payload clears the topic (clause 3.3.1.3).
      if (!message.payload || message.payload->empty()) {
        retained_.erase(message.topic);
      } else if (retained_.size() < options_.max_retained || retained_.contains(message.topic)) {
        retained_.insert_or_assign(message.topic, message);
      } else {
        stats_.retained_refused.fetch_add(1, std::memory_order_relaxed);
      }
    }
    std::unordered_map<std::string, std::size_t> by_client;
    tree_.match(message.topic, [&](const std::string& client_id, const SubscriptionOptions& o) {
      // No Local: not back to the client that published it (MQTT 5.0 clause 3.8.3.1).
      if (o.no_local && client_id == message.origin_client_id) return;
      auto [slot, inserted] = by_client.emplace(client_id, targets.size());
      if (inserted) {
        auto session = sessions_.find(client_id);
        if (session == sessions_.end()) return;
        targets.push_back(Target{session->second.session, o});
        return;
      }
      if (slot->second < targets.size()) {
        SubscriptionOptions& best = targets[slot->second].options;
        best.qos = std::max(best.qos, o.qos);
        best.retain_as_published = best.retain_as_published || o.retain_as_published;
      }
    });
  }
  std::uint64_t mark = 0;
  for (auto& target : targets) {
    Message copy = message;
    copy.qos = std::min(message.qos, target.options.qos);
    // Forwarded messages carry RETAIN 0 unless Retain As Published ([MQTT-3.3.1-12]).
    copy.retain = target.options.retain_as_published && message.retain;
    std::uint64_t written = 0;
    enqueue_to(*target.session, std::move(copy), &written);
    mark = std::max(mark, written);
  }
  return mark;
}

BrokerCore::Subscribed BrokerCore::subscribe(Session& session, const std::string& filter,
                                             SubscriptionOptions options) {
  std::lock_guard lock(mutex_);
  Subscribed out;
  bool known = session.subscriptions().contains(filter);
  if (!known && session.subscription_count() >= options_.max_subscriptions_per_session) {
    out.code = reason::kQuotaExceeded;
    return out;
  }
  session.set_subscription(filter, options);
  tree_.add(filter, session.client_id(), options);
  out.code = options.qos;
  out.is_new = !known;
  return out;
}

void BrokerCore::send_retained(Session& session, const std::string& filter,
                               SubscriptionOptions options) {
  std::vector<Message> matching;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [topic, message] : retained_) {
      if (topic_matches(filter, topic)) matching.push_back(message);
    }
  }
  for (auto& message : matching) {
    message.qos = std::min(message.qos, options.qos);
    message.retain = true;  // sent because of a new subscription ([MQTT-3.3.1-9])
    enqueue_to(session, std::move(message));
  }
}

bool BrokerCore::unsubscribe(Session& session, const std::string& filter) {
  std::lock_guard lock(mutex_);
  bool existed = session.remove_subscription(filter);
  tree_.remove(filter, session.client_id());
  return existed;
}

void BrokerCore::sweep(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> expired;
  for (const auto& [client_id, entry] : sessions_) {
    if (entry.owner == 0 && entry.session->expired(now)) expired.push_back(client_id);
  }
  for (const auto& client_id : expired) end_session_locked(client_id);
}

void BrokerCore::restore(const SavedSession& saved) {
  auto session = std::make_shared<Session>(saved.client_id);
  session->set_expiry(std::min(saved.expiry_s, options_.session_expiry_max_s));
  // Detached from the start: the expiry runs from the restart, as if the client had just
  // gone away (the downtime is not counted against it).
  session->detach(0, std::chrono::steady_clock::now());
  {
    std::lock_guard lock(mutex_);
    if (sessions_.contains(saved.client_id)) return;
    sessions_.emplace(saved.client_id, SessionEntry{session, 0, {}});
  }
  for (const auto& subscription : saved.subscriptions) {
    if (!valid_topic_filter(subscription.filter)) continue;
    subscribe(*session, subscription.filter,
              SubscriptionOptions{subscription.qos, subscription.no_local,
                                  subscription.retain_as_published});
  }
  for (const auto& queued : saved.messages) {
    Message message;
    message.topic = queued.topic;
    message.payload = std::make_shared<const std::string>(queued.payload);
    message.qos = queued.qos;
    message.retain = queued.retain;
    message.sequence = queued.sequence;
    if (!enqueue_to(*session, std::move(message)) && journal_ != nullptr && queued.sequence != 0) {
      journal_->erase_message(saved.client_id, queued.sequence);  // over a lowered limit
    }
  }
  // Rewrites the session's record, and journals messages saved without a sequence by a
  // version that wrote sessions only at a clean stop.
  if (journal_ != nullptr) session->start_journal(*journal_);
}

std::size_t BrokerCore::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::size_t BrokerCore::retained_count() const {
  std::lock_guard lock(mutex_);
  return retained_.size();
}

std::size_t BrokerCore::subscription_count() const {
  std::lock_guard lock(mutex_);
  return tree_.size();
}

}  // namespace citytwin::mqtt
