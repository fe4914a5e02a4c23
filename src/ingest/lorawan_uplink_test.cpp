#include "citytwin/ingest/lorawan_uplink.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

namespace citytwin::ingest {
namespace {

// The recorded webhook bodies the black-box tests post too (tests/api/data/lorawan).
std::string recorded(const std::string& name) {
  std::ifstream in(std::string(CITYTWIN_LORAWAN_DATA_DIR) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

boost::json::value field(const LorawanUplink& uplink, std::string_view name) {
  for (const auto& [key, value] : uplink.measures.fields) {
    if (key == name) return value;
  }
  return nullptr;
}

TEST(LorawanUplinkTest, ChirpStackRawPayloadIsCayenneLpp) {
  auto uplink =
      parse_lorawan_uplink(LorawanNetwork::kChirpStack, recorded("chirpstack_up_cayenne.json"));
  ASSERT_TRUE(uplink.ok()) << uplink.error().detail;
  EXPECT_EQ(uplink->device_id, "park-sensor-7");
  EXPECT_EQ(uplink->dev_eui, "0101010101010101");
  EXPECT_EQ(uplink->device_profile, "Cayenne THP");
  EXPECT_EQ(format_date_time(*uplink->received_at), "2026-12-04T10:15:30.123456Z");
  // The better of the two gateways.
  EXPECT_EQ(uplink->rssi, -57);
  EXPECT_EQ(uplink->snr, 10.25);
  EXPECT_EQ(field(*uplink, "temperature_1"), boost::json::value(21.5));
  EXPECT_EQ(field(*uplink, "relative_humidity_2"), boost::json::value(48.5));
  EXPECT_TRUE(field(*uplink, "gps_3").is_object());
  EXPECT_EQ(field(*uplink, "rssi"), boost::json::value(-57.0));
  EXPECT_EQ(uplink->measures.observed_at, uplink->received_at);
}

TEST(LorawanUplinkTest, ChirpStackDecodedObjectWinsOverRawData) {
  auto uplink =
      parse_lorawan_uplink(LorawanNetwork::kChirpStack, recorded("chirpstack_up_object.json"));
  ASSERT_TRUE(uplink.ok()) << uplink.error().detail;
  EXPECT_EQ(field(*uplink, "soil_moisture"), boost::json::value(31.7));
  EXPECT_TRUE(field(*uplink, "temperature_1").is_null());
  EXPECT_EQ(field(*uplink, "snr"), boost::json::value(-3.5));
}

TEST(LorawanUplinkTest, TheThingsStackDecodedPayload) {
  auto uplink =
      parse_lorawan_uplink(LorawanNetwork::kTheThingsStack, recorded("tts_up_decoded.json"));
  ASSERT_TRUE(uplink.ok()) << uplink.error().detail;
  EXPECT_EQ(uplink->device_id, "eui-70b3d57ed0051a2b");
  EXPECT_EQ(uplink->dev_eui, "70b3d57ed0051a2b");
  EXPECT_EQ(uplink->device_profile, "air-quality-node");
  // uplink_message.received_at (the Network Server's), nanoseconds cut to microseconds.
  EXPECT_EQ(format_date_time(*uplink->received_at), "2026-12-04T11:00:00.765432Z");
  EXPECT_EQ(field(*uplink, "temperature_1"), boost::json::value(21.5));
  EXPECT_EQ(uplink->rssi, -71);
  EXPECT_EQ(uplink->snr, 9.75);
}

TEST(LorawanUplinkTest, TheThingsStackFrmPayloadIsCayenneLpp) {
  auto uplink =
      parse_lorawan_uplink(LorawanNetwork::kTheThingsStack, recorded("tts_up_cayenne.json"));
  ASSERT_TRUE(uplink.ok()) << uplink.error().detail;
  EXPECT_EQ(uplink->device_profile, "");
  EXPECT_EQ(field(*uplink, "relative_humidity_2"), boost::json::value(48.5));
  EXPECT_EQ(field(*uplink, "rssi"), boost::json::value(-88.0));
}

TEST(LorawanUplinkTest, MeasuresJsonCarriesTheReceptionTime) {
  auto uplink =
      parse_lorawan_uplink(LorawanNetwork::kTheThingsStack, recorded("tts_up_cayenne.json"));
  ASSERT_TRUE(uplink.ok());
  auto json = boost::json::parse(lorawan_measures_json(*uplink)).as_object();
  EXPECT_EQ(json.at("TimeInstant"), "2026-12-04T11:05:00.000Z");
  EXPECT_EQ(json.at("temperature_1"), boost::json::value(21.5));
}

TEST(LorawanUplinkTest, BadBodiesAreErrorsNamingTheMember) {
  struct Case {
    LorawanNetwork network;
    const char* body;
    ErrorKind kind;
  };
  const Case cases[] = {
      {LorawanNetwork::kChirpStack, "{", ErrorKind::kInvalidRequest},
      {LorawanNetwork::kChirpStack, "[]", ErrorKind::kBadRequestData},
      {LorawanNetwork::kChirpStack, R"({"data": "AWcA1w=="})", ErrorKind::kBadRequestData},
      {LorawanNetwork::kChirpStack, R"({"deviceInfo": {"devEui": "01zz"}})",
       ErrorKind::kBadRequestData},
      {LorawanNetwork::kChirpStack, R"({"deviceInfo": {"devEui": 5}})", ErrorKind::kBadRequestData},
      {LorawanNetwork::kChirpStack, R"({"deviceInfo": {"deviceName": "a"}, "data": "A*=="})",
       ErrorKind::kBadRequestData},
      {LorawanNetwork::kChirpStack, R"({"deviceInfo": {"deviceName": "a"}, "data": "AWc="})",
       ErrorKind::kBadRequestData},  // truncated CayenneLPP
      {LorawanNetwork::kChirpStack, R"({"deviceInfo": {"deviceName": "a"}, "object": [1]})",
       ErrorKind::kBadRequestData},
      {LorawanNetwork::kChirpStack, R"({"deviceInfo": {"deviceName": "a"}, "time": "noon"})",
       ErrorKind::kBadRequestData},
      {LorawanNetwork::kTheThingsStack, R"({"uplink_message": {"frm_payload": "AWcA1w=="}})",
       ErrorKind::kBadRequestData},
      // Found by the fuzz smoke pass: an empty field name passed here and was refused later.
      {LorawanNetwork::kChirpStack, R"({"deviceInfo": {"deviceName": "a"}, "object": {"": 1}})",
       ErrorKind::kBadRequestData},
  };
  for (const auto& c : cases) {
    auto uplink = parse_lorawan_uplink(c.network, c.body);
    ASSERT_FALSE(uplink.ok()) << c.body;
    EXPECT_EQ(uplink.error().kind, c.kind) << c.body;
    EXPECT_FALSE(uplink.error().detail.empty());
  }
  LorawanLimits small;
  small.max_body_bytes = 4;
  EXPECT_EQ(parse_lorawan_uplink(LorawanNetwork::kChirpStack, "{}   ", small).error().kind,
            ErrorKind::kPayloadTooLarge);
}

TEST(LorawanUplinkTest, TheThingsStackOtherMessagesAreNotUplinks) {
  auto join = parse_lorawan_uplink(
      LorawanNetwork::kTheThingsStack,
      R"({"end_device_ids": {"device_id": "d1"}, "join_accept": {"session_key_id": "AX"}})");
  ASSERT_TRUE(join.ok()) << join.error().detail;
  EXPECT_FALSE(join->is_uplink);
  EXPECT_TRUE(join->measures.fields.empty());
}

TEST(LorawanUplinkTest, ChirpStackStatusIsTheBatteryLevel) {
  auto status = parse_chirpstack_status(
      R"({"time": "2026-12-04T10:00:00Z", "deviceInfo": {"devEui": "0101010101010101"},
          "margin": 7, "batteryLevel": 87.5})");
  ASSERT_TRUE(status.ok()) << status.error().detail;
  EXPECT_EQ(status->dev_eui, "0101010101010101");
  EXPECT_EQ(field(*status, "batteryLevel"), boost::json::value(87.5));
  auto mains = parse_chirpstack_status(
      R"({"deviceInfo": {"devEui": "0101010101010101"}, "externalPowerSource": true,
          "batteryLevel": 0})");
  ASSERT_TRUE(mains.ok());
  EXPECT_TRUE(mains->measures.fields.empty());
  EXPECT_FALSE(parse_chirpstack_status(
                   R"({"deviceInfo": {"devEui": "0101010101010101"}, "batteryLevel": 101})")
                   .ok());
  EXPECT_FALSE(parse_chirpstack_status(R"({"batteryLevel": 50})").ok());
}

TEST(LorawanUplinkTest, ProfileSegment) {
  EXPECT_EQ(lorawan_profile_segment("Dragino LHT65 (v1.8)"), "Dragino_LHT65__v1_8_");
  EXPECT_EQ(lorawan_profile_segment("air_quality"), "air_quality");
}

}  // namespace
}  // namespace citytwin::ingest
