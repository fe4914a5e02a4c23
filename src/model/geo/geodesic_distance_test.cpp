// Great-circle distances and circle boxes (geodesic_distance.hpp).
#include "geodesic_distance.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace citytwin::geo::detail {
namespace {

// One degree of arc on the WGS84 mean sphere: 2 * pi * R / 360.
constexpr double kMetresPerDegree = 111'195.08;

Geometry read(const char* text) {
  Result<Geometry> geometry = read_geojson(boost::json::parse(text));
  EXPECT_TRUE(geometry.ok()) << text;
  return geometry.ok() ? std::move(geometry).value() : Geometry{};
}

Shape shape(const char* text) {
  return read(text).parts.front();
}

TEST(GeodesicDistance, BetweenPoints) {
  Shape origin = shape(R"({"type":"Point","coordinates":[8,40]})");
  EXPECT_NEAR(*geodesic_distance(read(R"({"type":"Point","coordinates":[8,41]})"), origin),
              kMetresPerDegree, 1.0);
  EXPECT_DOUBLE_EQ(*geodesic_distance(read(R"({"type":"Point","coordinates":[8,40]})"), origin),
                   0.0);
  // Across the antimeridian the short way round: 2 degrees of longitude on the equator.
  Shape east = shape(R"({"type":"Point","coordinates":[179,0]})");
  EXPECT_NEAR(*geodesic_distance(read(R"({"type":"Point","coordinates":[-179,0]})"), east),
              2 * kMetresPerDegree, 2.0);
}

TEST(GeodesicDistance, FromPointToLineUsesTheClosestSegmentPoint) {
  Shape point = shape(R"({"type":"Point","coordinates":[5,1]})");
  // The segment's closest point is (5,0), not a vertex.
  Geometry line = read(R"({"type":"LineString","coordinates":[[0,0],[10,0]]})");
  EXPECT_NEAR(*geodesic_distance(line, point), kMetresPerDegree, 5.0);
}

TEST(GeodesicDistance, ZeroInsideAPolygonAndToItsEdgeOutside) {
  Geometry square =
      read(R"({"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]})");
  EXPECT_DOUBLE_EQ(*geodesic_distance(square, shape(R"({"type":"Point","coordinates":[5,5]})")),
                   0.0);
  // 1 degree south of the southern edge (which lies on the equator, a great circle).
  EXPECT_NEAR(*geodesic_distance(square, shape(R"({"type":"Point","coordinates":[5,-1]})")),
              kMetresPerDegree, 5.0);
  // Inside the hole is outside the polygon.
  Geometry holed = read(R"({"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],
                                                            [[2,2],[8,2],[8,8],[2,8],[2,2]]]})");
  double in_hole = *geodesic_distance(holed, shape(R"({"type":"Point","coordinates":[5,5]})"));
  EXPECT_GT(in_hole, 2.9 * kMetresPerDegree);
  EXPECT_LT(in_hole, 3.1 * kMetresPerDegree);
}

TEST(GeodesicDistance, BetweenCrossingAndSeparateLines) {
  Shape horizontal = shape(R"({"type":"LineString","coordinates":[[0,0],[10,0]]})");
  EXPECT_DOUBLE_EQ(
      *geodesic_distance(read(R"({"type":"LineString","coordinates":[[5,-5],[5,5]]})"), horizontal),
      0.0);
  EXPECT_NEAR(
      *geodesic_distance(read(R"({"type":"LineString","coordinates":[[5,2],[5,5]]})"), horizontal),
      2 * kMetresPerDegree, 10.0);
}

TEST(GeodesicDistance, OfACollectionIsItsNearestMember) {
  Geometry collection = read(R"({"type":"GeometryCollection","geometries":[
      {"type":"Point","coordinates":[0,10]},{"type":"Point","coordinates":[0,3]}]})");
  EXPECT_NEAR(*geodesic_distance(collection, shape(R"({"type":"Point","coordinates":[0,0]})")),
              3 * kMetresPerDegree, 3.0);
}

TEST(CircleBox, HoldsTheCircle) {
  BoundingBox box = circle_box(Point(8, 40), kMetresPerDegree);
  EXPECT_NEAR(box.min_y, 39, 1e-6);
  EXPECT_NEAR(box.max_y, 41, 1e-6);
  // Wider in longitude than in latitude away from the equator: about 1 / cos(40 deg).
  EXPECT_GT(box.max_x - 8, 1.30);
  EXPECT_LT(box.max_x - 8, 1.32);
  EXPECT_NEAR(box.min_x, 8 - (box.max_x - 8), 1e-9);
}

TEST(CircleBox, SpansAllLongitudesAtPolesAndTheAntimeridian) {
  BoundingBox polar = circle_box(Point(10, 89.5), kMetresPerDegree);
  EXPECT_EQ(polar.min_x, -180);
  EXPECT_EQ(polar.max_x, 180);
  EXPECT_EQ(polar.max_y, 90);
  EXPECT_NEAR(polar.min_y, 88.5, 1e-6);

  BoundingBox dateline = circle_box(Point(179.5, 0), kMetresPerDegree);
  EXPECT_EQ(dateline.min_x, -180);
  EXPECT_EQ(dateline.max_x, 180);
  EXPECT_NEAR(dateline.min_y, -1, 1e-6);

  BoundingBox everything = circle_box(Point(0, 0), 30'000'000);
  EXPECT_EQ(everything, (BoundingBox{-180, -90, 180, 90}));
}

}  // namespace
}  // namespace citytwin::geo::detail
