#pragma once

// A SessionPersistence for unit tests: what it holds is what a crash would leave on disk
// (every write, as it is made), so a broker started from a copy taken while another runs
// sees what a restart after kill -9 would. After hold(), when_durable() callbacks wait
// until release(), to check that acknowledgements wait for the journal.
#include <map>
#include <mutex>

#include "citytwin/mqtt/broker.hpp"

namespace citytwin::mqtt {

class TestSessionJournal : public SessionPersistence {
 public:
  TestSessionJournal() = default;
  TestSessionJournal(const TestSessionJournal& other) {
    std::lock_guard lock(other.mutex_);
    sessions_ = other.sessions_;
    messages_ = other.messages_;
    mark_ = other.mark_;
  }

  Result<std::vector<SavedSession>> load() override {
    std::lock_guard lock(mutex_);
    std::vector<SavedSession> out;
    for (auto [client_id, session] : sessions_) {
      for (const auto& [sequence, message] : messages_[client_id]) {
        session.messages.push_back(message);
      }
      out.push_back(std::move(session));
    }
    return out;
  }
  std::uint64_t put_session(const SavedSession& session) override {
    std::lock_guard lock(mutex_);
    sessions_[session.client_id] = session;
    return ++mark_;
  }
  std::uint64_t erase_session(const std::string& client_id) override {
    std::lock_guard lock(mutex_);
    sessions_.erase(client_id);
    messages_.erase(client_id);
    return ++mark_;
  }
  std::uint64_t put_message(const std::string& client_id,
                            const SavedSession::QueuedMessage& message) override {
    std::lock_guard lock(mutex_);
    messages_[client_id][message.sequence] = message;
    return ++mark_;
  }
  void erase_message(const std::string& client_id, std::uint64_t sequence) override {
    std::lock_guard lock(mutex_);
    messages_[client_id].erase(sequence);
    ++mark_;
  }
  void when_durable(std::uint64_t mark, std::function<void(Status)> done) override {
    std::unique_lock lock(mutex_);
    ++waits_;
    if (holding_) {
      held_.push_back(std::move(done));
      return;
    }
    lock.unlock();
    (void)mark;
    done(ok_status());
  }
  Status flush() override { return ok_status(); }

  void hold() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  // Answers the callbacks held so far with `status` (later ones are held too).
  void release(Status status = ok_status()) {
    std::vector<std::function<void(Status)>> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    for (auto& done : held) done(status);
  }
  std::size_t held() const {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  std::size_t waits() const {
    std::lock_guard lock(mutex_);
    return waits_;
  }
  std::size_t sessions() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
  }
  std::size_t messages(const std::string& client_id) const {
    std::lock_guard lock(mutex_);
    auto it = messages_.find(client_id);
    return it == messages_.end() ? 0 : it->second.size();
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, SavedSession> sessions_;
  std::map<std::string, std::map<std::uint64_t, SavedSession::QueuedMessage>> messages_;
  std::uint64_t mark_ = 0;
  bool holding_ = false;
  std::vector<std::function<void(Status)>> held_;
  std::size_t waits_ = 0;
};

}  // namespace citytwin::mqtt
