// PINGREQ, PINGRESP (MQTT 5.0 clauses 3.12, 3.13), DISCONNECT (3.14) and AUTH (3.15, MQTT 5
// only: packet type 15 is reserved in 3.1.1).
#include "codecs.hpp"
#include "properties.hpp"

namespace citytwin::mqtt::codec {
namespace {

// DISCONNECT and AUTH: the reason code and properties may be left out (clause 3.14.2.1).
template <class T>
Result<Packet> decode_reason_and_properties(std::string_view body, PropertyPlace place) {
  wire::Reader in(body);
  T packet;
  if (!in.at_end()) {
    CT_MQTT_ASSIGN(code, in.u8());
    packet.reason_code = code;
  }
  if (!in.at_end()) {
    CT_MQTT_ASSIGN(properties, read_properties(in, place));
    packet.properties = std::move(properties);
  }
  if (!in.at_end()) return wire::malformed("bytes after the properties");
  return Packet{std::move(packet)};
}

std::string encode_reason_and_properties(std::uint8_t first, std::uint8_t code,
                                         const Properties& properties) {
  wire::Writer out;
  if (code != reason::kSuccess || properties != Properties{}) {
    out.u8(code);
    if (properties != Properties{}) write_properties(out, properties);
  }
  return wire::frame(first, out.bytes());
}

}  // namespace

Result<Packet> decode_control(PacketType type, std::uint8_t flags, std::string_view body,
                              std::uint8_t version) {
  if (flags != 0) {
    return wire::malformed(std::string(packet_type_name(type)) + " reserved flags set");
  }
  switch (type) {
    case PacketType::kPingreq:
    case PacketType::kPingresp:
      if (!body.empty()) return wire::malformed("PING packet with a body");
      if (type == PacketType::kPingreq) return Packet{Pingreq{}};
      return Packet{Pingresp{}};
    case PacketType::kDisconnect:
      if (version != kMqtt5) {
        if (!body.empty()) return wire::malformed("3.1.1 DISCONNECT with a body");
        return Packet{Disconnect{}};
      }
      return decode_reason_and_properties<Disconnect>(body, PropertyPlace::kDisconnect);
    case PacketType::kAuth:
      if (version != kMqtt5) return wire::malformed("packet type 15 is reserved in MQTT 3.1.1");
      return decode_reason_and_properties<Auth>(body, PropertyPlace::kAuth);
    default:
      return wire::malformed("not a control packet");
  }
}

std::string encode_disconnect(const Disconnect& p, std::uint8_t version) {
  if (version != kMqtt5) return wire::frame(0xE0, {});
  return encode_reason_and_properties(0xE0, p.reason_code, p.properties);
}

std::string encode_auth(const Auth& p) {
  return encode_reason_and_properties(0xF0, p.reason_code, p.properties);
}

}  // namespace citytwin::mqtt::codec
