#include "citytwin/ingest/cayenne_lpp.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace citytwin::ingest {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

const boost::json::value& field(const MeasureGroup& group, std::string_view name) {
  for (const auto& [key, value] : group.fields) {
    if (key == name) return value;
  }
  static const boost::json::value kMissing;
  ADD_FAILURE() << "no field " << name;
  return kMissing;
}

// The examples of the Cayenne LPP 1.0 documentation.
TEST(CayenneLppTest, TwoTemperatureSensors) {
  auto group = decode_cayenne_lpp(bytes({0x03, 0x67, 0x01, 0x10, 0x05, 0x67, 0x00, 0xFF}));
  ASSERT_TRUE(group.ok()) << group.error().detail;
  ASSERT_EQ(group->fields.size(), 2u);
  EXPECT_EQ(group->fields[0].first, "temperature_3");
  EXPECT_EQ(field(*group, "temperature_3"), boost::json::value(27.2));
  EXPECT_EQ(field(*group, "temperature_5"), boost::json::value(25.5));
}

TEST(CayenneLppTest, NegativeTemperatureAndAccelerometer) {
  auto group = decode_cayenne_lpp(
      bytes({0x01, 0x67, 0xFF, 0xD7, 0x06, 0x71, 0x04, 0xD2, 0xFB, 0x2E, 0x00, 0x00}));
  ASSERT_TRUE(group.ok()) << group.error().detail;
  EXPECT_EQ(field(*group, "temperature_1"), boost::json::value(-4.1));
  EXPECT_EQ(field(*group, "accelerometer_6"),
            boost::json::parse(R"({"x": 1.234, "y": -1.234, "z": 0.0})"));
}

TEST(CayenneLppTest, GpsIsAGeoJsonPoint) {
  auto group =
      decode_cayenne_lpp(bytes({0x01, 0x88, 0x06, 0x76, 0x5F, 0xF2, 0x96, 0x0A, 0x00, 0x03, 0xE8}));
  ASSERT_TRUE(group.ok()) << group.error().detail;
  const auto& point = field(*group, "gps_1").as_object();
  EXPECT_EQ(point.at("type"), "Point");
  const auto& coordinates = point.at("coordinates").as_array();
  EXPECT_DOUBLE_EQ(coordinates[0].as_double(), -87.9094);  // longitude first (GeoJSON)
  EXPECT_DOUBLE_EQ(coordinates[1].as_double(), 42.3519);
  EXPECT_DOUBLE_EQ(coordinates[2].as_double(), 10.0);
}

TEST(CayenneLppTest, EveryOtherType) {
  auto group = decode_cayenne_lpp(bytes({
      0x01, 0x00, 0x01,                                // digital in
      0x02, 0x01, 0x00,                                // digital out
      0x03, 0x02, 0xFF, 0x9C,                          // analog in -1.00
      0x04, 0x03, 0x01, 0x2C,                          // analog out 3.00
      0x05, 0x65, 0x01, 0x2C,                          // illuminance 300 lux
      0x06, 0x66, 0x01,                                // presence
      0x07, 0x68, 0x61,                                // humidity 48.5 %
      0x08, 0x73, 0x27, 0x7F,                          // barometer 1011.1 hPa
      0x09, 0x86, 0x00, 0x64, 0xFF, 0x9C, 0x00, 0x00,  // gyrometer 1, -1, 0 deg/s
  }));
  ASSERT_TRUE(group.ok()) << group.error().detail;
  EXPECT_EQ(field(*group, "digital_in_1"), boost::json::value(1));
  EXPECT_EQ(field(*group, "digital_out_2"), boost::json::value(0));
  EXPECT_EQ(field(*group, "analog_in_3"), boost::json::value(-1.0));
  EXPECT_EQ(field(*group, "analog_out_4"), boost::json::value(3.0));
  EXPECT_EQ(field(*group, "luminosity_5"), boost::json::value(300));
  EXPECT_EQ(field(*group, "presence_6"), boost::json::value(1));
  EXPECT_EQ(field(*group, "relative_humidity_7"), boost::json::value(48.5));
  EXPECT_EQ(field(*group, "barometric_pressure_8"), boost::json::value(1011.1));
  EXPECT_EQ(field(*group, "gyrometer_9"), boost::json::parse(R"({"x": 1.0, "y": -1.0, "z": 0.0})"));
}

TEST(CayenneLppTest, MalformedPayloadsAreRejected) {
  const std::string cases[] = {
      "",                                                       // empty
      bytes({0x01}),                                            // header cut
      bytes({0x01, 0x67, 0x01}),                                // value cut
      bytes({0x01, 0x42, 0x00}),                                // unknown type
      bytes({0x01, 0x67, 0x00, 0x01, 0x01, 0x67, 0x00, 0x02}),  // same channel and type twice
      bytes({0x01, 0x88, 0x0F, 0x42, 0x40, 0, 0, 0, 0, 0, 0}),  // latitude 100
      bytes({0x01, 0x88, 0, 0, 0, 0x1B, 0x77, 0x41, 0, 0, 0}),  // longitude 180.0001
  };
  for (const auto& payload : cases) {
    auto group = decode_cayenne_lpp(payload);
    ASSERT_FALSE(group.ok()) << "accepted " << payload.size() << " bytes";
    EXPECT_EQ(group.error().kind, ErrorKind::kBadRequestData);
  }
}

TEST(CayenneLppTest, FieldLimit) {
  std::string payload = bytes({0x01, 0x66, 0x01, 0x02, 0x66, 0x01});
  EXPECT_FALSE(decode_cayenne_lpp(payload, 1).ok());
  EXPECT_TRUE(decode_cayenne_lpp(payload, 2).ok());
}

}  // namespace
}  // namespace citytwin::ingest
