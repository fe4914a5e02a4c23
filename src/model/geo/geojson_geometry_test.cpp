// Validation (validate_geometry) and bounding boxes of GeoJSON geometries (RFC 7946 clause 3.1).
#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "citytwin/model/geo/bounding_box.hpp"
#include "citytwin/model/geo/validation.hpp"

namespace citytwin::geo {
namespace {

namespace json = boost::json;

Status validate(const std::string& text) {
  return validate_geometry(json::parse(text));
}

// The detail of a rejected geometry; fails the test when the geometry is accepted.
std::string rejection(const std::string& text) {
  Status status = validate(text);
  EXPECT_FALSE(status.ok()) << text;
  if (status.ok()) return "";
  EXPECT_EQ(status.error().kind, ErrorKind::kBadRequestData);
  return status.error().detail;
}

TEST(ValidateGeometry, AcceptsEveryGeometryType) {
  const char* valid[] = {
      R"({"type":"Point","coordinates":[8.5,40.25]})",
      R"({"type":"Point","coordinates":[-180,-90,1200.5]})",
      R"({"type":"Point","coordinates":[180,90]})",
      R"({"type":"MultiPoint","coordinates":[[1,2],[3,4]]})",
      R"({"type":"LineString","coordinates":[[1,2],[3,4]]})",
      R"({"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6],[7,8],[9,9]]]})",
      R"({"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]})",
      // Clockwise exterior ring: accepted (RFC 7946 clause 3.1.6).
      R"({"type":"Polygon","coordinates":[[[0,0],[0,10],[10,10],[10,0],[0,0]]]})",
      // With a hole.
      R"({"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],
                                          [[2,2],[2,4],[4,4],[4,2],[2,2]]]})",
      R"({"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],
                                               [[[5,5],[6,5],[6,6],[5,5]]]]})",
      R"({"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},
          {"type":"LineString","coordinates":[[1,2],[3,4]]}]})",
      // Foreign members and bbox are ignored.
      R"({"type":"Point","coordinates":[1,2],"bbox":[1,2,1,2],"crs":"x"})",
  };
  for (const char* text : valid) EXPECT_TRUE(validate(text).ok()) << text;
}

TEST(ValidateGeometry, RejectsWrongShapes) {
  EXPECT_EQ(rejection(R"([1,2])"), "geometry: a GeoJSON geometry must be a JSON object");
  EXPECT_EQ(rejection(R"({"coordinates":[1,2]})"), "type: member is missing");
  EXPECT_EQ(rejection(R"({"type":7,"coordinates":[1,2]})"), "type: must be a string");
  EXPECT_EQ(rejection(R"({"type":"Circle","coordinates":[1,2]})"),
            "type: unknown geometry type 'Circle'");
  EXPECT_EQ(rejection(R"({"type":"point","coordinates":[1,2]})"),
            "type: unknown geometry type 'point'");
  EXPECT_EQ(rejection(R"({"type":"Feature","geometry":null})"),
            "type: unknown geometry type 'Feature'");
  EXPECT_EQ(rejection(R"({"type":"Point"})"), "coordinates: member is missing");
  EXPECT_EQ(rejection(R"({"type":"Point","coordinates":[[1,2],[3,4]]})"),
            "coordinates[0]: must be a finite number");
  EXPECT_EQ(rejection(R"({"type":"Point","coordinates":[1]})"),
            "coordinates: a position must have 2 or 3 numbers (longitude, latitude[, altitude])");
  EXPECT_EQ(rejection(R"({"type":"Point","coordinates":[1,2,3,4]})"),
            "coordinates: a position must have 2 or 3 numbers (longitude, latitude[, altitude])");
  EXPECT_EQ(rejection(R"({"type":"Point","coordinates":["1",2]})"),
            "coordinates[0]: must be a finite number");
  EXPECT_EQ(rejection(R"({"type":"Point","coordinates":[true,2]})"),
            "coordinates[0]: must be a finite number");
  EXPECT_EQ(rejection(R"({"type":"MultiPoint","coordinates":[1,2]})"),
            "coordinates[0]: a position must be an array of numbers");
  EXPECT_EQ(rejection(R"({"type":"MultiPoint","coordinates":[]})"),
            "coordinates: must have at least 1 position(s)");
  EXPECT_EQ(rejection(R"({"type":"LineString","coordinates":[[1,2]]})"),
            "coordinates: must have at least 2 position(s)");
  EXPECT_EQ(rejection(R"({"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[1,2]]]})"),
            "coordinates[1]: must have at least 2 position(s)");
  EXPECT_EQ(rejection(R"({"type":"MultiLineString","coordinates":[]})"),
            "coordinates: must be a non-empty array");
  EXPECT_EQ(rejection(R"({"type":"Polygon","coordinates":[[0,0],[1,0],[1,1],[0,0]]})"),
            "coordinates[0][0]: a position must be an array of numbers");
  EXPECT_EQ(rejection(R"({"type":"Polygon","coordinates":[]})"),
            "coordinates: must be a non-empty array");
  EXPECT_EQ(rejection(R"({"type":"MultiPolygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]})"),
            "coordinates[0][0][0]: a position must be an array of numbers");
  EXPECT_EQ(rejection(R"({"type":"GeometryCollection","geometries":[]})"),
            "geometries: must be a non-empty array");
  EXPECT_EQ(rejection(R"({"type":"GeometryCollection","geometries":[
                {"type":"Point","coordinates":[1,2]},{"type":"Point","coordinates":[1,200]}]})"),
            "geometries[1].coordinates: latitude 200.000000 is outside [-90, 90]");
}

TEST(ValidateGeometry, RejectsOutOfRangeCoordinates) {
  EXPECT_EQ(rejection(R"({"type":"Point","coordinates":[180.5,0]})"),
            "coordinates: longitude 180.500000 is outside [-180, 180]");
  EXPECT_EQ(rejection(R"({"type":"Point","coordinates":[-181,0]})"),
            "coordinates: longitude -181.000000 is outside [-180, 180]");
  EXPECT_EQ(rejection(R"({"type":"Point","coordinates":[0,90.001]})"),
            "coordinates: latitude 90.001000 is outside [-90, 90]");
  EXPECT_EQ(rejection(R"({"type":"LineString","coordinates":[[0,0],[0,-91]]})"),
            "coordinates[1]: latitude -91.000000 is outside [-90, 90]");
}

TEST(ValidateGeometry, RejectsNonFiniteNumbers) {
  json::value point = {{"type", "Point"}, {"coordinates", {std::nan(""), 1.0}}};
  EXPECT_FALSE(validate_geometry(point).ok());
  point.as_object()["coordinates"] = {1.0, std::numeric_limits<double>::infinity()};
  Status status = validate_geometry(point);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().detail, "coordinates[1]: must be a finite number");
}

TEST(ValidateGeometry, RejectsOpenOrShortRings) {
  EXPECT_EQ(rejection(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]})"),
            "coordinates[0]: polygon ring is not closed (first and last positions differ)");
  EXPECT_EQ(rejection(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]})"),
            "coordinates[0]: must have at least 4 position(s)");
  EXPECT_EQ(rejection(R"({"type":"Polygon","coordinates":[[[0,0],[9,0],[9,9],[0,0]],
                                                          [[1,1],[2,1],[2,2],[1,2]]]})"),
            "coordinates[1]: polygon ring is not closed (first and last positions differ)");
  EXPECT_EQ(rejection(R"({"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],
                                                               [[[0,0],[1,0],[1,1]]]]})"),
            "coordinates[1][0]: must have at least 4 position(s)");
}

TEST(ValidateGeometry, RejectsTooManyPositions) {
  json::array positions;
  for (std::size_t i = 0; i <= kMaxPositions; ++i) positions.push_back(json::array{0.0, 0.0});
  json::value multi_point = {{"type", "MultiPoint"}, {"coordinates", positions}};
  Status status = validate_geometry(multi_point);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().detail,
            "coordinates[100000]: the geometry has more than 100000 positions");
  positions.pop_back();
  multi_point.as_object()["coordinates"] = positions;
  EXPECT_TRUE(validate_geometry(multi_point).ok());
}

TEST(ValidateGeometry, RejectsDeeplyNestedCollections) {
  std::string text = R"({"type":"Point","coordinates":[1,2]})";
  for (int i = 0; i < 4; ++i) text = R"({"type":"GeometryCollection","geometries":[)" + text + "]}";
  EXPECT_TRUE(validate(text).ok());
  text = R"({"type":"GeometryCollection","geometries":[)" + text + "]}";
  EXPECT_FALSE(validate(text).ok());
}

TEST(BoundingBox, OfEachGeometryType) {
  auto box = [](const char* text) { return bounding_box(json::parse(text)); };
  EXPECT_EQ(box(R"({"type":"Point","coordinates":[8.5,40.25,100]})"),
            (BoundingBox{8.5, 40.25, 8.5, 40.25}));
  EXPECT_EQ(box(R"({"type":"MultiPoint","coordinates":[[1,5],[-3,2]]})"),
            (BoundingBox{-3, 2, 1, 5}));
  EXPECT_EQ(box(R"({"type":"LineString","coordinates":[[1,2],[3,-4]]})"),
            (BoundingBox{1, -4, 3, 2}));
  EXPECT_EQ(box(R"({"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[-5,6],[7,8]]]})"),
            (BoundingBox{-5, 2, 7, 8}));
  EXPECT_EQ(box(R"({"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]})"),
            (BoundingBox{0, 0, 10, 10}));
  EXPECT_EQ(box(R"({"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],
                                                         [[[5,5],[6,5],[6,7],[5,5]]]]})"),
            (BoundingBox{0, 0, 6, 7}));
  EXPECT_EQ(box(R"({"type":"GeometryCollection","geometries":[
                  {"type":"Point","coordinates":[-1,-2]},
                  {"type":"LineString","coordinates":[[1,2],[3,4]]}]})"),
            (BoundingBox{-1, -2, 3, 4}));
  EXPECT_EQ(box(R"({"type":"Point","coordinates":[200,0]})"), std::nullopt);
  EXPECT_EQ(box(R"("not a geometry")"), std::nullopt);
}

TEST(BoundingBox, IntersectsAndCovers) {
  BoundingBox a{0, 0, 10, 10};
  EXPECT_TRUE(intersects(a, BoundingBox{10, 10, 20, 20}));
  EXPECT_FALSE(intersects(a, BoundingBox{10.1, 0, 20, 10}));
  EXPECT_TRUE(covers(a, BoundingBox{1, 1, 10, 10}));
  EXPECT_FALSE(covers(a, BoundingBox{1, 1, 11, 10}));
}

}  // namespace
}  // namespace citytwin::geo
