#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "broker_core.hpp"
#include "citytwin/common/token_bucket.hpp"
#include "citytwin/mqtt/broker.hpp"

namespace citytwin::mqtt {

// One client connection. All its handlers run on one event loop (an io_context run by a
// single thread), so its state needs no lock; other threads reach it only by posting.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Tcp = boost::asio::ip::tcp;
  // `tls`: the server context when the connection came in on the TLS listener.
  Connection(Tcp::socket socket, std::shared_ptr<boost::asio::io_context> loop, BrokerCore& core,
             std::uint64_t id, boost::asio::ssl::context* tls = nullptr);

  void start();
  // Closes without will (broker shutdown). Safe from any thread.
  void shut_down();
  std::uint64_t id() const { return id_; }

 private:
  enum class State { kAwaitConnect, kConnected, kClosed };
  struct PendingPublish {
    std::uint64_t sequence = 0;
    InboundPublish message;
    std::uint16_t packet_id = 0;
    bool duplicate = false;  // a resent QoS 2 PUBLISH already accepted: PUBREC only
    std::optional<Status> result;
    bool routed = false;            // forwarded to subscribers
    bool awaiting_journal = false;  // its acknowledgement waits for the session journal
  };

  void begin();  // after the TLS handshake, if any
  template <class Handler>
  void async_read_some(boost::asio::mutable_buffer buffer, Handler&& handler);
  void read_more();
  void process_input();
  bool process_packet(std::uint8_t first_byte, std::string_view body);
  void dispatch(Packet& packet);

  void handle_connect(Connect& connect);
  // CONNACK and what follows it, once the session's journal write (if any) is durable.
  void finish_connect(Connack connack, Status journaled);
  bool refuse_connect(std::uint8_t v5_code, std::uint8_t v311_code, std::string reason_text = {});
  void handle_publish(Publish& publish);
  void handle_response(const PublishResponse& response);
  void handle_subscribe(const Subscribe& subscribe);
  void handle_unsubscribe(const Unsubscribe& unsubscribe);
  void handle_disconnect(const Disconnect& disconnect);

  void on_publish_done(std::uint64_t sequence, Status status);
  void on_journal_done(std::uint64_t sequence, Status status);
  PendingPublish* pending_entry(std::uint64_t sequence);
  // Forwards an accepted inbound message; the journal mark its acknowledgement waits for.
  std::uint64_t route_inbound(PendingPublish& entry);
  // Runs `then` on this connection's loop once the session journal is durable up to `mark`
  // (at once for 0), reading nothing meanwhile, so answers keep the order of requests.
  void after_journal(std::uint64_t mark, std::function<void(Status)> then);
  void finish_pending();
  void resume_reading();
  bool should_pause() const;
  // Takes a token of the connection's publish rate; false (reading paused until one is due)
  // when there is none.
  bool take_publish_token();

  void pump();
  void send_outgoing(Session::Outgoing& outgoing);
  void send(const Packet& packet);
  void flush();
  std::size_t unsent_bytes() const { return pending_out_.size() + writing_.size(); }

  void arm_keep_alive();
  // Ends the connection. An MQTT 5 client is told `v5_reason` with DISCONNECT first (only
  // after CONNACK, [MQTT-3.14.0-1]); `with_will` publishes the will (clause 3.1.2.5).
  void close(std::optional<std::uint8_t> v5_reason, bool with_will, std::string reason_text = {});
  void close_for_error(const Error& error);
  void publish_will();
  void close_socket();

  Tcp::socket socket_;
  // TLS layered over socket_ (MQTT 5.0 clause 4.2: TLS is a supported network connection).
  std::unique_ptr<boost::asio::ssl::stream<Tcp::socket&>> tls_;
  std::shared_ptr<boost::asio::io_context> loop_;
  BrokerCore& core_;
  const std::uint64_t id_;
  boost::asio::steady_timer timer_;

  State state_ = State::kAwaitConnect;
  std::uint8_t version_ = kMqtt311;
  ClientIdentity identity_;
  std::shared_ptr<Session> session_;
  std::optional<Will> will_;
  std::uint16_t keep_alive_s_ = 0;
  std::chrono::steady_clock::time_point last_received_;
  std::size_t outbound_inflight_limit_ = 0;
  std::size_t client_max_packet_ = 0;  // 0: no limit from the client
  // MQTT 5 Request Problem Information (clause 3.1.2.11.7): whether reason strings may be
  // sent in packets other than CONNACK and DISCONNECT.
  bool problem_information_ = true;
  std::map<std::uint16_t, std::string> topic_aliases_;

  std::string input_;
  std::array<char, 16 * 1024> read_chunk_{};
  bool reading_ = false;
  bool paused_ = false;
  // BrokerOptions::publish_rate_per_s: the bucket, and the wait for its next token.
  TokenBucket publish_tokens_;
  boost::asio::steady_timer rate_timer_;
  bool rate_wait_ = false;

  std::deque<PendingPublish> pending_;
  std::size_t journal_waits_ = 0;  // after_journal() calls not answered yet
  std::uint64_t next_sequence_ = 1;

  std::string pending_out_;
  std::string writing_;
  bool write_in_progress_ = false;
  bool socket_closed_ = false;
  // Keeps the connection alive while its socket is open, also while no operation is pending
  // (reading paused for back-pressure); released when the socket closes.
  std::shared_ptr<Connection> self_;
};

}  // namespace citytwin::mqtt
