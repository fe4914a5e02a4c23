#pragma once

// Delivers NGSI-LD notifications to mqtt:// and mqtts:// endpoints (GS CIM 009 V1.8.1 clause
// 7.2): each notification is published to the endpoint's topic as the JSON object
// {"metadata": {...}, "body": <Notification>}, "metadata" holding what HTTP would send as
// headers (Content-Type, Link, NGSILD-Tenant, receiverInfo). QoS and protocol version come from
// notifierInfo (MQTT-QoS 0/1/2, default 0; MQTT-Version mqtt3.1.1/mqtt5.0, default mqtt5.0).
//
// Uses libmosquitto as a client library only, driven from the calling notifier thread with
// poll() (no libmosquitto thread): a send() connects when needed, publishes and waits for the
// broker's acknowledgement of the QoS asked (written for 0, PUBACK for 1, PUBCOMP for 2), all
// within `timeout`. One connection per broker, user and protocol version is cached and
// shared; sends to one broker are serialized on it. A broker that cannot be reached is not
// dialled again before a backoff (doubling from reconnect_initial to reconnect_max): sends in
// between fail at once, so a dead broker costs the notifier threads nothing.

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "citytwin/core/mqtt_endpoint.hpp"
#include "citytwin/core/notification_sender.hpp"

namespace citytwin::mqtt {

class MqttBrokerConnection;  // broker_connection.hpp

struct MqttNotificationSenderOptions {
  // Time allowed for one delivery: connect (TCP, TLS, CONNECT/CONNACK) when needed, publish,
  // and the acknowledgement. Default 5 s.
  std::chrono::milliseconds timeout{5000};
  // PEM file of trusted CA certificates for mqtts:// brokers; empty means the system store.
  // The broker's certificate must verify and match the URI's host name or IP address.
  std::string ca_file;
  // Delay before dialling a broker again after a failed connection, doubled at each further
  // failure up to reconnect_max. Defaults 500 ms and 30 s.
  std::chrono::milliseconds reconnect_initial{500};
  std::chrono::milliseconds reconnect_max{30000};
  // MQTT keep-alive announced in CONNECT. A connection unused for longer is reopened before
  // the next publish (the broker may have dropped it), and closed for good after twice that.
  std::chrono::seconds keep_alive{60};
};

class MqttNotificationSender final : public core::NotificationSender {
 public:
  explicit MqttNotificationSender(MqttNotificationSenderOptions options = {});
  ~MqttNotificationSender() override;
  MqttNotificationSender(const MqttNotificationSender&) = delete;
  MqttNotificationSender& operator=(const MqttNotificationSender&) = delete;

  Status send(const core::OutgoingNotification& notification) override;
  // The broker connection the notification is published on (broker, credentials, protocol
  // version): publishes on one connection are serialized anyway, so they are batched.
  std::string lane(const core::OutgoingNotification& notification) override;
  // Publishes a batch on its connection, taking it once (send() each when the batch spans
  // connections or a notification cannot be parsed).
  std::vector<Status> send_batch(
      const std::vector<const core::OutgoingNotification*>& batch) override;

  // Broker connections cached now (open or backing off).
  std::size_t connection_count() const;

 private:
  // Where a notification goes: parsed from its URI and notifierInfo, and the key of its
  // connection.
  struct Route {
    core::MqttEndpoint endpoint;
    core::MqttPublishOptions publish;
    std::string connection_key;
  };
  // The notification's route; parsed once per endpoint and notifierInfo and then cached
  // (every notification of a subscription has the same; parsing the URI for each was a
  // visible part of bench/subscriptions' profile). Errors say what does not parse.
  Result<std::shared_ptr<const Route>> route(const core::OutgoingNotification& notification);
  // What a notification's endpoint object needs: its route and the start of its payload
  // (the metadata written from the headers). Cached per endpoint object, which every
  // notification of a subscription shares, so a notification costs a pointer lookup instead
  // of building a route key and writing the metadata again.
  struct Prepared {
    std::shared_ptr<const Route> route;
    std::string head;  // {"metadata":{...},"body":
  };
  Result<std::shared_ptr<const Prepared>> prepared(const core::OutgoingNotification& notification);
  void sweep_idle();
  // The cached connection for `key` (created when missing).
  std::shared_ptr<MqttBrokerConnection> connection(const std::string& key,
                                                   const core::MqttEndpoint& endpoint,
                                                   core::MqttVersion version);

  MqttNotificationSenderOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<MqttBrokerConnection>> connections_;
  std::chrono::steady_clock::time_point next_sweep_{};
  std::mutex routes_mutex_;
  // By URI and notifierInfo; cleared when it grows past a bound (endpoints that come and go).
  std::unordered_map<std::string, std::shared_ptr<const Route>> routes_;
  // By endpoint object, holding it so that its address is not reused while cached; cleared
  // with routes_.
  struct Known {
    std::shared_ptr<const core::NotificationEndpoint> endpoint;
    std::shared_ptr<const Prepared> prepared;
  };
  std::unordered_map<const core::NotificationEndpoint*, Known> by_endpoint_;
};

// The MQTT message payload of a notification (clause 7.2): {"metadata": {headers}, "body":
// body}. `body` must be JSON text; it is embedded as is.
std::string mqtt_notification_payload(const core::OutgoingNotification& notification);

}  // namespace citytwin::mqtt
