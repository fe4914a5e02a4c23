#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "citytwin/mqtt/broker.hpp"
#include "message.hpp"

namespace citytwin::mqtt {

// The server side of an MQTT session (MQTT 5.0 clause 4.1): subscriptions, messages queued
// for the client, QoS 1/2 messages sent and not yet acknowledged, and inbound QoS 2 packet
// identifiers awaiting PUBREL. It outlives connections when the session is persistent.
// Thread-safe: routing threads enqueue while the owning connection's thread sends.
class Session {
 public:
  explicit Session(std::string client_id) : client_id_(std::move(client_id)) {}

  const std::string& client_id() const { return client_id_; }

  // --- Called by routing threads -------------------------------------------------------
  // Queues a message (already downgraded to the subscription's QoS). Dropped and false when
  // `limit` messages are already queued, or for QoS 0 while no connection is attached
  // (clause 4.1: only QoS 1 and 2 are kept for an offline client). Wakes the connection.
  // A journaled session journals a QoS 1/2 message and sets `*mark` to the write's mark; a
  // message that already has a sequence (restored from the journal) is not written again.
  bool enqueue(Message message, std::size_t limit, std::uint64_t* mark = nullptr);

  // --- The journal (SessionPersistence) of a persistent session -----------------------------
  // Starts journaling: writes the session's state and every QoS 1/2 message it holds that
  // has no sequence yet; returns the mark of the last write.
  std::uint64_t start_journal(SessionPersistence& journal);
  // Stops journaling (the session ended or is no longer persistent); acknowledgements
  // received after this write nothing.
  void stop_journal();
  bool journaled() const;
  // Writes the session's expiry and subscriptions when journaled; the mark, else 0.
  std::uint64_t save_state();

  // --- Called by the owning connection's thread ------------------------------------------
  // The connection `owner` takes the session; `wake` is called (under the session lock,
  // so it must only schedule work) when a message arrives.
  void attach(std::uint64_t owner, std::function<void()> wake);
  // Releases it when `owner` still holds it; false when another connection took over.
  bool detach(std::uint64_t owner, std::chrono::steady_clock::time_point now);
  bool attached() const;
  // A will waiting for its Will Delay Interval: the returned flag is set when a connection
  // takes the session back (attach) or the session is replaced, and the will is then dropped.
  std::shared_ptr<std::atomic<bool>> defer_will();
  void cancel_deferred_will();

  struct Outgoing {
    std::uint16_t packet_id = 0;  // 0 for QoS 0
    Message message;
    bool dup = false;     // a resend (clause 4.4)
    bool pubrel = false;  // resend PUBREL instead of PUBLISH (QoS 2, PUBREC already received)
  };
  // Moves queued messages out for sending: QoS 1/2 ones only while fewer than
  // `inflight_limit` are unacknowledged, at most `max_count` in all. Empty unless `owner`
  // holds the session (a connection being taken over must not take messages).
  std::vector<Outgoing> next_batch(std::uint64_t owner, std::size_t inflight_limit,
                                   std::size_t max_count);
  // Every unacknowledged message again, in order, for a resumed session (clause 4.4).
  std::vector<Outgoing> unacknowledged();
  // Acknowledgements of outbound messages; false for an unknown packet identifier.
  bool on_puback(std::uint16_t packet_id);   // QoS 1 done
  bool on_pubrec(std::uint16_t packet_id);   // QoS 2: now awaiting PUBCOMP
  bool on_pubcomp(std::uint16_t packet_id);  // QoS 2 done
  // Frees an identifier whose message was discarded (too large for the client, or refused
  // with a PUBREC reason code >= 0x80).
  void release(std::uint16_t packet_id);
  std::size_t queued() const;
  std::size_t inflight() const;

  // Inbound QoS 2 (clause 4.3.3, method B): an identifier is remembered from the first
  // PUBLISH until PUBREL, so a resent PUBLISH is not delivered twice.
  bool inbound_qos2_seen(std::uint16_t packet_id) const;
  void remember_inbound_qos2(std::uint16_t packet_id);
  bool forget_inbound_qos2(std::uint16_t packet_id);

  // Subscriptions, mirrored in the broker's TopicTree.
  std::map<std::string, SubscriptionOptions> subscriptions() const;
  void set_subscription(const std::string& filter, SubscriptionOptions options);
  bool remove_subscription(const std::string& filter);
  std::size_t subscription_count() const;

  // Seconds the session survives its connection (MQTT 5 Session Expiry Interval; 3.1.1
  // clean_session=0 uses the broker's maximum).
  void set_expiry(std::uint32_t seconds);
  std::uint32_t expiry() const;
  // Whether a detached session has outlived its expiry at `now`.
  bool expired(std::chrono::steady_clock::time_point now) const;

 private:
  enum class Stage { kAwaitPuback, kAwaitPubrec, kAwaitPubcomp };
  struct Inflight {
    Message message;
    Stage stage;
  };
  std::uint16_t free_packet_id();
  SavedSession state_locked() const;
  std::uint64_t journal_message_locked(Message& message);
  void forget_locked(const Message& message);

  const std::string client_id_;
  mutable std::mutex mutex_;
  std::deque<Message> queue_;
  std::map<std::uint16_t, Inflight> inflight_;  // ordered by id; resend order is send order
  std::vector<std::uint16_t> send_order_;       // ids in the order they were first sent
  std::set<std::uint16_t> inbound_qos2_;
  std::map<std::string, SubscriptionOptions> subscriptions_;
  std::uint16_t next_packet_id_ = 1;
  std::uint64_t owner_ = 0;  // 0: no connection
  std::function<void()> wake_;
  bool wake_pending_ = false;
  std::uint32_t expiry_seconds_ = 0;
  std::optional<std::chrono::steady_clock::time_point> detached_at_;
  std::shared_ptr<std::atomic<bool>> deferred_will_cancelled_;
  SessionPersistence* journal_ = nullptr;
  std::uint64_t next_sequence_ = 1;
};

}  // namespace citytwin::mqtt
