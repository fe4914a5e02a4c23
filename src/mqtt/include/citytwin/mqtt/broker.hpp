#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/metrics.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/mqtt/packet.hpp"

namespace citytwin::mqtt {

struct BrokerOptions {
  // Address to listen on; port 0 picks a free port (see Broker::port()). Default
  // 127.0.0.1:1883, the IANA port of unencrypted MQTT.
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  // Event loops, each run by one thread; connections are spread over them. Default 1.
  unsigned threads = 1;
  // Largest packet accepted, fixed header included. A larger one closes the connection
  // (MQTT 5: DISCONNECT 0x95 first) and is counted. Advertised to MQTT 5 clients as Maximum
  // Packet Size. Default 1 MiB.
  std::size_t max_packet_bytes = 1024 * 1024;
  // Inbound PUBLISH packets of one connection waiting for BrokerHooks::on_publish to finish.
  // At this many the broker stops reading that connection until one finishes (back-pressure;
  // memory per connection stays bounded). Advertised to MQTT 5 clients as Receive Maximum.
  // Default 64.
  std::uint16_t max_inflight = 64;
  // Outbound QoS 1/2 messages sent to one client and not yet acknowledged; lowered to the
  // client's MQTT 5 Receive Maximum. Default 64.
  std::uint16_t max_outbound_inflight = 64;
  // Messages queued for one session beyond those in flight (offline persistent sessions and
  // slow readers); past it new messages for that session are dropped and counted.
  // Default 1000.
  std::size_t session_queue_limit = 1000;
  // Longest keep-alive accepted, in seconds; MQTT 5 clients asking for more (or for none)
  // are told this value with Server Keep Alive. 0: no limit. 3.1.1 clients cannot be told,
  // so their own value is enforced. Default 0.
  std::uint16_t keep_alive_max = 0;
  // How long a new connection may take to send CONNECT. Default 10 s.
  std::chrono::milliseconds connect_timeout{10000};
  // Longest a persistent session survives its connection: caps the MQTT 5 Session Expiry
  // Interval and is the expiry of 3.1.1 clean_session=0 sessions. Default 7 days.
  std::uint32_t session_expiry_max_s = 7 * 24 * 3600;
  // Connections accepted at once; more are closed right after accept. Default 10000.
  std::size_t max_connections = 10000;
  // Subscriptions one session may hold; more are refused in SUBACK (0x97 / 0x80).
  // Default 1000.
  std::size_t max_subscriptions_per_session = 1000;
  // Topic aliases an MQTT 5 client may define on one connection (Topic Alias Maximum).
  // Default 64.
  std::uint16_t topic_alias_max = 64;
  // Retained messages kept (one per topic); a new topic past this is not retained (the
  // message is still delivered) and counted. Default 100000.
  std::size_t max_retained = 100000;
  // Bytes waiting in a connection's socket buffer before the broker stops taking more
  // messages out of its session queue (slow readers fill their bounded queue, not memory).
  // Default 1 MiB.
  std::size_t write_buffer_bytes = 1024 * 1024;
  // Inbound PUBLISH packets one connection may send per second, and the burst allowed above
  // it (0: the rate). Over it the broker stops reading that connection until a token is due:
  // the client is slowed down by TCP and its acknowledgements come later; nothing is dropped
  // or refused. 0 (default): no limit.
  unsigned publish_rate_per_s = 0;
  unsigned publish_burst = 0;
  // MQTT over TLS (port 8883 by convention) on a second listener, same broker and sessions.
  // Off while tls_host is empty. The certificate chain and private key are PEM files; TLS 1.2
  // or newer.
  std::string tls_host;
  std::uint16_t tls_port = 8883;
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM file of the CAs whose client certificates the TLS listener trusts (mutual TLS,
  // docs/mqtt.md "Client certificates"). Empty (default): clients are not asked for a
  // certificate and authenticate with CONNECT. Set: a client certificate that is not valid
  // (untrusted issuer, expired, not yet valid, not for client authentication) fails the
  // handshake; a valid one's subject CN reaches BrokerHooks::authenticate.
  std::string tls_client_ca_file;
  // With tls_client_ca_file: also refuse clients that send no certificate, at the
  // handshake. Default false (they may still authenticate with CONNECT).
  bool tls_require_client_cert = false;
};

// Who is on a connection, as told in CONNECT.
struct ClientIdentity {
  std::string client_id;
  std::string username;  // "" when none was given
  std::string peer;      // "address:port"
  int protocol_version = kMqtt5;
  // The subject common name of the client certificate the TLS handshake verified against
  // BrokerOptions::tls_client_ca_file; "" without one.
  std::string certificate_cn;
};

// An inbound application message, valid until `done` is called.
struct InboundPublish {
  std::string topic;  // topic aliases already resolved
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  Properties properties;  // MQTT 5 properties (empty for 3.1.1)
};

// How CityTwin plugs into the broker. Called from broker threads: must not block.
class BrokerHooks {
 public:
  virtual ~BrokerHooks() = default;
  // CONNECT credentials. OK accepts; an error refuses with CONNACK: kUnauthorized ->
  // 3.1.1 code 4 / MQTT 5 0x86 (bad user name or password), kForbidden -> 5 / 0x87 (not
  // authorized), kServiceUnavailable -> 3 / 0x88, anything else -> 5 / 0x87.
  virtual Status authenticate(const ClientIdentity& client,
                              std::optional<std::string_view> password) = 0;
  // An inbound PUBLISH (and a will message being published). `done` must be called exactly
  // once, from any thread. The QoS 1 PUBACK (QoS 2 PUBREC) is sent only after done(OK), so
  // call it once the data is durable. On an error an MQTT 5 client gets a PUBACK/PUBREC with
  // a reason code (kForbidden/kUnauthorized -> 0x87, kInvalidRequest/kBadRequestData ->
  // 0x99, kPayloadTooLarge/kServiceUnavailable/kTooManyRequests -> 0x97, else 0x80); MQTT
  // 3.1.1 has no
  // negative acknowledgement, so its connection is closed ([MQTT-3.3.5-2]). Only accepted
  // messages are forwarded to subscribers and retained.
  virtual void on_publish(const ClientIdentity& client, const InboundPublish& message,
                          std::function<void(Status)> done) = 0;
  // Whether the client may subscribe to the filter; false answers 0x87 / 0x80 in SUBACK.
  virtual bool may_subscribe(const ClientIdentity& client, std::string_view topic_filter) = 0;
  // A subscription was granted and is in place (SUBACK sent): messages published from now
  // on that match `topic_filter` reach the client. Must not block.
  virtual void on_subscribed(const ClientIdentity& client, std::string_view topic_filter) {
    (void)client;
    (void)topic_filter;
  }
  // A connection resumed a session that already existed (CONNACK Session Present = 1) and
  // holds these subscriptions. Must not block.
  virtual void on_session_resumed(const ClientIdentity& client,
                                  const std::vector<std::string>& topic_filters) {
    (void)client;
    (void)topic_filters;
  }
  // The connection ended (any reason), after its will, if any, was handed to on_publish.
  virtual void on_disconnect(const ClientIdentity& client) { (void)client; }
};

// A persistent session as kept across a restart of the server (docs/mqtt.md, "Sessions").
struct SavedSession {
  struct Subscription {
    std::string filter;
    std::uint8_t qos = 0;
    bool no_local = false;
    bool retain_as_published = false;
  };
  struct QueuedMessage {
    std::string topic;
    std::string payload;
    std::uint8_t qos = 1;
    bool retain = false;
    // Orders a session's messages and names each in the journal (unique per client id,
    // increasing); 0 for a message saved by a version that kept no journal.
    std::uint64_t sequence = 0;
  };
  std::string client_id;
  std::uint32_t expiry_s = 0;
  std::vector<Subscription> subscriptions;
  // QoS 1/2 messages not yet acknowledged by the client, then those queued, in order.
  std::vector<QueuedMessage> messages;
};

// Where the broker keeps persistent sessions so that they survive a restart, kill -9 and
// power loss included: a journal of changes, written asynchronously. Each write returns a
// mark; when_durable(mark) reports once that write and every earlier one are durable, and
// the broker acknowledges (CONNACK, SUBACK, UNSUBACK, the publisher's PUBACK) only then.
// Thread-safe. The write calls are made under the broker's session locks, so they must only
// queue the change (never block on the disk).
class SessionPersistence {
 public:
  virtual ~SessionPersistence() = default;
  // Every persistent session in the journal, with its messages in sequence order.
  virtual Result<std::vector<SavedSession>> load() = 0;
  // A session's existence, expiry and subscriptions (`session.messages` is not written).
  virtual std::uint64_t put_session(const SavedSession& session) = 0;
  // Removes a session and every message kept for it.
  virtual std::uint64_t erase_session(const std::string& client_id) = 0;
  // A QoS 1/2 message owed to the client, named by its sequence.
  virtual std::uint64_t put_message(const std::string& client_id,
                                    const SavedSession::QueuedMessage& message) = 0;
  // A message the client acknowledged. May be written lazily, with a later batch: a crash
  // before then delivers it once more (at least once), never loses one.
  virtual void erase_message(const std::string& client_id, std::uint64_t sequence) = 0;
  // Calls `done` once every write up to `mark` is durable (OK) or failed; on any thread
  // (possibly this one, at once), so it must only schedule work.
  virtual void when_durable(std::uint64_t mark, std::function<void(Status)> done) = 0;
  // Writes everything pending, lazy changes included, and returns once it is durable.
  virtual Status flush() = 0;
};

// An MQTT 3.1.1 and 5.0 broker over TCP (docs/mqtt.md). Owns its event-loop threads.
class Broker {
 public:
  // `persistence`, when given, restores persistent sessions in start() and journals every
  // change to them, so they survive a restart or a crash of the server.
  Broker(BrokerOptions options, BrokerHooks& hooks, MetricsRegistry& metrics,
         SessionPersistence* persistence = nullptr);
  ~Broker();  // stops
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Binds and starts the event loops; kServiceUnavailable when the address cannot be bound.
  Status start();
  // The bound ports (after start()); tls_port() is 0 without TLS.
  std::uint16_t port() const;
  std::uint16_t tls_port() const;
  // Connections the broker keeps track of: the open ones, and closed ones until the next
  // sweep (at most a second) forgets them.
  std::size_t tracked_connections() const;
  // Closes every connection (wills are not published: the broker is going away) and joins
  // the threads; the SessionPersistence, if any, is flushed.
  void stop();

  // Publishes to subscribers as the broker itself (for commands to devices on
  // /{apikey}/{device_id}/cmd); not passed to on_publish. kBadRequestData for an invalid
  // topic name or a QoS above 2. `queued`, when given, is called once the message is durably
  // queued for every persistent session it went to (at once when none), with the journal's
  // status; on any thread, so it must only schedule work or signal.
  Status publish(std::string topic, std::string payload, std::uint8_t qos, bool retain,
                 std::function<void(Status)> queued = {});

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace citytwin::mqtt
