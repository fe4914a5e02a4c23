// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (MQTT 5.0 clauses 3.8 to 3.11, 3.1.1 the same).
// Filters are checked against the topic rules by the broker, which answers a bad one with a
// failure reason code in SUBACK instead of closing the connection.
#include <functional>

#include "codecs.hpp"
#include "properties.hpp"

namespace citytwin::mqtt::codec {
namespace {

Result<std::uint16_t> read_packet_id(wire::Reader& in) {
  CT_MQTT_ASSIGN(packet_id, in.u16());
  if (packet_id == 0) return wire::protocol_error("packet identifier 0");  // [MQTT-2.2.1-3]
  return packet_id;
}

Result<Properties> read_properties_if(wire::Reader& in, std::uint8_t version, PropertyPlace place) {
  if (version != kMqtt5) return Properties{};
  return read_properties(in, place);
}

Result<SubscriptionRequest> read_subscription(wire::Reader& in, std::uint8_t version) {
  SubscriptionRequest request;
  CT_MQTT_ASSIGN(filter, in.utf8_string());
  request.filter = std::move(filter);
  CT_MQTT_ASSIGN(options, in.u8());
  request.qos = options & 0x03;
  if (request.qos == 3) return wire::malformed("subscription QoS 3");  // [MQTT-3.8.3-4]
  if (version == kMqtt5) {
    if (options & 0xC0) return wire::malformed("subscription options reserved bits set");
    request.no_local = options & 0x04;
    request.retain_as_published = options & 0x08;
    request.retain_handling = (options >> 4) & 0x03;
    if (request.retain_handling == 3) return wire::protocol_error("retain handling 3");
  } else if (options & 0xFC) {
    return wire::malformed("requested QoS byte reserved bits set");  // 3.1.1 [MQTT-3-8.3-4]
  }
  return request;
}

std::string frame_with_id(std::uint8_t first, std::uint16_t packet_id, const Properties& props,
                          std::uint8_t version, const std::function<void(wire::Writer&)>& rest) {
  wire::Writer out;
  out.u16(packet_id);
  if (version == kMqtt5) write_properties(out, props);
  rest(out);
  return wire::frame(first, out.bytes());
}

}  // namespace

Result<Packet> decode_subscribe(std::uint8_t flags, std::string_view body, std::uint8_t version) {
  if (flags != 0x02) return wire::malformed("SUBSCRIBE reserved flags wrong");  // [MQTT-3.8.1-1]
  wire::Reader in(body);
  Subscribe subscribe;
  CT_MQTT_ASSIGN(packet_id, read_packet_id(in));
  subscribe.packet_id = packet_id;
  CT_MQTT_ASSIGN(properties, read_properties_if(in, version, PropertyPlace::kSubscribe));
  if (properties.subscription_identifiers.size() > 1) {
    return wire::protocol_error("more than one subscription identifier");
  }
  subscribe.properties = std::move(properties);
  while (!in.at_end()) {
    CT_MQTT_ASSIGN(request, read_subscription(in, version));
    subscribe.subscriptions.push_back(std::move(request));
  }
  if (subscribe.subscriptions.empty()) {
    return wire::protocol_error("SUBSCRIBE without a topic filter");  // [MQTT-3.8.3-2]
  }
  return Packet{std::move(subscribe)};
}

Result<Packet> decode_suback(std::uint8_t flags, std::string_view body, std::uint8_t version) {
  if (flags != 0) return wire::malformed("SUBACK reserved flags set");
  wire::Reader in(body);
  Suback suback;
  CT_MQTT_ASSIGN(packet_id, read_packet_id(in));
  suback.packet_id = packet_id;
  CT_MQTT_ASSIGN(properties, read_properties_if(in, version, PropertyPlace::kSuback));
  suback.properties = std::move(properties);
  for (char code : in.rest()) suback.reason_codes.push_back(static_cast<std::uint8_t>(code));
  if (suback.reason_codes.empty()) return wire::protocol_error("SUBACK without a reason code");
  return Packet{std::move(suback)};
}

Result<Packet> decode_unsubscribe(std::uint8_t flags, std::string_view body, std::uint8_t version) {
  if (flags != 0x02) return wire::malformed("UNSUBSCRIBE reserved flags wrong");  // [MQTT-3.10.1-1]
  wire::Reader in(body);
  Unsubscribe unsubscribe;
  CT_MQTT_ASSIGN(packet_id, read_packet_id(in));
  unsubscribe.packet_id = packet_id;
  CT_MQTT_ASSIGN(properties, read_properties_if(in, version, PropertyPlace::kUnsubscribe));
  unsubscribe.properties = std::move(properties);
  while (!in.at_end()) {
    CT_MQTT_ASSIGN(filter, in.utf8_string());
    unsubscribe.filters.push_back(std::move(filter));
  }
  if (unsubscribe.filters.empty()) {
    return wire::protocol_error("UNSUBSCRIBE without a topic filter");  // [MQTT-3.10.3-2]
  }
  return Packet{std::move(unsubscribe)};
}

Result<Packet> decode_unsuback(std::uint8_t flags, std::string_view body, std::uint8_t version) {
  if (flags != 0) return wire::malformed("UNSUBACK reserved flags set");
  wire::Reader in(body);
  Unsuback unsuback;
  CT_MQTT_ASSIGN(packet_id, read_packet_id(in));
  unsuback.packet_id = packet_id;
  CT_MQTT_ASSIGN(properties, read_properties_if(in, version, PropertyPlace::kUnsuback));
  unsuback.properties = std::move(properties);
  for (char code : in.rest()) unsuback.reason_codes.push_back(static_cast<std::uint8_t>(code));
  if (version == kMqtt5 && unsuback.reason_codes.empty()) {
    return wire::protocol_error("UNSUBACK without a reason code");
  }
  if (version != kMqtt5 && !unsuback.reason_codes.empty()) {
    return wire::malformed("bytes after UNSUBACK");
  }
  return Packet{std::move(unsuback)};
}

std::string encode_subscribe(const Subscribe& p, std::uint8_t version) {
  return frame_with_id(0x82, p.packet_id, p.properties, version, [&](wire::Writer& out) {
    for (const auto& request : p.subscriptions) {
      out.string(request.filter);
      std::uint8_t options = request.qos;
      if (version == kMqtt5) {
        options |= (request.no_local ? 0x04 : 0) | (request.retain_as_published ? 0x08 : 0) |
                   static_cast<std::uint8_t>(request.retain_handling << 4);
      }
      out.u8(options);
    }
  });
}

std::string encode_suback(const Suback& p, std::uint8_t version) {
  return frame_with_id(0x90, p.packet_id, p.properties, version, [&](wire::Writer& out) {
    for (std::uint8_t code : p.reason_codes) out.u8(code);
  });
}

std::string encode_unsubscribe(const Unsubscribe& p, std::uint8_t version) {
  return frame_with_id(0xA2, p.packet_id, p.properties, version, [&](wire::Writer& out) {
    for (const auto& filter : p.filters) out.string(filter);
  });
}

std::string encode_unsuback(const Unsuback& p, std::uint8_t version) {
  return frame_with_id(0xB0, p.packet_id, p.properties, version, [&](wire::Writer& out) {
    if (version == kMqtt5) {
      for (std::uint8_t code : p.reason_codes) out.u8(code);
    }
  });
}

}  // namespace citytwin::mqtt::codec
