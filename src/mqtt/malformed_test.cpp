// Every malformed or protocol-violating packet the codec rejects (MQTT 5.0 clause 1.5, 2.1.3,
// 2.2.2, 3.x; 3.1.1 the same clauses), each with the reason code the broker sends.
#include <gtest/gtest.h>

#include "citytwin/mqtt/packet.hpp"

namespace citytwin::mqtt {
namespace {

std::uint8_t rejection(std::uint8_t first_byte, std::string_view body, std::uint8_t version) {
  auto decoded = decode_packet(first_byte, body, version);
  EXPECT_FALSE(decoded.ok()) << "accepted packet 0x" << std::hex << int(first_byte);
  return decoded.ok() ? 0 : reason_code_of(decoded.error());
}

std::string s(const char* bytes, std::size_t size) {
  return std::string(bytes, size);
}

constexpr std::uint8_t kMalformed = reason::kMalformedPacket;
constexpr std::uint8_t kProtocol = reason::kProtocolError;

TEST(Malformed, FixedHeaderLengthOverFourBytes) {
  FixedHeader header;
  EXPECT_EQ(parse_fixed_header(s("\x30\xFF\xFF\xFF\xFF\x01", 6), header), FrameStatus::kMalformed);
}

TEST(Malformed, ReservedPacketTypeZero) {
  EXPECT_EQ(rejection(0x00, "", kMqtt5), kMalformed);
}

TEST(Malformed, AuthIsReservedIn311) {
  EXPECT_EQ(rejection(0xF0, "", kMqtt311), kMalformed);
}

TEST(Malformed, ReservedFlagBits) {
  EXPECT_EQ(rejection(0x11, s("\x00\x04MQTT\x04\x02\x00\x00\x00\x00", 12), kMqtt311), kMalformed);
  EXPECT_EQ(rejection(0x80, s("\x00\x01\x00\x01t\x00", 6), kMqtt311), kMalformed);  // SUBSCRIBE
  EXPECT_EQ(rejection(0xA0, s("\x00\x01\x00\x01t", 5), kMqtt311), kMalformed);      // UNSUBSCRIBE
  EXPECT_EQ(rejection(0x60, s("\x00\x01", 2), kMqtt311), kMalformed);  // PUBREL needs 0x2
  EXPECT_EQ(rejection(0x42, s("\x00\x01", 2), kMqtt311), kMalformed);  // PUBACK needs 0
  EXPECT_EQ(rejection(0xC1, "", kMqtt311), kMalformed);                // PINGREQ
  EXPECT_EQ(rejection(0xE2, "", kMqtt5), kMalformed);                  // DISCONNECT
}

TEST(Malformed, ConnectFlags) {
  // Reserved connect flag bit 0 [MQTT-3.1.2-3].
  EXPECT_EQ(rejection(0x10, s("\x00\x04MQTT\x04\x03\x00\x00\x00\x00", 12), kMqtt311), kMalformed);
  // Will QoS without the will flag [MQTT-3.1.2-11].
  EXPECT_EQ(rejection(0x10, s("\x00\x04MQTT\x04\x0A\x00\x00\x00\x00", 12), kMqtt311), kMalformed);
  // Will QoS 3.
  EXPECT_EQ(
      rejection(0x10, s("\x00\x04MQTT\x04\x1E\x00\x00\x00\x00\x00\x01t\x00\x00", 17), kMqtt311),
      kMalformed);
  // 3.1.1: password without user name [MQTT-3.1.2-22].
  EXPECT_EQ(rejection(0x10, s("\x00\x04MQTT\x04\x42\x00\x00\x00\x00\x00\x00", 14), kMqtt311),
            kProtocol);
  // Protocol name other than MQTT at level 4 [MQTT-3.1.2-1].
  EXPECT_EQ(rejection(0x10, s("\x00\x04MQTX\x04\x02\x00\x00\x00\x00", 12), kMqtt311), kProtocol);
  // Wildcard in the will topic.
  EXPECT_EQ(
      rejection(0x10, s("\x00\x04MQTT\x04\x06\x00\x00\x00\x00\x00\x01#\x00\x00", 17), kMqtt311),
      kProtocol);
}

TEST(Malformed, TruncatedAndTrailingBytes) {
  EXPECT_EQ(rejection(0x10, s("\x00\x04MQ", 4), kMqtt311), kMalformed);
  EXPECT_EQ(rejection(0x10, s("\x00\x04MQTT\x04\x02\x00\x00\x00\x00zz", 14), kMqtt311), kMalformed);
  EXPECT_EQ(rejection(0x40, s("\x00", 1), kMqtt311), kMalformed);
  EXPECT_EQ(rejection(0x40, s("\x00\x01\x00", 3), kMqtt311), kMalformed);  // 3.1.1 PUBACK is 2
  EXPECT_EQ(rejection(0xC0, "x", kMqtt311), kMalformed);
  EXPECT_EQ(rejection(0xE0, "x", kMqtt311), kMalformed);
  EXPECT_EQ(rejection(0x30,
                      s("\x00\x05"
                        "ab",
                        4),
                      kMqtt311),
            kMalformed);  // string past the end
}

TEST(Malformed, Utf8Rules) {
  // U+0000 [MQTT-1.5.4-2], a lone surrogate (ED A0 80), an overlong '/' (C0 AF), a bad
  // continuation byte: all in a PUBLISH topic.
  EXPECT_EQ(rejection(0x30,
                      s("\x00\x03"
                        "a\x00"
                        "b",
                        5),
                      kMqtt311),
            kMalformed);
  EXPECT_EQ(rejection(0x30, s("\x00\x03\xED\xA0\x80", 5), kMqtt311), kMalformed);
  EXPECT_EQ(rejection(0x30, s("\x00\x02\xC0\xAF", 4), kMqtt311), kMalformed);
  EXPECT_EQ(rejection(0x30, s("\x00\x02\xC3\x28", 4), kMqtt311), kMalformed);
  // Valid multi-byte UTF-8 passes.
  EXPECT_EQ(rejection(0x30, s("\x00\x04\xC3\xA9\xE2\x82", 6), kMqtt311), kMalformed);  // cut
  EXPECT_TRUE(decode_packet(0x30, s("\x00\x05\xC3\xA9\xE2\x82\xAC", 7), kMqtt311).ok());
}

TEST(Malformed, PublishRules) {
  EXPECT_EQ(rejection(0x36, s("\x00\x01t\x00\x01", 5), kMqtt311), kMalformed);  // QoS 3
  EXPECT_EQ(rejection(0x38, s("\x00\x01t", 3), kMqtt311), kMalformed);          // DUP on QoS 0
  EXPECT_EQ(rejection(0x32, s("\x00\x01t\x00\x00", 5), kMqtt311), kProtocol);   // packet id 0
  EXPECT_EQ(rejection(0x30,
                      s("\x00\x03"
                        "a/+",
                        5),
                      kMqtt311),
            kProtocol);  // wildcard
  EXPECT_EQ(rejection(0x30,
                      s("\x00\x03"
                        "a/#",
                        5),
                      kMqtt311),
            kProtocol);
  EXPECT_EQ(rejection(0x30, s("\x00\x00", 2), kMqtt311), kProtocol);    // empty topic
  EXPECT_EQ(rejection(0x30, s("\x00\x00\x00", 3), kMqtt5), kProtocol);  // empty, no alias
  EXPECT_EQ(rejection(0x30, s("\x00\x01t\x03\x23\x00\x00", 7), kMqtt5), kProtocol);  // alias 0
}

TEST(Malformed, PropertyRules) {
  // Unknown property identifier 0x7F.
  EXPECT_EQ(rejection(0x30, s("\x00\x01t\x02\x7F\x00", 6), kMqtt5), kMalformed);
  // Session Expiry (0x11) is not allowed in PUBLISH.
  EXPECT_EQ(rejection(0x30, s("\x00\x01t\x05\x11\x00\x00\x00\x01", 9), kMqtt5), kProtocol);
  // Payload Format Indicator given twice.
  EXPECT_EQ(rejection(0x30, s("\x00\x01t\x04\x01\x00\x01\x00", 8), kMqtt5), kProtocol);
  // Payload Format Indicator 2.
  EXPECT_EQ(rejection(0x30, s("\x00\x01t\x02\x01\x02", 6), kMqtt5), kProtocol);
  // Property length past the end of the packet.
  EXPECT_EQ(rejection(0x30, s("\x00\x01t\x09\x01\x00", 6), kMqtt5), kMalformed);
  // Receive Maximum 0 in CONNECT.
  EXPECT_EQ(rejection(0x10, s("\x00\x04MQTT\x05\x02\x00\x00\x03\x21\x00\x00\x00\x00", 16), kMqtt5),
            kProtocol);
  // Maximum Packet Size 0 in CONNECT.
  EXPECT_EQ(rejection(0x10, s("\x00\x04MQTT\x05\x02\x00\x00\x05\x27\x00\x00\x00\x00\x00\x00", 18),
                      kMqtt5),
            kProtocol);
  // Subscription Identifier 0 in SUBSCRIBE.
  EXPECT_EQ(rejection(0x82, s("\x00\x01\x02\x0B\x00\x00\x01t\x00", 9), kMqtt5), kProtocol);
}

TEST(Malformed, SubscribeRules) {
  EXPECT_EQ(rejection(0x82, s("\x00\x01", 2), kMqtt311), kProtocol);                  // no filter
  EXPECT_EQ(rejection(0x82, s("\x00\x01\x00\x01t\x03", 6), kMqtt311), kMalformed);    // QoS 3
  EXPECT_EQ(rejection(0x82, s("\x00\x01\x00\x01t\x04", 6), kMqtt311), kMalformed);    // reserved
  EXPECT_EQ(rejection(0x82, s("\x00\x01\x00\x00\x01t\xC0", 7), kMqtt5), kMalformed);  // reserved
  EXPECT_EQ(rejection(0x82, s("\x00\x01\x00\x00\x01t\x30", 7), kMqtt5), kProtocol);   // handling 3
  EXPECT_EQ(rejection(0x82, s("\x00\x00\x00\x01t\x00", 6), kMqtt311), kProtocol);     // id 0
  EXPECT_EQ(rejection(0xA2, s("\x00\x01", 2), kMqtt311), kProtocol);  // UNSUBSCRIBE, no filter
  EXPECT_EQ(rejection(0x82, s("\x00\x01\x00\x01t", 5), kMqtt311), kMalformed);  // no options
}

}  // namespace
}  // namespace citytwin::mqtt
