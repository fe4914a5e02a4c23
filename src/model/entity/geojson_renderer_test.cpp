#include "citytwin/model/geojson_renderer.hpp"

#include <gtest/gtest.h>

#include "citytwin/model/entity_parser.hpp"
#include "fake_term_mapper.hpp"
#include "test_support.hpp"

namespace citytwin::model {
namespace {

using testing::iri;
using testing::json_of;
using testing::object_of;

class GeoJsonRendererTest : public ::testing::Test {
 protected:
  boost::json::object stored(std::string_view payload) const {
    auto result = parse_entity(object_of(payload), terms_, ParseOptions{});
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().detail);
    return result.ok() ? *result : boost::json::object{};
  }

  testing::FakeTermMapper terms_;
  RenderOptions options_;
};

constexpr std::string_view kSpot =
    R"({"id":"urn:a","type":"Spot","name":"A-13",
        "location":{"type":"Point","coordinates":[1,2]},
        "area":{"type":"GeoProperty","value":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}})";

TEST_F(GeoJsonRendererTest, RendersFeatureWithLocation) {
  options_.format = RepresentationFormat::kSimplified;
  EXPECT_EQ(render_feature(stored(kSpot), terms_, options_, iri("location")),
            object_of(R"({"id":"urn:a","type":"Feature",
                "geometry":{"type":"Point","coordinates":[1,2]},
                "properties":{"type":"Spot","name":"A-13",
                  "location":{"type":"Point","coordinates":[1,2]},
                  "area":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}})"));
}

TEST_F(GeoJsonRendererTest, UsesTheRequestedGeometryProperty) {
  const auto feature = render_feature(stored(kSpot), terms_, options_, iri("area"));
  EXPECT_EQ(feature.at("geometry").at("type"), "Polygon");
  EXPECT_EQ(feature.at("properties").at("name"), json_of(R"({"type":"Property","value":"A-13"})"));
}

TEST_F(GeoJsonRendererTest, GeometryIsNullWithoutGeoProperty) {
  EXPECT_TRUE(
      render_feature(stored(kSpot), terms_, options_, iri("name")).at("geometry").is_null());
  EXPECT_TRUE(
      render_feature(stored(kSpot), terms_, options_, iri("missing")).at("geometry").is_null());
}

TEST_F(GeoJsonRendererTest, GeometryFollowsDatasetIdThenDefaultInstance) {
  const auto entity = stored(R"({"id":"urn:a","type":"T","location":[
      {"value":{"type":"Point","coordinates":[9,9]},"datasetId":"urn:ds:1"},
      {"value":{"type":"Point","coordinates":[1,2]}}]})");
  EXPECT_EQ(render_feature(entity, terms_, options_, iri("location")).at("geometry"),
            json_of(R"({"type":"Point","coordinates":[1,2]})"));
  options_.dataset_id = "urn:ds:1";
  EXPECT_EQ(render_feature(entity, terms_, options_, iri("location")).at("geometry"),
            json_of(R"({"type":"Point","coordinates":[9,9]})"));
}

TEST_F(GeoJsonRendererTest, ContextGoesOnTheFeatureOrTheCollection) {
  options_.include_context = true;
  options_.context = "http://ctx";
  const auto feature = render_feature(stored(kSpot), terms_, options_, iri("location"));
  EXPECT_EQ(feature.at("@context"), "http://ctx");
  EXPECT_FALSE(feature.at("properties").as_object().contains("@context"));

  options_.include_context = false;
  const auto collection =
      make_feature_collection({render_feature(stored(kSpot), terms_, options_, iri("location"))},
                              boost::json::value("http://ctx"));
  EXPECT_EQ(collection.at("type"), "FeatureCollection");
  EXPECT_EQ(collection.at("features").as_array().size(), 1u);
  EXPECT_EQ(collection.at("@context"), "http://ctx");
  EXPECT_FALSE(make_feature_collection({}, std::nullopt).contains("@context"));
}

}  // namespace
}  // namespace citytwin::model
