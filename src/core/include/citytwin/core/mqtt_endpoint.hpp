#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "citytwin/common/result.hpp"

namespace citytwin::core {

// MQTT protocol versions a notification can be published with (GS CIM 009 V1.8.1 clause 7.2,
// notifierInfo "MQTT-Version").
enum class MqttVersion { kV311, kV5 };

// An mqtt:// or mqtts:// notification endpoint (clause 7.2):
// mqtt[s]://[<username>][:<password>]@<host>[:<port>]/<topic>[/<subtopic>]*
struct MqttEndpoint {
  bool tls = false;  // mqtts
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 1883;
  std::string topic;  // percent-decoded, without the leading '/'
  std::optional<std::string> username;
  std::optional<std::string> password;
};

// How to publish (clause 7.2 and 5.2.15 notifierInfo): "MQTT-QoS" 0, 1 or 2 (default 0),
// "MQTT-Version" "mqtt3.1.1" or "mqtt5.0" (default mqtt5.0).
struct MqttPublishOptions {
  int qos = 0;
  MqttVersion version = MqttVersion::kV5;
};

// True for a URI whose scheme is mqtt or mqtts (case-insensitive).
bool is_mqtt_uri(std::string_view uri);

// Parses an MQTT endpoint URI. Errors are kBadRequestData naming what is wrong: not mqtt(s),
// no host, a bad port, no topic, a topic with the wildcards '+' or '#' (a PUBLISH topic
// cannot hold them, MQTT 3.1.1 clause 4.7.1), a query or fragment, bad percent-encoding.
Result<MqttEndpoint> parse_mqtt_endpoint(std::string_view uri);

// Reads "MQTT-QoS" and "MQTT-Version" from notifierInfo pairs; other keys are ignored.
// Errors are kBadRequestData for a value outside those the clause lists.
Result<MqttPublishOptions> parse_mqtt_notifier_info(
    const std::vector<std::pair<std::string, std::string>>& notifier_info);

}  // namespace citytwin::core
