#pragma once

#include "citytwin/mqtt/broker.hpp"
#include "citytwin/security/key_service.hpp"

namespace citytwin::server {

// CityTwin's side of the built-in MQTT broker (docs/mqtt.md).
//
// Credentials: with authentication off every client is accepted; otherwise the CONNECT
// password must be a CityTwin API key (security::KeyService) of an editor or admin, since
// devices write. The user name is free (IoT Agent clients put the service there).
//
// Publishes: FORWARDING ONLY for now. Ingestion (issue #4: device registry, payload parsing,
// measurements written to the twin) is not wired into on_publish yet, so nothing is stored
// and a message is acknowledged as soon as it is accepted for forwarding to subscribers. When
// ingestion is wired, on_publish must call `done` only once the measurement is durable
// (EntityStore::write_mark() + when_durable()).
class MqttHooks : public mqtt::BrokerHooks {
 public:
  // `keys` null: authentication is off.
  explicit MqttHooks(security::KeyService* keys) : keys_(keys) {}

  Status authenticate(const mqtt::ClientIdentity& client,
                      std::optional<std::string_view> password) override;
  void on_publish(const mqtt::ClientIdentity& client, const mqtt::InboundPublish& message,
                  std::function<void(Status)> done) override;
  bool may_subscribe(const mqtt::ClientIdentity& client, std::string_view topic_filter) override;

 private:
  security::KeyService* keys_;
};

}  // namespace citytwin::server
