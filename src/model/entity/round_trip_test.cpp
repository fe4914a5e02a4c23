// Round trips of the Smart Data Models examples in testdata/ (see testdata/README.md).

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include "citytwin/model/entity_parser.hpp"
#include "citytwin/model/entity_renderer.hpp"
#include "fake_term_mapper.hpp"
#include "test_support.hpp"

namespace citytwin::model {
namespace {

boost::json::object load_fixture(const std::string& name) {
  std::ifstream file(std::string(CITYTWIN_ENTITY_TESTDATA) + "/" + name);
  EXPECT_TRUE(file.good()) << name;
  std::stringstream text;
  text << file.rdbuf();
  boost::json::object payload = boost::json::parse(text.str()).as_object();
  payload.erase("@context");
  return payload;
}

boost::json::object parse_ok(const boost::json::object& payload) {
  testing::FakeTermMapper terms;
  auto result = parse_entity(payload, terms, ParseOptions{});
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().detail);
  return result.ok() ? *result : boost::json::object{};
}

boost::json::object render(const boost::json::object& stored, RepresentationFormat format) {
  testing::FakeTermMapper terms;
  RenderOptions options;
  options.format = format;
  return render_entity(stored, terms, options);
}

class NormalizedRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(NormalizedRoundTrip, RendersBackTheOriginal) {
  const auto original = load_fixture(std::string(GetParam()) + ".normalized.jsonld");
  const auto stored = parse_ok(original);
  EXPECT_EQ(render(stored, RepresentationFormat::kNormalized), original)
      << boost::json::serialize(render(stored, RepresentationFormat::kNormalized));
}

// Concise is lossless: parsing the concise rendering gives the same stored entity.
TEST_P(NormalizedRoundTrip, ConciseIsLossless) {
  const auto stored = parse_ok(load_fixture(std::string(GetParam()) + ".normalized.jsonld"));
  const auto concise = render(stored, RepresentationFormat::kConcise);
  EXPECT_EQ(parse_ok(concise), stored) << boost::json::serialize(concise);
}

INSTANTIATE_TEST_SUITE_P(SmartDataModels, NormalizedRoundTrip,
                         ::testing::Values("AirQualityObserved", "Device", "DeviceMeasurement",
                                           "NoiseLevelObserved", "ParkingSpot", "Streetlight",
                                           "TrafficFlowObserved", "WasteContainer",
                                           "WaterQualityObserved", "WeatherObserved"));

class KeyValuesRoundTrip : public ::testing::TestWithParam<const char*> {};

// A keyValues body is read as concise; rendering it simplified gives it back.
TEST_P(KeyValuesRoundTrip, RendersBackTheOriginal) {
  const auto original = load_fixture(std::string(GetParam()) + ".keyvalues.jsonld");
  const auto stored = parse_ok(original);
  EXPECT_EQ(render(stored, RepresentationFormat::kSimplified), original);
}

INSTANTIATE_TEST_SUITE_P(SmartDataModels, KeyValuesRoundTrip,
                         ::testing::Values("AirQualityObserved", "Device", "DeviceMeasurement",
                                           "NoiseLevelObserved", "ParkingSpot",
                                           "WaterQualityObserved", "WeatherObserved"));

TEST(KeyValuesInference, LocationBecomesGeoProperty) {
  const auto stored = parse_ok(load_fixture("ParkingSpot.keyvalues.jsonld"));
  const auto& location = stored.at("attrs").at("https://example.org/location").as_array();
  EXPECT_EQ(location.front().at("type"), "GeoProperty");
}

// The normalized and keyValues examples of ParkingSpot describe the same entity except that
// keyValues cannot tell a Relationship from a URI-valued Property.
TEST(KeyValuesInference, SimplifiedOfNormalizedMatchesKeyValues) {
  const auto stored = parse_ok(load_fixture("ParkingSpot.normalized.jsonld"));
  EXPECT_EQ(render(stored, RepresentationFormat::kSimplified),
            load_fixture("ParkingSpot.keyvalues.jsonld"));
}

}  // namespace
}  // namespace citytwin::model
