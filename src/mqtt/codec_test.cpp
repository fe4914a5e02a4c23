// Round trips of every packet type through encode_packet / decode_packet, for MQTT 3.1.1
// and 5.0, plus byte-exact checks against packets written out by hand from the spec.
#include <gtest/gtest.h>

#include "citytwin/mqtt/packet.hpp"

namespace citytwin::mqtt {
namespace {

Packet round_trip(const Packet& packet, std::uint8_t version) {
  std::string bytes = encode_packet(packet, version);
  FixedHeader header;
  EXPECT_EQ(parse_fixed_header(bytes, header), FrameStatus::kComplete);
  EXPECT_EQ(header.header_bytes + header.remaining_length, bytes.size());
  auto decoded = decode_packet(header.first_byte,
                               std::string_view(bytes).substr(header.header_bytes), version);
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().detail);
  return decoded.ok() ? *decoded : Packet{Pingreq{}};
}

class CodecTest : public ::testing::TestWithParam<std::uint8_t> {};

TEST_P(CodecTest, ConnectRoundTrips) {
  Connect connect;
  connect.protocol_version = GetParam();
  connect.clean_start = false;
  connect.keep_alive = 30;
  connect.client_id = "sensor-17";
  connect.username = "user";
  connect.password = std::string("p\0ss", 4);
  Will will;
  will.topic = "/k/sensor-17/status";
  will.payload = "offline";
  will.qos = 1;
  will.retain = true;
  if (GetParam() == kMqtt5) {
    connect.properties.session_expiry_interval = 3600;
    connect.properties.receive_maximum = 10;
    connect.properties.user_properties = {{"a", "b"}, {"a", "c"}};
    will.properties.will_delay_interval = 5;
    will.properties.content_type = "text/plain";
  }
  connect.will = will;
  EXPECT_EQ(round_trip(connect, GetParam()), Packet{connect});
}

TEST_P(CodecTest, ConnackRoundTrips) {
  Connack connack;
  connack.session_present = true;
  connack.reason_code = GetParam() == kMqtt5 ? reason::kNotAuthorized : 5;
  if (GetParam() == kMqtt5) {
    connack.properties.receive_maximum = 64;
    connack.properties.maximum_packet_size = 1 << 20;
    connack.properties.assigned_client_identifier = "citytwin-1";
    connack.properties.retain_available = 1;
    connack.properties.reason_string = "why";
  }
  EXPECT_EQ(round_trip(connack, GetParam()), Packet{connack});
}

TEST_P(CodecTest, PublishRoundTripsAtEveryQos) {
  for (std::uint8_t qos = 0; qos <= 2; ++qos) {
    Publish publish;
    publish.qos = qos;
    publish.retain = qos == 1;
    publish.dup = qos == 2;
    publish.topic = "/key/dev/attrs";
    publish.packet_id = qos > 0 ? 513 : 0;
    publish.payload = std::string("{\"t\":1}\0x", 9);
    if (GetParam() == kMqtt5) {
      publish.properties.payload_format_indicator = 1;
      publish.properties.message_expiry_interval = 60;
      publish.properties.topic_alias = 3;
      publish.properties.response_topic = "reply/here";
      publish.properties.correlation_data = std::string("\x01\x00", 2);
    }
    EXPECT_EQ(round_trip(publish, GetParam()), Packet{publish}) << int(qos);
  }
}

TEST_P(CodecTest, PublishResponsesRoundTrip) {
  for (auto type :
       {PacketType::kPuback, PacketType::kPubrec, PacketType::kPubrel, PacketType::kPubcomp}) {
    PublishResponse response{type, 7, reason::kSuccess, {}};
    EXPECT_EQ(round_trip(response, GetParam()), Packet{response});
    if (GetParam() == kMqtt5) {
      response.reason_code = reason::kPacketIdentifierNotFound;
      EXPECT_EQ(round_trip(response, GetParam()), Packet{response});
      response.properties.reason_string = "no such id";
      EXPECT_EQ(round_trip(response, GetParam()), Packet{response});
    }
  }
}

TEST_P(CodecTest, SubscribeFamilyRoundTrips) {
  Subscribe subscribe;
  subscribe.packet_id = 9;
  subscribe.subscriptions.push_back({"/k/+/cmd", 1, false, false, 0});
  subscribe.subscriptions.push_back({"a/#", 2, false, false, 0});
  if (GetParam() == kMqtt5) {
    subscribe.subscriptions[1].no_local = true;
    subscribe.subscriptions[1].retain_as_published = true;
    subscribe.subscriptions[1].retain_handling = 2;
    subscribe.properties.user_properties = {{"x", "y"}};
  }
  EXPECT_EQ(round_trip(subscribe, GetParam()), Packet{subscribe});

  Suback suback{9, {}, {1, 2, 0x80}};
  EXPECT_EQ(round_trip(suback, GetParam()), Packet{suback});

  Unsubscribe unsubscribe{10, {}, {"/k/+/cmd", "a/#"}};
  EXPECT_EQ(round_trip(unsubscribe, GetParam()), Packet{unsubscribe});

  Unsuback unsuback{10, {}, {}};
  if (GetParam() == kMqtt5) unsuback.reason_codes = {0x00, 0x11};
  EXPECT_EQ(round_trip(unsuback, GetParam()), Packet{unsuback});
}

TEST_P(CodecTest, ControlPacketsRoundTrip) {
  EXPECT_EQ(round_trip(Pingreq{}, GetParam()), Packet{Pingreq{}});
  EXPECT_EQ(round_trip(Pingresp{}, GetParam()), Packet{Pingresp{}});
  Disconnect disconnect;
  EXPECT_EQ(round_trip(disconnect, GetParam()), Packet{disconnect});
  if (GetParam() == kMqtt5) {
    disconnect.reason_code = reason::kDisconnectWithWill;
    disconnect.properties.session_expiry_interval = 0;
    EXPECT_EQ(round_trip(disconnect, GetParam()), Packet{disconnect});
    Auth auth{0x18, {}};
    auth.properties.authentication_method = "SCRAM";
    EXPECT_EQ(round_trip(auth, GetParam()), Packet{auth});
  }
}

INSTANTIATE_TEST_SUITE_P(BothVersions, CodecTest, ::testing::Values(kMqtt311, kMqtt5),
                         [](const auto& info) { return info.param == kMqtt5 ? "v5" : "v311"; });

TEST(Codec, EncodesTheSpecExamples) {
  // 3.1.1 CONNECT, client id "a", clean session, keep-alive 60 (clause 3.1 layout).
  Connect connect;
  connect.protocol_version = kMqtt311;
  connect.keep_alive = 60;
  connect.client_id = "a";
  EXPECT_EQ(encode_packet(connect, kMqtt311),
            std::string("\x10\x0D\x00\x04MQTT\x04\x02\x00\x3C\x00\x01"
                        "a",
                        15));
  EXPECT_EQ(encode_packet(Pingreq{}, kMqtt5), std::string("\xC0\x00", 2));
  EXPECT_EQ(encode_packet(PublishResponse{PacketType::kPubrel, 1, 0, {}}, kMqtt5),
            std::string("\x62\x02\x00\x01", 4));
  // MQTT 5 CONNACK: flags, reason, property length 0.
  EXPECT_EQ(encode_packet(Connack{}, kMqtt5), std::string("\x20\x03\x00\x00\x00", 5));
}

TEST(Codec, RemainingLengthUsesVariableByteIntegers) {
  Publish publish;
  publish.topic = "t";
  publish.payload.assign(200, 'x');  // remaining length 203: two length bytes
  std::string bytes = encode_packet(publish, kMqtt311);
  EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0xCB);
  EXPECT_EQ(static_cast<unsigned char>(bytes[2]), 0x01);
  FixedHeader header;
  ASSERT_EQ(parse_fixed_header(bytes, header), FrameStatus::kComplete);
  EXPECT_EQ(header.remaining_length, 203u);
  EXPECT_EQ(header.header_bytes, 3u);
  EXPECT_EQ(parse_fixed_header(bytes.substr(0, 2), header), FrameStatus::kIncomplete);
  // The largest four-byte value (clause 1.5.5).
  EXPECT_EQ(parse_fixed_header(std::string("\x30\xFF\xFF\xFF\x7F", 5), header),
            FrameStatus::kComplete);
  EXPECT_EQ(header.remaining_length, 268'435'455u);
}

TEST(Codec, UnknownProtocolLevelIsReportedNotFailed) {
  std::string body(
      "\x00\x06MQIsdp\x03\x02\x00\x3C\x00\x01"
      "a",
      15);
  auto decoded = decode_packet(0x10, body, kMqtt311);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<Connect>(*decoded).protocol_version, 3);
}

}  // namespace
}  // namespace citytwin::mqtt
