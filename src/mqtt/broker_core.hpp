#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "broker_stats.hpp"
#include "citytwin/mqtt/broker.hpp"
#include "session.hpp"
#include "topic_tree.hpp"

namespace citytwin::mqtt {

// State shared by every connection: sessions by client id, the subscription trie and the
// retained messages. Thread-safe (one mutex; session queues have their own locks, taken
// after this one and never the other way round).
class BrokerCore {
 public:
  // `journal`, when given, keeps persistent sessions durable (SessionPersistence).
  BrokerCore(const BrokerOptions& options, BrokerHooks& hooks,
             SessionPersistence* journal = nullptr)
      : options_(options), hooks_(hooks), journal_(journal) {}

  const BrokerOptions& options() const { return options_; }
  BrokerHooks& hooks() { return hooks_; }
  BrokerStats& stats() { return stats_; }

  struct Attached {
    std::shared_ptr<Session> session;
    bool present = false;  // an existing session was resumed (CONNACK Session Present)
    // The journal write CONNACK must wait for (a new persistent session, a changed expiry,
    // a discarded persistent session); 0 when nothing was written.
    std::uint64_t journal_mark = 0;
  };
  // Gives `client_id`'s session to connection `owner` (clause 3.1.2.4 Clean Start): a
  // connection already holding it is told to go with `evict` of that connection (session
  // takeover, clause 3.1.4); clean_start or no session yet starts a new one.
  Attached attach(const std::string& client_id, bool clean_start, std::uint32_t expiry_seconds,
                  std::uint64_t owner, std::function<void()> wake, std::function<void()> evict);
  // The connection `owner` ended; the session ends too when its expiry is 0.
  void detach(const std::shared_ptr<Session>& session, std::uint64_t owner);

  // Stores or clears the retained message when asked to, then queues the message for
  // every matching subscription, once per client at the highest matching QoS (clause
  // 3.3.4), downgraded to the subscription's QoS. Returns the journal mark to wait for
  // before acknowledging the message (it went to a persistent session), else 0.
  std::uint64_t route(const Message& message);
  // A session's new expiry (MQTT 5 DISCONNECT), journaled when the session is; returns the
  // mark, or 0.
  std::uint64_t set_expiry(Session& session, std::uint32_t seconds);
  // Calls `done` once journal writes up to `mark` are durable (at once without a journal).
  void when_durable(std::uint64_t mark, std::function<void(Status)> done);

  struct Subscribed {
    std::uint8_t code = 0;  // granted QoS or a failure reason code
    bool is_new = false;
  };
  Subscribed subscribe(Session& session, const std::string& filter, SubscriptionOptions options);
  // Queues the retained messages that match a new subscription (clause 3.3.1.3 and the
  // Retain Handling option, 3.8.3.1).
  void send_retained(Session& session, const std::string& filter, SubscriptionOptions options);
  bool unsubscribe(Session& session, const std::string& filter);

  // Ends detached sessions whose expiry has passed.
  void sweep(std::chrono::steady_clock::time_point now);

  // Restores a persistent session from the journal (detached) at start.
  void restore(const SavedSession& saved);

  std::size_t session_count() const;
  std::size_t retained_count() const;
  std::size_t subscription_count() const;

 private:
  struct SessionEntry {
    std::shared_ptr<Session> session;
    std::uint64_t owner = 0;
    std::function<void()> evict;
  };
  // Returns the mark of the journal write that removed a persistent session, or 0.
  std::uint64_t end_session_locked(const std::string& client_id);
  bool enqueue_to(Session& session, Message message, std::uint64_t* mark = nullptr);
  // Journals the session when it is persistent now, stops when it no longer is.
  std::uint64_t update_journal(Session& session);

  const BrokerOptions& options_;
  BrokerHooks& hooks_;
  SessionPersistence* journal_;
  BrokerStats stats_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, SessionEntry> sessions_;
  TopicTree tree_;
  std::unordered_map<std::string, Message> retained_;
};

}  // namespace citytwin::mqtt
