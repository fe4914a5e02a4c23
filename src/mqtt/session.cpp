#include "session.hpp"

#include <algorithm>

namespace citytwin::mqtt {

bool Session::enqueue(Message message, std::size_t limit, std::uint64_t* mark) {
  std::lock_guard lock(mutex_);
  if (owner_ == 0 && message.qos == 0) return false;
  if (queue_.size() >= limit) return false;
  // Written under the lock, so the journal sees a message's put before its erase (the
  // connection may send it and get the PUBACK as soon as it is queued).
  std::uint64_t written = journal_message_locked(message);
  if (mark != nullptr) *mark = written;
  queue_.push_back(std::move(message));
  if (owner_ != 0 && !wake_pending_ && wake_) {
    wake_pending_ = true;
    wake_();
  }
  return true;
}

std::uint64_t Session::journal_message_locked(Message& message) {
  if (message.sequence != 0) {  // restored: already in the journal
    next_sequence_ = std::max(next_sequence_, message.sequence + 1);
    return 0;
  }
  if (journal_ == nullptr || message.qos == 0) return 0;
  message.sequence = next_sequence_++;
  return journal_->put_message(
      client_id_,
      SavedSession::QueuedMessage{message.topic, message.payload ? *message.payload : std::string(),
                                  message.qos, message.retain, message.sequence});
}

void Session::forget_locked(const Message& message) {
  if (journal_ != nullptr && message.sequence != 0) {
    journal_->erase_message(client_id_, message.sequence);
  }
}

SavedSession Session::state_locked() const {
  SavedSession state;
  state.client_id = client_id_;
  state.expiry_s = expiry_seconds_;
  for (const auto& [filter, options] : subscriptions_) {
    state.subscriptions.push_back(
        {filter, options.qos, options.no_local, options.retain_as_published});
  }
  return state;
}

std::uint64_t Session::start_journal(SessionPersistence& journal) {
  std::lock_guard lock(mutex_);
  journal_ = &journal;
  std::uint64_t mark = journal.put_session(state_locked());
  // What the session already holds, in delivery order: in flight first, then queued.
  for (std::uint16_t id : send_order_) {
    auto it = inflight_.find(id);
    // A QoS 2 message past PUBREC is the client's already: only its PUBREL is owed.
    if (it == inflight_.end() || it->second.stage == Stage::kAwaitPubcomp) continue;
    mark = std::max(mark, journal_message_locked(it->second.message));
  }
  for (auto& message : queue_) mark = std::max(mark, journal_message_locked(message));
  return mark;
}

void Session::stop_journal() {
  std::lock_guard lock(mutex_);
  journal_ = nullptr;
}

bool Session::journaled() const {
  std::lock_guard lock(mutex_);
  return journal_ != nullptr;
}

std::uint64_t Session::save_state() {
  std::lock_guard lock(mutex_);
  return journal_ != nullptr ? journal_->put_session(state_locked()) : 0;
}

std::shared_ptr<std::atomic<bool>> Session::defer_will() {
  std::lock_guard lock(mutex_);
  if (deferred_will_cancelled_) deferred_will_cancelled_->store(true);
  deferred_will_cancelled_ = std::make_shared<std::atomic<bool>>(false);
  return deferred_will_cancelled_;
}

void Session::cancel_deferred_will() {
  std::lock_guard lock(mutex_);
  if (deferred_will_cancelled_) deferred_will_cancelled_->store(true);
  deferred_will_cancelled_.reset();
}

void Session::attach(std::uint64_t owner, std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  if (deferred_will_cancelled_) deferred_will_cancelled_->store(true);
  deferred_will_cancelled_.reset();
  owner_ = owner;
  wake_ = std::move(wake);
  wake_pending_ = false;
  detached_at_.reset();
}

bool Session::detach(std::uint64_t owner, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (owner_ != owner) return false;
  owner_ = 0;
  wake_ = nullptr;
  detached_at_ = now;
  // QoS 0 messages are not kept for an offline client.
  std::erase_if(queue_, [](const Message& m) { return m.qos == 0; });
  return true;
}

bool Session::attached() const {
  std::lock_guard lock(mutex_);
  return owner_ != 0;
}

std::uint16_t Session::free_packet_id() {
  while (inflight_.contains(next_packet_id_) || next_packet_id_ == 0) ++next_packet_id_;
  return next_packet_id_++;
}

std::vector<Session::Outgoing> Session::next_batch(std::uint64_t owner, std::size_t inflight_limit,
                                                   std::size_t max_count) {
  std::lock_guard lock(mutex_);
  std::vector<Outgoing> out;
  if (owner != owner_) return out;
  wake_pending_ = false;
  while (!queue_.empty() && out.size() < max_count) {
    Message& front = queue_.front();
    if (front.qos == 0) {
      out.push_back(Outgoing{0, std::move(front), false, false});
      queue_.pop_front();
      continue;
    }
    // Identifiers are 16 bits: never more than 65535 in flight whatever the limit says.
    if (inflight_.size() >= std::min<std::size_t>(inflight_limit, 65535)) break;
    std::uint16_t id = free_packet_id();
    Stage stage = front.qos == 1 ? Stage::kAwaitPuback : Stage::kAwaitPubrec;
    out.push_back(Outgoing{id, front, false, false});
    inflight_.emplace(id, Inflight{std::move(front), stage});
    send_order_.push_back(id);
    queue_.pop_front();
  }
  return out;
}

std::vector<Session::Outgoing> Session::unacknowledged() {
  std::lock_guard lock(mutex_);
  std::vector<Outgoing> out;
  for (std::uint16_t id : send_order_) {
    const Inflight& entry = inflight_.at(id);
    out.push_back(Outgoing{id, entry.message, true, entry.stage == Stage::kAwaitPubcomp});
  }
  return out;
}

bool Session::on_puback(std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  auto it = inflight_.find(packet_id);
  if (it == inflight_.end() || it->second.stage != Stage::kAwaitPuback) return false;
  forget_locked(it->second.message);
  inflight_.erase(it);
  std::erase(send_order_, packet_id);
  return true;
}

bool Session::on_pubrec(std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  auto it = inflight_.find(packet_id);
  if (it == inflight_.end() || it->second.stage == Stage::kAwaitPuback) return false;
  it->second.stage = Stage::kAwaitPubcomp;
  it->second.message.payload.reset();  // only the identifier is needed from here on
  return true;
}

bool Session::on_pubcomp(std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  auto it = inflight_.find(packet_id);
  if (it == inflight_.end() || it->second.stage != Stage::kAwaitPubcomp) return false;
  forget_locked(it->second.message);
  inflight_.erase(it);
  std::erase(send_order_, packet_id);
  return true;
}

void Session::release(std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  auto it = inflight_.find(packet_id);
  if (it == inflight_.end()) return;
  forget_locked(it->second.message);
  inflight_.erase(it);
  std::erase(send_order_, packet_id);
}

std::size_t Session::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::size_t Session::inflight() const {
  std::lock_guard lock(mutex_);
  return inflight_.size();
}

bool Session::inbound_qos2_seen(std::uint16_t packet_id) const {
  std::lock_guard lock(mutex_);
  return inbound_qos2_.contains(packet_id);
}

void Session::remember_inbound_qos2(std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  inbound_qos2_.insert(packet_id);
}

bool Session::forget_inbound_qos2(std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  return inbound_qos2_.erase(packet_id) > 0;
}

std::map<std::string, SubscriptionOptions> Session::subscriptions() const {
  std::lock_guard lock(mutex_);
  return subscriptions_;
}

void Session::set_subscription(const std::string& filter, SubscriptionOptions options) {
  std::lock_guard lock(mutex_);
  subscriptions_[filter] = options;
}

bool Session::remove_subscription(const std::string& filter) {
  std::lock_guard lock(mutex_);
  return subscriptions_.erase(filter) > 0;
}

std::size_t Session::subscription_count() const {
  std::lock_guard lock(mutex_);
  return subscriptions_.size();
}

void Session::set_expiry(std::uint32_t seconds) {
  std::lock_guard lock(mutex_);
  expiry_seconds_ = seconds;
}

std::uint32_t Session::expiry() const {
  std::lock_guard lock(mutex_);
  return expiry_seconds_;
}

bool Session::expired(std::chrono::steady_clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (owner_ != 0 || !detached_at_) return false;
  return now - *detached_at_ >= std::chrono::seconds(expiry_seconds_);
}

}  // namespace citytwin::mqtt
