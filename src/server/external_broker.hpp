#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/metrics.hpp"
#include "citytwin/http/outbound_policy.hpp"
#include "citytwin/ingest/ingest_service.hpp"
#include "citytwin/mqtt/subscriber_client.hpp"
#include "citytwin/server/serve_options.hpp"
#include "device_messages.hpp"

namespace citytwin::server {

// Whether `options` name an external MQTT broker (mqtt_external_url).
bool external_broker_enabled(const ServeOptions& options);

// The device topic filters of the IoT Agent conventions (mqtt_topic.hpp), each with and
// without the leading '/' and the json/ and ul/ prefixes, for measures and command results;
// prefixed with "$share/<group>/" (MQTT 5.0 clause 4.8.2) when `group` is not empty.
std::vector<std::string> device_topic_filters(std::string_view group);

// The subscriber's settings from the serve options; kInvalidRequest for a bad URL or QoS.
Result<mqtt::SubscriberClientOptions> external_broker_options(const ServeOptions& options);

// External broker mode (issue #4): CityTwin subscribes to the device topics of an existing
// broker and ingests what arrives exactly as the built-in broker does (DeviceMessages); a
// QoS 1 message is acknowledged to the broker only once durable. The connection goes only to
// addresses the outbound policy allows.
class ExternalBroker {
 public:
  // `on_state(connected)` follows the subscription (readiness). Device messages are counted
  // in the audit log's summaries under the actor "external-broker:<host>" (null: not).
  ExternalBroker(mqtt::SubscriberClientOptions options, ingest::IngestService& ingest,
                 const http::OutboundPolicy& outbound, MetricsRegistry& metrics,
                 std::function<void(bool connected)> on_state, security::AuditLog* audit = nullptr);

  // Device commands: results on cmdexe topics complete them (DeviceMessages::set_commands).
  // Before start().
  void set_commands(ingest::CommandDispatcher* commands) { devices_.set_commands(commands); }

  Status start() { return client_.start(); }
  void stop() { client_.stop(); }

 private:
  mqtt::SubscriberClientHooks hooks(const http::OutboundPolicy& outbound,
                                    std::function<void(bool)> on_state);

  DeviceMessages devices_;
  security::AuditRecord sender_;  // "external-broker:<host>" in the audit log
  mqtt::SubscriberClient client_;
};

}  // namespace citytwin::server
