#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "citytwin/common/metrics.hpp"
#include "citytwin/http/rate_limiter.hpp"
#include "citytwin/ingest/command_dispatcher.hpp"
#include "citytwin/ingest/ingest_service.hpp"
#include "citytwin/mqtt/broker.hpp"
#include "citytwin/security/device_credentials.hpp"
#include "citytwin/security/key_service.hpp"
#include "device_messages.hpp"

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
//
// Devices (docs/security.md, "Device credentials"): a CONNECT whose user name has a device
// credential must present its password, and that client may then publish and subscribe only
// within its device's (or its group's) topics, for the credential's tenant. Clients without
// credentials are anonymous: accepted only when `MqttAccess::allow_anonymous`.
struct MqttAccess {
  // Device and group credentials; null: none are checked.
  security::DeviceCredentialService* credentials = nullptr;
  // Whether a CONNECT without credentials is accepted (with keys off: any credentials that
  // are not a device's). Default true, the behaviour before credentials existed.
  bool allow_anonymous = true;
  // Measures one device may publish per second, with its burst (docs/mqtt.md, "Rate
  // limits"); over it a measure is refused (MQTT 5 PUBACK 0x97 Quota exceeded; 3.1.1: the
  // connection is closed) and counted in `metrics`. per_second 0: no limit.
  http::RateLimit device_rate;
  MetricsRegistry* metrics = nullptr;
  // Measures and command results counted into the audit log's device summaries
  // (device_audit.hpp); null: not audited.
  security::AuditLog* audit = nullptr;
};

class MqttHooks : public mqtt::BrokerHooks {
 public:
  // `keys` null: authentication is off.
  MqttHooks(security::KeyService* keys, ingest::IngestService& ingest, MqttAccess access = {})
      : keys_(keys),
        devices_(ingest, DeviceAudit(access.audit)),
        access_(access),
        device_limiter_(access.device_rate.enabled()
                            ? std::make_unique<http::RateLimiter>(access.device_rate)
                            : nullptr) {
    if (access_.metrics != nullptr) {
      access_.metrics->describe("citytwin_mqtt_device_rate_limited", "counter",
                                "MQTT measures refused over the per-device rate limit");
    }
  }

  Status authenticate(const mqtt::ClientIdentity& client,
                      std::optional<std::string_view> password) override;
  void on_publish(const mqtt::ClientIdentity& client, const mqtt::InboundPublish& message,
                  std::function<void(Status)> done) override;
  bool may_subscribe(const mqtt::ClientIdentity& client, std::string_view topic_filter) override;
  void on_disconnect(const mqtt::ClientIdentity& client) override;
  void on_subscribed(const mqtt::ClientIdentity& client, std::string_view topic_filter) override;
  // A device back on a persistent session restored after a crash does not subscribe again:
  // its commands not yet in the broker's session journal are handed over now.
  void on_session_resumed(const mqtt::ClientIdentity& client,
                          const std::vector<std::string>& topic_filters) override;

  // Device commands (docs/ingest.md, "Commands"): results on .../cmdexe complete commands
  // (acknowledged once durable, refused like a bad measure), and a subscription that covers
  // a device's command topic lets commands queued before a restart reach it. Null: cmdexe
  // is plain MQTT traffic. Set before the broker starts.
  void set_commands(ingest::CommandDispatcher* commands) {
    commands_ = commands;
    devices_.set_commands(commands);
  }

 private:
  std::optional<security::Principal> principal_of(const std::string& client_id);
  std::optional<security::DeviceCredential> device_of(const std::string& client_id);
  // OK and true when the CONNECT named a device credential and presented its password.
  // OK, or kTooManyRequests when the device of `topic` is over its rate.
  Status check_device_rate(std::string_view topic);
  Result<bool> authenticate_device(const mqtt::ClientIdentity& client,
                                   std::optional<std::string_view> password);
  // True when the client certificate's CN names a device credential (the CONNECT user name,
  // if any, must be that CN); kUnauthorized otherwise.
  Result<bool> authenticate_certificate(const mqtt::ClientIdentity& client);

  security::KeyService* keys_;
  DeviceMessages devices_;
  MqttAccess access_;
  std::unique_ptr<http::RateLimiter> device_limiter_;  // null: no per-device limit
  ingest::CommandDispatcher* commands_ = nullptr;
  // The key each connected client authenticated with (client id -> principal).
  std::mutex principals_mutex_;
  std::map<std::string, security::Principal> principals_;
  // The device credential each connected device authenticated with (client id -> it).
  std::map<std::string, security::DeviceCredential> device_credentials_;
};

}  // namespace citytwin::server
