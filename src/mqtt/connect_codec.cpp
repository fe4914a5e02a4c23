// CONNECT (MQTT 5.0 clause 3.1, 3.1.1 clause 3.1) and CONNACK (clause 3.2).
#include "citytwin/mqtt/topic.hpp"
#include "codecs.hpp"
#include "properties.hpp"

namespace citytwin::mqtt::codec {
namespace {

Result<Will> read_will(wire::Reader& in, std::uint8_t flags, std::uint8_t version) {
  Will will;
  will.qos = (flags >> 3) & 0x03;
  will.retain = (flags & 0x20) != 0;
  if (will.qos > 2) return wire::malformed("will QoS 3");  // [MQTT-3.1.2-14]
  if (version == kMqtt5) {
    CT_MQTT_ASSIGN(properties, read_properties(in, PropertyPlace::kWill));
    will.properties = std::move(properties);
  }
  CT_MQTT_ASSIGN(topic, in.utf8_string());
  if (!valid_topic_name(topic)) return wire::protocol_error("invalid will topic");
  will.topic = std::move(topic);
  CT_MQTT_ASSIGN(payload, in.binary());
  will.payload = std::move(payload);
  return will;
}

}  // namespace

Result<Packet> decode_connect(std::uint8_t flags, std::string_view body) {
  if (flags != 0) return wire::malformed("CONNECT reserved flags set");
  wire::Reader in(body);
  CT_MQTT_ASSIGN(name, in.utf8_string());
  CT_MQTT_ASSIGN(level, in.u8());
  Connect connect;
  connect.protocol_version = level;
  // An unknown level is answered by the broker with "unsupported protocol version"
  // [MQTT-3.1.2-2]; the rest of the packet is not read since its layout is unknown.
  if (level != kMqtt311 && level != kMqtt5) return Packet{std::move(connect)};
  if (name != "MQTT") return wire::protocol_error("protocol name is not MQTT");  // [MQTT-3.1.2-1]
  CT_MQTT_ASSIGN(connect_flags, in.u8());
  if (connect_flags & 0x01) return wire::malformed("CONNECT reserved flag set");  // [MQTT-3.1.2-3]
  connect.clean_start = (connect_flags & 0x02) != 0;
  bool will_flag = (connect_flags & 0x04) != 0;
  bool password_flag = (connect_flags & 0x40) != 0;
  bool username_flag = (connect_flags & 0x80) != 0;
  if (!will_flag && (connect_flags & 0x38) != 0) {
    return wire::malformed("will QoS or retain set without a will");  // [MQTT-3.1.2-11], -13, -15
  }
  if (level == kMqtt311 && password_flag && !username_flag) {
    return wire::protocol_error("password without user name");  // 3.1.1 [MQTT-3.1.2-22]
  }
  CT_MQTT_ASSIGN(keep_alive, in.u16());
  connect.keep_alive = keep_alive;
  if (level == kMqtt5) {
    CT_MQTT_ASSIGN(properties, read_properties(in, PropertyPlace::kConnect));
    connect.properties = std::move(properties);
  }
  CT_MQTT_ASSIGN(client_id, in.utf8_string());
  connect.client_id = std::move(client_id);
  if (will_flag) {
    CT_MQTT_ASSIGN(will, read_will(in, connect_flags, level));
    connect.will = std::move(will);
  }
  if (username_flag) {
    CT_MQTT_ASSIGN(username, in.utf8_string());
    connect.username = std::move(username);
  }
  if (password_flag) {
    CT_MQTT_ASSIGN(password, in.binary());
    connect.password = std::move(password);
  }
  if (!in.at_end()) return wire::malformed("bytes after the CONNECT payload");
  return Packet{std::move(connect)};
}

Result<Packet> decode_connack(std::uint8_t flags, std::string_view body, std::uint8_t version) {
  if (flags != 0) return wire::malformed("CONNACK reserved flags set");
  wire::Reader in(body);
  CT_MQTT_ASSIGN(ack_flags, in.u8());
  if (ack_flags & 0xFE) return wire::malformed("CONNACK reserved acknowledge flags set");
  CT_MQTT_ASSIGN(code, in.u8());
  Connack connack;
  connack.session_present = ack_flags & 0x01;
  connack.reason_code = code;
  if (version == kMqtt5) {
    CT_MQTT_ASSIGN(properties, read_properties(in, PropertyPlace::kConnack));
    connack.properties = std::move(properties);
  }
  if (!in.at_end()) return wire::malformed("bytes after CONNACK");
  return Packet{std::move(connack)};
}

std::string encode_connect(const Connect& p) {
  wire::Writer out;
  out.string("MQTT");
  out.u8(p.protocol_version);
  std::uint8_t flags = p.clean_start ? 0x02 : 0;
  if (p.will) {
    flags |= 0x04 | static_cast<std::uint8_t>(p.will->qos << 3) | (p.will->retain ? 0x20 : 0);
  }
  if (p.password) flags |= 0x40;
  if (p.username) flags |= 0x80;
  out.u8(flags);
  out.u16(p.keep_alive);
  if (p.protocol_version == kMqtt5) write_properties(out, p.properties);
  out.string(p.client_id);
  if (p.will) {
    if (p.protocol_version == kMqtt5) write_properties(out, p.will->properties);
    out.string(p.will->topic);
    out.string(p.will->payload);
  }
  if (p.username) out.string(*p.username);
  if (p.password) out.string(*p.password);
  return wire::frame(0x10, out.bytes());
}

std::string encode_connack(const Connack& p, std::uint8_t version) {
  wire::Writer out;
  out.u8(p.session_present ? 1 : 0);
  out.u8(p.reason_code);
  if (version == kMqtt5) write_properties(out, p.properties);
  return wire::frame(0x20, out.bytes());
}

}  // namespace citytwin::mqtt::codec
