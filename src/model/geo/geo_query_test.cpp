// GeoQuery: parsing of geo-query parameters and objects, and evaluation of every georel
// (ETSI GS CIM 009 clause 4.10).
#include "citytwin/model/geo/geo_query.hpp"

#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "citytwin/model/geo/bounding_box.hpp"

namespace citytwin::geo {
namespace {

namespace json = boost::json;

// A query built from parameters. The tests below cannot go on without it, and a helper that
// returns a value cannot ASSERT, so a rejection reports the error and stops the binary.
GeoQuery query(std::string_view georel, std::string_view geometry, std::string_view coordinates) {
  Result<GeoQuery> result = GeoQuery::from_parameters(georel, geometry, coordinates, "");
  EXPECT_TRUE(result.ok()) << georel << " " << geometry << " " << coordinates << ": "
                           << (result.ok() ? "" : result.error().detail);
  if (!result.ok()) std::abort();
  return std::move(result).value();
}

Error rejection(std::string_view georel, std::string_view geometry, std::string_view coordinates) {
  Result<GeoQuery> result = GeoQuery::from_parameters(georel, geometry, coordinates, "");
  EXPECT_FALSE(result.ok()) << georel << " " << geometry << " " << coordinates;
  return result.ok() ? Error{} : std::move(result).error();
}

json::value point(double lon, double lat) {
  return {{"type", "Point"}, {"coordinates", {lon, lat}}};
}

json::value geojson(const char* text) {
  return json::parse(text);
}

// The unit square [0,10] x [0,10] as a query geometry.
constexpr const char* kSquare = "[[[0,0],[10,0],[10,10],[0,10],[0,0]]]";

// Stored geometries used to check that the search box never excludes a match.
std::vector<json::value> sample_geometries() {
  std::vector<json::value> samples;
  for (double lon = -20; lon <= 30; lon += 2.5) {
    for (double lat = -20; lat <= 30; lat += 2.5) samples.push_back(point(lon, lat));
  }
  for (const char* text : {
           R"({"type":"LineString","coordinates":[[-5,5],[15,5]]})",
           R"({"type":"LineString","coordinates":[[2,2],[3,3]]})",
           R"({"type":"LineString","coordinates":[[0,0],[10,0]]})",
           R"({"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]})",
           R"({"type":"Polygon","coordinates":[[[5,5],[15,5],[15,15],[5,15],[5,5]]]})",
           R"({"type":"Polygon","coordinates":[[[-10,-10],[20,-10],[20,20],[-10,20],[-10,-10]]]})",
           R"({"type":"Polygon","coordinates":[[[2,2],[4,2],[4,4],[2,4],[2,2]]]})",
           R"({"type":"MultiPoint","coordinates":[[1,1],[50,50]]})",
       }) {
    samples.push_back(json::parse(text));
  }
  return samples;
}

// search_box() must keep every geometry that matches (R-tree prefilter contract).
void expect_search_box_keeps_matches(const GeoQuery& q) {
  std::optional<BoundingBox> box = q.search_box();
  if (!box) return;
  for (const json::value& sample : sample_geometries()) {
    if (!q.matches(sample)) continue;
    std::optional<BoundingBox> sample_box = bounding_box(sample);
    ASSERT_TRUE(sample_box);
    EXPECT_TRUE(intersects(*box, *sample_box)) << json::serialize(sample);
  }
}

TEST(GeoQueryParse, FromParameters) {
  Result<GeoQuery> q =
      GeoQuery::from_parameters("near;maxDistance==2000", "Point", "[8.0,40.0]", "");
  ASSERT_TRUE(q.ok()) << q.error().detail;
  EXPECT_EQ(q->geoproperty(), "location");
  EXPECT_EQ(q->georel(), (Georel{GeoRelation::kNear, DistanceBound::kMaxDistance, 2000}));
  EXPECT_EQ(json::serialize(q->geometry()), R"({"type":"Point","coordinates":[8E0,4E1]})");

  Result<GeoQuery> within = GeoQuery::from_parameters("within", "Polygon", kSquare, "observedArea");
  ASSERT_TRUE(within.ok()) << within.error().detail;
  EXPECT_EQ(within->geoproperty(), "observedArea");
}

TEST(GeoQueryParse, FromJson) {
  Result<GeoQuery> q = GeoQuery::from_json(geojson(
      R"({"geometry":"Point","coordinates":[8,40],"georel":"near;minDistance==10",
          "geoproperty":"https://example.org/position"})"));
  ASSERT_TRUE(q.ok()) << q.error().detail;
  EXPECT_EQ(q->geoproperty(), "https://example.org/position");
  EXPECT_EQ(q->georel().bound, DistanceBound::kMinDistance);

  // Coordinates given as JSON text in a string; geoproperty defaulted.
  Result<GeoQuery> text = GeoQuery::from_json(
      geojson(R"({"geometry":"Polygon","coordinates":"[[[0,0],[10,0],[10,10],[0,10],[0,0]]]",
                  "georel":"intersects"})"));
  ASSERT_TRUE(text.ok()) << text.error().detail;
  EXPECT_EQ(text->geoproperty(), "location");
  EXPECT_TRUE(text->matches(point(5, 5)));
}

TEST(GeoQueryParse, RejectsSyntaxErrorsAsInvalidRequest) {
  EXPECT_EQ(rejection("inside", "Point", "[1,2]").kind, ErrorKind::kInvalidRequest);
  EXPECT_EQ(rejection("near;maxDistance==far", "Point", "[1,2]").kind, ErrorKind::kInvalidRequest);
  Error not_json = rejection("within", "Polygon", "[[[0,0],[1,0]");
  EXPECT_EQ(not_json.kind, ErrorKind::kInvalidRequest);
  EXPECT_TRUE(not_json.detail.starts_with("coordinates: not valid JSON text")) << not_json.detail;
  EXPECT_EQ(rejection("within", "Point", "8.0,40.0").kind, ErrorKind::kInvalidRequest);
}

TEST(GeoQueryParse, RejectsInvalidDataAsBadRequestData) {
  struct Case {
    const char* georel;
    const char* geometry;
    const char* coordinates;
    const char* detail;
  };
  const Case cases[] = {
      {"", "Point", "[1,2]", "georel: missing (required with a geometry)"},
      {"within", "", "[1,2]", "geometry: missing (required with georel)"},
      {"within", "Point", "",
       "coordinates: parameter is missing (required with georel and geometry)"},
      {"within", "Circle", "[1,2]",
       "geometry: 'Circle' is not one of Point, MultiPoint, LineString, MultiLineString, "
       "Polygon, MultiPolygon"},
      {"within", "GeometryCollection", "[1,2]",
       "geometry: 'GeometryCollection' is not one of Point, MultiPoint, LineString, "
       "MultiLineString, Polygon, MultiPolygon"},
      {"near;maxDistance==10", "Polygon", kSquare,
       "geometry: near requires a Point, got 'Polygon'"},
      {"within", "Point", R"({"lon":1})", "coordinates: must be a JSON array"},
      // geometry / coordinates mismatch
      {"within", "Polygon", "[1,2]", "coordinates[0]: must be an array of positions"},
      {"within", "Point", "[[1,2],[3,4]]", "coordinates[0]: must be a finite number"},
      {"within", "LineString", "[1,2]", "coordinates[0]: a position must be an array of numbers"},
      {"within", "Point", "[1,95]", "coordinates: latitude 95.000000 is outside [-90, 90]"},
      {"within", "Polygon", "[[[0,0],[1,0],[1,1],[0,1]]]",
       "coordinates[0]: polygon ring is not closed (first and last positions differ)"},
  };
  for (const Case& c : cases) {
    Error error = rejection(c.georel, c.geometry, c.coordinates);
    EXPECT_EQ(error.kind, ErrorKind::kBadRequestData) << c.detail;
    EXPECT_EQ(error.detail, c.detail);
  }
}

TEST(GeoQueryParse, RejectsBadGeoQueryObjects) {
  auto detail = [](const char* text) {
    Result<GeoQuery> q = GeoQuery::from_json(json::parse(text));
    EXPECT_FALSE(q.ok()) << text;
    return q.ok() ? std::string() : q.error().detail;
  };
  EXPECT_EQ(detail(R"([1])"), "geoQ: must be a JSON object");
  EXPECT_EQ(detail(R"({"geometry":"Point","georel":"within"})"),
            "geoQ.coordinates: member is missing");
  EXPECT_EQ(detail(R"({"geometry":"Point","coordinates":[1,2],"georel":5})"),
            "geoQ.georel: must be a string");
  EXPECT_EQ(detail(R"({"geometry":["Point"],"coordinates":[1,2],"georel":"within"})"),
            "geoQ.geometry: must be a string");
  EXPECT_EQ(detail(R"({"geometry":"Point","coordinates":[1,2],"georel":"within","geoproperty":1})"),
            "geoQ.geoproperty: must be a string");
  EXPECT_EQ(detail(R"({"geometry":"Point","coordinates":"[1,","georel":"within"})")
                .starts_with("coordinates: not valid JSON text"),
            true);
  EXPECT_EQ(detail(R"({"geometry":"Point","coordinates":[1,2]})"),
            "georel: missing (required with a geometry)");
}

TEST(GeoQueryNear, MaxDistanceBetweenPointsOneDegreeOfLatitudeApart) {
  // 1 degree of latitude is about 111.195 km on the WGS84 mean sphere.
  GeoQuery within_112km = query("near;maxDistance==112000", "Point", "[8.0,40.0]");
  GeoQuery within_110km = query("near;maxDistance==110000", "Point", "[8.0,40.0]");
  json::value north = point(8, 41);
  EXPECT_TRUE(within_112km.matches(north));
  EXPECT_FALSE(within_110km.matches(north));
  EXPECT_NEAR(within_112km.distance_meters(north), 111'195, 1.0);
  EXPECT_TRUE(within_112km.matches(point(8, 40)));
  expect_search_box_keeps_matches(within_112km);
  expect_search_box_keeps_matches(query("near;maxDistance==1500000", "Point", "[5,5]"));
}

// The R-tree filter on a point's own box agrees exactly with matches() on that point, and
// never drops a box with an extent (it cannot tell from the box alone).
TEST(GeoQueryNear, MayMatchBoxIsExactForPoints) {
  GeoQuery near = query("near;maxDistance==200", "Point", "[2.17,41.39]");
  for (int i = -40; i <= 40; ++i) {
    for (int j = -40; j <= 40; ++j) {
      double x = 2.17 + i * 0.0001;
      double y = 41.39 + j * 0.0001;
      EXPECT_EQ(near.may_match_box({x, y, x, y}), near.matches(point(x, y))) << x << "," << y;
    }
  }
  EXPECT_TRUE(near.may_match_box({2.0, 41.0, 2.1, 41.1}));
  GeoQuery far_only = query("near;minDistance==200", "Point", "[2.17,41.39]");
  EXPECT_TRUE(far_only.may_match_box({2.17, 41.39, 2.17, 41.39}));
}

TEST(GeoQueryNear, MinDistance) {
  GeoQuery far = query("near;minDistance==110000", "Point", "[8.0,40.0]");
  EXPECT_TRUE(far.matches(point(8, 41)));
  EXPECT_FALSE(far.matches(point(8, 40.5)));
  EXPECT_FALSE(far.search_box());
}

TEST(GeoQueryNear, MeasuresToTheNearestPartOfLinesAndPolygons) {
  GeoQuery near = query("near;maxDistance==1000", "Point", "[5,5]");
  // The point is inside the polygon: distance 0.
  json::value square =
      geojson(R"({"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]})");
  EXPECT_EQ(near.distance_meters(square), 0.0);
  EXPECT_TRUE(near.matches(square));
  // A meridian segment (a great circle) 0.005 degrees of longitude east of the point, its
  // vertices far away: 0.005 * 111195 m * cos(5 deg), about 553.9 m.
  json::value line = geojson(R"({"type":"LineString","coordinates":[[5.005,0],[5.005,10]]})");
  EXPECT_NEAR(near.distance_meters(line), 553.9, 1);
  EXPECT_TRUE(near.matches(line));
  EXPECT_FALSE(query("near;maxDistance==500", "Point", "[5,5]").matches(line));
}

TEST(GeoQueryNear, SearchBoxNearThePoleAndTheAntimeridian) {
  GeoQuery polar = query("near;maxDistance==200000", "Point", "[0,89.5]");
  EXPECT_TRUE(polar.matches(point(180, 89.5)));  // across the pole, about 111 km away
  std::optional<BoundingBox> polar_box = polar.search_box();
  ASSERT_TRUE(polar_box);
  EXPECT_TRUE(covers(*polar_box, BoundingBox{180, 89.5, 180, 89.5}));

  GeoQuery dateline = query("near;maxDistance==200000", "Point", "[179.9,10]");
  EXPECT_TRUE(dateline.matches(point(-179.9, 10)));
  std::optional<BoundingBox> dateline_box = dateline.search_box();
  ASSERT_TRUE(dateline_box);
  EXPECT_TRUE(covers(*dateline_box, BoundingBox{-179.9, 10, -179.9, 10}));
}

TEST(GeoQueryWithin, PointsAndShapesInsideAPolygon) {
  GeoQuery q = query("within", "Polygon", kSquare);
  EXPECT_TRUE(q.matches(point(5, 5)));
  EXPECT_FALSE(q.matches(point(15, 5)));
  EXPECT_FALSE(q.matches(point(0, 5)));  // on the boundary: not within (OGC)
  EXPECT_TRUE(q.matches(geojson(R"({"type":"LineString","coordinates":[[2,2],[3,3]]})")));
  EXPECT_FALSE(q.matches(geojson(R"({"type":"LineString","coordinates":[[-5,5],[15,5]]})")));
  EXPECT_TRUE(
      q.matches(geojson(R"({"type":"Polygon","coordinates":[[[2,2],[4,2],[4,4],[2,4],[2,2]]]})")));
  EXPECT_FALSE(q.matches(geojson(R"({"type":"MultiPoint","coordinates":[[1,1],[50,50]]})")));
  EXPECT_EQ(q.search_box(), (BoundingBox{0, 0, 10, 10}));
  expect_search_box_keeps_matches(q);
}

TEST(GeoQueryContains, StoredGeometryContainsTheQueryGeometry) {
  GeoQuery q = query("contains", "Point", "[5,5]");
  EXPECT_TRUE(q.matches(
      geojson(R"({"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]})")));
  EXPECT_FALSE(
      q.matches(geojson(R"({"type":"Polygon","coordinates":[[[6,6],[9,6],[9,9],[6,9],[6,6]]]})")));
  EXPECT_FALSE(q.matches(point(5, 6)));
  GeoQuery line = query("contains", "LineString", "[[1,1],[2,2]]");
  EXPECT_TRUE(line.matches(
      geojson(R"({"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]})")));
  EXPECT_FALSE(line.matches(
      geojson(R"({"type":"Polygon","coordinates":[[[1.5,0],[10,0],[10,10],[1.5,10],[1.5,0]]]})")));
  expect_search_box_keeps_matches(q);
  expect_search_box_keeps_matches(line);
}

TEST(GeoQueryIntersects, LinesCrossingAndPolygonsTouching) {
  GeoQuery q = query("intersects", "LineString", "[[5,-5],[5,5]]");
  EXPECT_TRUE(q.matches(geojson(R"({"type":"LineString","coordinates":[[0,0],[10,0]]})")));
  EXPECT_FALSE(q.matches(geojson(R"({"type":"LineString","coordinates":[[0,6],[10,6]]})")));
  EXPECT_TRUE(q.matches(point(5, 0)));
  EXPECT_FALSE(q.matches(point(6, 0)));
  GeoQuery square = query("intersects", "Polygon", kSquare);
  EXPECT_TRUE(square.matches(
      geojson(R"({"type":"Polygon","coordinates":[[[10,10],[20,10],[20,20],[10,20],[10,10]]]})")));
  EXPECT_FALSE(square.matches(
      geojson(R"({"type":"Polygon","coordinates":[[[11,11],[20,11],[20,20],[11,20],[11,11]]]})")));
  EXPECT_TRUE(square.matches(geojson(R"({"type":"GeometryCollection","geometries":[
      {"type":"Point","coordinates":[50,50]},{"type":"Point","coordinates":[5,5]}]})")));
  expect_search_box_keeps_matches(q);
  expect_search_box_keeps_matches(square);
}

TEST(GeoQueryDisjoint, NothingInCommon) {
  GeoQuery q = query("disjoint", "Polygon", kSquare);
  EXPECT_TRUE(q.matches(point(15, 5)));
  EXPECT_FALSE(q.matches(point(5, 5)));
  EXPECT_FALSE(q.matches(point(10, 5)));  // on the boundary
  EXPECT_FALSE(q.matches(geojson(R"({"type":"LineString","coordinates":[[-5,5],[15,5]]})")));
  EXPECT_FALSE(q.search_box());
}

TEST(GeoQueryEquals, SameGeometry) {
  GeoQuery q = query("equals", "Point", "[8.5,40.25]");
  EXPECT_TRUE(q.matches(point(8.5, 40.25)));
  EXPECT_TRUE(q.matches(geojson(R"({"type":"Point","coordinates":[8.5,40.25,300]})")));
  EXPECT_FALSE(q.matches(point(8.5, 40.26)));
  GeoQuery square = query("equals", "Polygon", kSquare);
  // Same polygon, other start vertex and orientation.
  EXPECT_TRUE(square.matches(
      geojson(R"({"type":"Polygon","coordinates":[[[10,10],[10,0],[0,0],[0,10],[10,10]]]})")));
  EXPECT_FALSE(square.matches(
      geojson(R"({"type":"Polygon","coordinates":[[[0,0],[11,0],[11,10],[0,10],[0,0]]]})")));
  expect_search_box_keeps_matches(q);
  expect_search_box_keeps_matches(square);
}

TEST(GeoQueryOverlaps, SameDimensionPartlyShared) {
  GeoQuery q = query("overlaps", "Polygon", kSquare);
  EXPECT_TRUE(q.matches(
      geojson(R"({"type":"Polygon","coordinates":[[[5,5],[15,5],[15,15],[5,15],[5,5]]]})")));
  // Contained, or only touching, or of another dimension: no overlap.
  EXPECT_FALSE(
      q.matches(geojson(R"({"type":"Polygon","coordinates":[[[2,2],[4,2],[4,4],[2,4],[2,2]]]})")));
  EXPECT_FALSE(q.matches(
      geojson(R"({"type":"Polygon","coordinates":[[[10,0],[20,0],[20,10],[10,10],[10,0]]]})")));
  EXPECT_FALSE(q.matches(geojson(R"({"type":"LineString","coordinates":[[-5,5],[15,5]]})")));
  GeoQuery line = query("overlaps", "LineString", "[[0,0],[10,0]]");
  EXPECT_TRUE(line.matches(geojson(R"({"type":"LineString","coordinates":[[5,0],[15,0]]})")));
  EXPECT_FALSE(line.matches(geojson(R"({"type":"LineString","coordinates":[[5,-5],[5,5]]})")));
  expect_search_box_keeps_matches(q);
  expect_search_box_keeps_matches(line);
}

TEST(GeoQueryRobustness, InvalidStoredValuesNeverMatch) {
  for (const char* georel : {"within", "contains", "intersects", "disjoint", "equals", "overlaps",
                             "near;maxDistance==1000", "near;minDistance==1"}) {
    GeoQuery q = query(georel, "Point", "[5,5]");
    EXPECT_FALSE(q.matches(json::value("Point"))) << georel;
    EXPECT_FALSE(q.matches(geojson(R"({"type":"Point","coordinates":[500,5]})"))) << georel;
    EXPECT_FALSE(q.matches(json::value())) << georel;
  }
  EXPECT_EQ(query("near;maxDistance==1", "Point", "[5,5]").distance_meters(json::value(1)),
            std::numeric_limits<double>::infinity());
}

TEST(GeoQueryRobustness, SelfIntersectingPolygonsDoNotThrow) {
  // A bow tie: valid GeoJSON shape, invalid topology.
  const char* bow_tie = R"({"type":"Polygon","coordinates":[[[0,0],[10,10],[10,0],[0,10],[0,0]]]})";
  for (const char* georel :
       {"within", "contains", "intersects", "disjoint", "equals", "overlaps"}) {
    GeoQuery q = query(georel, "Polygon", kSquare);
    EXPECT_NO_THROW((void)q.matches(geojson(bow_tie))) << georel;
    GeoQuery bow = query(georel, "Polygon", "[[[0,0],[10,10],[10,0],[0,10],[0,0]]]");
    EXPECT_NO_THROW((void)bow.matches(
        geojson(R"({"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,2],[1,1]]]})")));
  }
  EXPECT_NO_THROW(
      (void)query("near;maxDistance==10", "Point", "[5,5]").distance_meters(geojson(bow_tie)));
}

}  // namespace
}  // namespace citytwin::geo
