#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "citytwin/mqtt/packet.hpp"

namespace citytwin::mqtt {

// An application message on its way to subscribers. The payload is shared by every copy
// queued for a subscriber.
struct Message {
  std::string topic;
  std::shared_ptr<const std::string> payload;
  std::uint8_t qos = 0;
  bool retain = false;
  // Forwarded unchanged to MQTT 5 subscribers (clause 3.3.2.3): payload format, expiry,
  // content type, response topic, correlation data, user properties.
  Properties properties;
  std::string origin_client_id;  // for the MQTT 5 No Local option; "" for broker publishes
  // Its name in the session journal, per session (0: not journaled). Set by Session::enqueue.
  std::uint64_t sequence = 0;
};

// What a subscription asked for (MQTT 5.0 clause 3.8.3.1).
struct SubscriptionOptions {
  std::uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  bool operator==(const SubscriptionOptions&) const = default;
};

// The properties a PUBLISH carries on to subscribers; topic alias and subscription
// identifiers are per connection and are dropped (clause 3.3.4).
Properties forwarded_properties(const Properties& inbound);

}  // namespace citytwin::mqtt
