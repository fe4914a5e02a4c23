// The fixed header (MQTT 5.0 clause 2.1) and dispatch to the per-packet codecs.
#include "codecs.hpp"
#include "wire.hpp"

namespace citytwin::mqtt {

std::string_view packet_type_name(PacketType type) {
  static constexpr std::string_view kNames[] = {"RESERVED",  "CONNECT",  "CONNACK",     "PUBLISH",
                                                "PUBACK",    "PUBREC",   "PUBREL",      "PUBCOMP",
                                                "SUBSCRIBE", "SUBACK",   "UNSUBSCRIBE", "UNSUBACK",
                                                "PINGREQ",   "PINGRESP", "DISCONNECT",  "AUTH"};
  auto index = static_cast<std::size_t>(type);
  return index < std::size(kNames) ? kNames[index] : "RESERVED";
}

PacketType packet_type_of(const Packet& packet) {
  return std::visit(
      [](const auto& p) -> PacketType {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Connect>) return PacketType::kConnect;
        if constexpr (std::is_same_v<T, Connack>) return PacketType::kConnack;
        if constexpr (std::is_same_v<T, Publish>) return PacketType::kPublish;
        if constexpr (std::is_same_v<T, PublishResponse>) return p.type;
        if constexpr (std::is_same_v<T, Subscribe>) return PacketType::kSubscribe;
        if constexpr (std::is_same_v<T, Suback>) return PacketType::kSuback;
        if constexpr (std::is_same_v<T, Unsubscribe>) return PacketType::kUnsubscribe;
        if constexpr (std::is_same_v<T, Unsuback>) return PacketType::kUnsuback;
        if constexpr (std::is_same_v<T, Pingreq>) return PacketType::kPingreq;
        if constexpr (std::is_same_v<T, Pingresp>) return PacketType::kPingresp;
        if constexpr (std::is_same_v<T, Disconnect>) return PacketType::kDisconnect;
        if constexpr (std::is_same_v<T, Auth>) return PacketType::kAuth;
      },
      packet);
}

FrameStatus parse_fixed_header(std::string_view bytes, FixedHeader& header) {
  if (bytes.empty()) return FrameStatus::kIncomplete;
  header.first_byte = static_cast<std::uint8_t>(bytes[0]);
  std::size_t length = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    if (bytes.size() < k + 2) return FrameStatus::kIncomplete;
    auto byte = static_cast<std::uint8_t>(bytes[k + 1]);
    length |= static_cast<std::size_t>(byte & 0x7F) << (7 * k);
    if ((byte & 0x80) == 0) {
      header.remaining_length = length;
      header.header_bytes = k + 2;
      return FrameStatus::kComplete;
    }
  }
  return FrameStatus::kMalformed;  // a fifth length byte (clause 1.5.5)
}

Result<Packet> decode_packet(std::uint8_t first_byte, std::string_view body, std::uint8_t version) {
  auto type = static_cast<PacketType>(first_byte >> 4);
  std::uint8_t flags = first_byte & 0x0F;
  switch (type) {
    case PacketType::kConnect:
      return codec::decode_connect(flags, body);
    case PacketType::kConnack:
      return codec::decode_connack(flags, body, version);
    case PacketType::kPublish:
      return codec::decode_publish(flags, body, version);
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
      return codec::decode_publish_response(type, flags, body, version);
    case PacketType::kSubscribe:
      return codec::decode_subscribe(flags, body, version);
    case PacketType::kSuback:
      return codec::decode_suback(flags, body, version);
    case PacketType::kUnsubscribe:
      return codec::decode_unsubscribe(flags, body, version);
    case PacketType::kUnsuback:
      return codec::decode_unsuback(flags, body, version);
    case PacketType::kPingreq:
    case PacketType::kPingresp:
    case PacketType::kDisconnect:
    case PacketType::kAuth:
      return codec::decode_control(type, flags, body, version);
  }
  return wire::malformed("reserved packet type 0");  // [MQTT-2.1.3-1]
}

std::string encode_packet(const Packet& packet, std::uint8_t version) {
  return std::visit(
      [version](const auto& p) -> std::string {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Connect>) return codec::encode_connect(p);
        if constexpr (std::is_same_v<T, Connack>) return codec::encode_connack(p, version);
        if constexpr (std::is_same_v<T, Publish>) return codec::encode_publish(p, version);
        if constexpr (std::is_same_v<T, PublishResponse>) {
          return codec::encode_publish_response(p, version);
        }
        if constexpr (std::is_same_v<T, Subscribe>) return codec::encode_subscribe(p, version);
        if constexpr (std::is_same_v<T, Suback>) return codec::encode_suback(p, version);
        if constexpr (std::is_same_v<T, Unsubscribe>) return codec::encode_unsubscribe(p, version);
        if constexpr (std::is_same_v<T, Unsuback>) return codec::encode_unsuback(p, version);
        if constexpr (std::is_same_v<T, Pingreq>) return wire::frame(0xC0, {});
        if constexpr (std::is_same_v<T, Pingresp>) return wire::frame(0xD0, {});
        if constexpr (std::is_same_v<T, Disconnect>) return codec::encode_disconnect(p, version);
        if constexpr (std::is_same_v<T, Auth>) return codec::encode_auth(p);
      },
      packet);
}

std::uint8_t reason_code_of(const Error& decode_error) {
  return decode_error.kind == ErrorKind::kBadRequestData ? reason::kProtocolError
                                                         : reason::kMalformedPacket;
}

}  // namespace citytwin::mqtt
