#pragma once

#include "citytwin/mqtt/packet.hpp"

// One decoder and encoder per packet family; packet_codec.cpp dispatches on the fixed
// header. `flags` is the low nibble of the first byte; decoders reject reserved flag values
// (MQTT 5.0 clause 2.1.3, 3.1.1 clause 2.2.2) and trailing bytes.
namespace citytwin::mqtt::codec {

Result<Packet> decode_connect(std::uint8_t flags, std::string_view body);
Result<Packet> decode_connack(std::uint8_t flags, std::string_view body, std::uint8_t version);
std::string encode_connect(const Connect& packet);
std::string encode_connack(const Connack& packet, std::uint8_t version);

Result<Packet> decode_publish(std::uint8_t flags, std::string_view body, std::uint8_t version);
Result<Packet> decode_publish_response(PacketType type, std::uint8_t flags, std::string_view body,
                                       std::uint8_t version);
std::string encode_publish(const Publish& packet, std::uint8_t version);
std::string encode_publish_response(const PublishResponse& packet, std::uint8_t version);

Result<Packet> decode_subscribe(std::uint8_t flags, std::string_view body, std::uint8_t version);
Result<Packet> decode_suback(std::uint8_t flags, std::string_view body, std::uint8_t version);
Result<Packet> decode_unsubscribe(std::uint8_t flags, std::string_view body, std::uint8_t version);
Result<Packet> decode_unsuback(std::uint8_t flags, std::string_view body, std::uint8_t version);
std::string encode_subscribe(const Subscribe& packet, std::uint8_t version);
std::string encode_suback(const Suback& packet, std::uint8_t version);
std::string encode_unsubscribe(const Unsubscribe& packet, std::uint8_t version);
std::string encode_unsuback(const Unsuback& packet, std::uint8_t version);

Result<Packet> decode_control(PacketType type, std::uint8_t flags, std::string_view body,
                              std::uint8_t version);  // PINGREQ, PINGRESP, DISCONNECT, AUTH
std::string encode_disconnect(const Disconnect& packet, std::uint8_t version);
std::string encode_auth(const Auth& packet);

}  // namespace citytwin::mqtt::codec
