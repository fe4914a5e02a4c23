#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "citytwin/ingest/command_dispatcher.hpp"
#include "citytwin/ingest/ingest_service.hpp"
#include "citytwin/mqtt/broker.hpp"
#include "citytwin/security/key_service.hpp"

namespace citytwin::server {

// CityTwin's side of the built-in MQTT broker (docs/mqtt.md).
//
// Credentials: with authentication off every client is accepted; otherwise the CONNECT
// password must be a CityTwin API key (security::KeyService) of an editor or admin, since
// devices write. The user name is free (IoT Agent clients put the service there).
//
// Publishes on device topics (mqtt_topic.hpp: the IoT Agent conventions) are measurements:
// they go through the ingestion pipeline (ingest::IngestService) and are acknowledged (QoS 1
// PUBACK, QoS 2 PUBREC) only once durable in the twin and its history; a rejected one is
// refused (MQTT 5 reason code, 3.1.1 connection closed) and not forwarded. With keys, the
// measurement's tenant must be one the client's key may write to. Other topics are plain
// MQTT traffic, forwarded to subscribers as any broker does.
class MqttHooks : public mqtt::BrokerHooks {
 public:
  // `keys` null: authentication is off.
  MqttHooks(security::KeyService* keys, ingest::IngestService& ingest)
      : keys_(keys), ingest_(ingest) {}

  Status authenticate(const mqtt::ClientIdentity& client,
                      std::optional<std::string_view> password) override;
  void on_publish(const mqtt::ClientIdentity& client, const mqtt::InboundPublish& message,
                  std::function<void(Status)> done) override;
  bool may_subscribe(const mqtt::ClientIdentity& client, std::string_view topic_filter) override;
  void on_disconnect(const mqtt::ClientIdentity& client) override;
  void on_subscribed(const mqtt::ClientIdentity& client, std::string_view topic_filter) override;

  // Device commands (docs/ingest.md, "Commands"): results on .../cmdexe complete commands
  // (acknowledged once durable, refused like a bad measure), and a subscription that covers
  // a device's command topic lets commands queued before a restart reach it. Null: cmdexe
  // is plain MQTT traffic. Set before the broker starts.
  void set_commands(ingest::CommandDispatcher* commands) { commands_ = commands; }

 private:
  std::optional<security::Principal> principal_of(const std::string& client_id);

  std::function<Status(std::string_view)> authorizer(const mqtt::ClientIdentity& client,
                                                     Status& refused);

  security::KeyService* keys_;
  ingest::IngestService& ingest_;
  ingest::CommandDispatcher* commands_ = nullptr;
  // The key each connected client authenticated with (client id -> principal).
  std::mutex principals_mutex_;
  std::map<std::string, security::Principal> principals_;
};

}  // namespace citytwin::server
