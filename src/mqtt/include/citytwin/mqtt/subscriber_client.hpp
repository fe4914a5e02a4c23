#pragma once

#include <boost/asio/ip/address.hpp>
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
#include "citytwin/mqtt/broker.hpp"

namespace citytwin::mqtt {

struct SubscriberClientOptions {
  // The broker to connect to, and whether the connection is TLS (mqtts://).
  std::string host;
  std::uint16_t port = 1883;
  bool tls = false;
  // PEM trust anchors for the broker's certificate; "" uses the system store. The broker's
  // name is always verified against its certificate.
  std::string ca_file;
  // PEM client certificate and key, for brokers that authenticate clients by certificate;
  // "" sends none.
  std::string cert_file;
  std::string key_file;
  // MQTT 5 client identifier; it must be unique per node (two clients with one id take the
  // session from each other) and stable across restarts (so the broker keeps the session).
  std::string client_id;
  std::optional<std::string> username;
  std::optional<std::string> password;
  // Topic filters subscribed after every CONNACK, all at `qos` (0 or 1).
  std::vector<std::string> filters;
  std::uint8_t qos = 1;
  // MQTT 5 Session Expiry Interval: how long the broker keeps the session, and the QoS 1
  // messages it holds for it, while this client is away (a crash or restart). Default 300 s.
  std::uint32_t session_expiry_s = 300;
  // Keep-alive in seconds (PINGREQ when idle; the link is dropped without an answer).
  std::uint16_t keep_alive_s = 30;
  // MQTT 5 Receive Maximum: QoS 1 messages the broker may send before this client acks;
  // here, messages being stored at once. Default 256.
  std::uint16_t receive_maximum = 256;
  // Largest packet accepted (MQTT 5 Maximum Packet Size). Default 1 MiB.
  std::size_t max_packet_bytes = 1024 * 1024;
  // Reconnection backoff: the first wait, doubled after each failure up to the maximum.
  std::chrono::milliseconds reconnect_initial{500};
  std::chrono::milliseconds reconnect_max{30000};
  // Time allowed from the TCP connect to the SUBACK.
  std::chrono::milliseconds connect_timeout{10000};
};

struct SubscriberClientHooks {
  // Whether `address`, one the broker's host name resolved to, may be connected to (the
  // SSRF policy); an error skips that address. Empty: every address is allowed.
  std::function<Status(std::string_view host, std::uint16_t port,
                       const boost::asio::ip::address& address)>
      allow_address;
  // An application message from the broker. `done` must be called exactly once, from any
  // thread, when the message is durable (OK) or refused. OK and refusals of the message
  // itself (kInvalidRequest, kBadRequestData, kForbidden, kUnauthorized, kResourceNotFound,
  // kPayloadTooLarge) acknowledge it (MQTT 5 PUBACK with the matching reason code); any other
  // error (storage unavailable) drops the connection without acknowledging, so the broker
  // delivers the message again after the reconnection.
  std::function<void(const InboundPublish& message, std::function<void(Status)> done)> on_message;
  // The subscription became active (true) or the connection was lost (false).
  std::function<void(bool connected)> on_state;
};

// An MQTT 5 client that subscribes to an external broker and hands each message to
// CityTwin, acknowledging QoS 1 messages only after `on_message` said they are durable
// (docs/decisions.md, "External MQTT broker"). Written on the broker's own codec over Asio
// rather than libmosquitto, which acknowledges a QoS 1 PUBLISH as soon as its callback
// returns. Reconnects with backoff and subscribes again; owns one event-loop thread.
class SubscriberClient {
 public:
  SubscriberClient(SubscriberClientOptions options, SubscriberClientHooks hooks,
                   MetricsRegistry& metrics);
  ~SubscriberClient();  // stops
  SubscriberClient(const SubscriberClient&) = delete;
  SubscriberClient& operator=(const SubscriberClient&) = delete;

  // Starts connecting in the background; kInvalidRequest for unusable TLS files.
  Status start();
  // Disconnects (DISCONNECT, session kept by the broker) and joins the thread.
  void stop();
  // Subscribed and receiving now.
  bool connected() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Whether `status`, an answer of SubscriberClientHooks::on_message, refuses the message itself
// (acknowledged with a reason code) rather than reporting a passing failure (not acknowledged).
bool refuses_message(const Status& status);

}  // namespace citytwin::mqtt
