// PUBLISH (MQTT 5.0 clause 3.3, 3.1.1 clause 3.3) and the acknowledgements that share one
// layout: PUBACK, PUBREC, PUBREL, PUBCOMP (clauses 3.4 to 3.7).
#include "citytwin/mqtt/topic.hpp"
#include "codecs.hpp"
#include "properties.hpp"

namespace citytwin::mqtt::codec {

Result<Packet> decode_publish(std::uint8_t flags, std::string_view body, std::uint8_t version) {
  Publish publish;
  publish.retain = flags & 0x01;
  publish.qos = (flags >> 1) & 0x03;
  publish.dup = flags & 0x08;
  if (publish.qos == 3) return wire::malformed("PUBLISH with QoS 3");  // [MQTT-3.3.1-4]
  if (publish.dup && publish.qos == 0) {
    return wire::malformed("DUP set on a QoS 0 PUBLISH");  // [MQTT-3.3.1-2]
  }
  wire::Reader in(body);
  CT_MQTT_ASSIGN(topic, in.utf8_string());
  if (topic.find_first_of("+#") != std::string::npos) {
    return wire::protocol_error("wildcard in a PUBLISH topic");  // [MQTT-3.3.2-2]
  }
  publish.topic = std::move(topic);
  if (publish.qos > 0) {
    CT_MQTT_ASSIGN(packet_id, in.u16());
    if (packet_id == 0) return wire::protocol_error("packet identifier 0");  // [MQTT-2.2.1-3]
    publish.packet_id = packet_id;
  }
  if (version == kMqtt5) {
    CT_MQTT_ASSIGN(properties, read_properties(in, PropertyPlace::kPublish));
    publish.properties = std::move(properties);
    if (publish.properties.topic_alias == 0) return wire::protocol_error("topic alias 0");
  }
  // An empty topic only stands for an MQTT 5 topic alias (clause 3.3.2.3.4).
  if (publish.topic.empty() && !publish.properties.topic_alias) {
    return wire::protocol_error("empty PUBLISH topic");
  }
  publish.payload = std::string(in.rest());
  return Packet{std::move(publish)};
}

Result<Packet> decode_publish_response(PacketType type, std::uint8_t flags, std::string_view body,
                                       std::uint8_t version) {
  std::uint8_t expected_flags = type == PacketType::kPubrel ? 0x02 : 0x00;  // [MQTT-3.6.1-1]
  if (flags != expected_flags) {
    return wire::malformed(std::string(packet_type_name(type)) + " reserved flags wrong");
  }
  wire::Reader in(body);
  PublishResponse response;
  response.type = type;
  CT_MQTT_ASSIGN(packet_id, in.u16());
  if (packet_id == 0) return wire::protocol_error("packet identifier 0");
  response.packet_id = packet_id;
  if (version == kMqtt5) {
    // The reason code and properties may be left out when 0 and empty (clause 3.4.2.1).
    if (!in.at_end()) {
      CT_MQTT_ASSIGN(code, in.u8());
      response.reason_code = code;
    }
    if (!in.at_end()) {
      CT_MQTT_ASSIGN(properties, read_properties(in, PropertyPlace::kPublishResponse));
      response.properties = std::move(properties);
    }
  }
  if (!in.at_end()) {
    return wire::malformed("bytes after " + std::string(packet_type_name(type)));
  }
  return Packet{std::move(response)};
}

std::string encode_publish(const Publish& p, std::uint8_t version) {
  wire::Writer out;
  out.string(p.topic);
  if (p.qos > 0) out.u16(p.packet_id);
  if (version == kMqtt5) write_properties(out, p.properties);
  out.raw(p.payload);
  auto first =
      static_cast<std::uint8_t>(0x30 | (p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 0x01 : 0));
  return wire::frame(first, out.bytes());
}

std::string encode_publish_response(const PublishResponse& p, std::uint8_t version) {
  wire::Writer out;
  out.u16(p.packet_id);
  if (version == kMqtt5 && (p.reason_code != reason::kSuccess || p.properties != Properties{})) {
    out.u8(p.reason_code);
    if (p.properties != Properties{}) write_properties(out, p.properties);
  }
  auto first = static_cast<std::uint8_t>((static_cast<std::uint8_t>(p.type) << 4) |
                                         (p.type == PacketType::kPubrel ? 0x02 : 0));
  return wire::frame(first, out.bytes());
}

}  // namespace citytwin::mqtt::codec
