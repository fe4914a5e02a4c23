// Area coverage against areas computed by hand on the local projection.
#include "citytwin/model/geo/area_coverage.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cmath>
#include <numbers>
#include <vector>

namespace citytwin::geo {
namespace {

// A lon/lat rectangle as a GeoJSON Polygon.
boost::json::value box(double west, double south, double east, double north) {
  return boost::json::parse(
      "{\"type\":\"Polygon\",\"coordinates\":[[[" + std::to_string(west) + "," +
      std::to_string(south) + "],[" + std::to_string(east) + "," + std::to_string(south) + "],[" +
      std::to_string(east) + "," + std::to_string(north) + "],[" + std::to_string(west) + "," +
      std::to_string(north) + "],[" + std::to_string(west) + "," + std::to_string(south) + "]]]}");
}

TEST(AreaCoverage, CountsOverlapsOnceAndOnlyInsideTheRegion) {
  // The region: 0.1 x 0.1 degrees at latitude 40.05 (centre).
  const auto region = box(2.0, 40.0, 2.1, 40.1);
  const std::vector<boost::json::value> parks = {
      box(2.00, 40.00, 2.02, 40.02),  // 4 % of the region
      box(2.01, 40.01, 2.03, 40.03),  // 4 %, a quarter of it overlapping the first: +3 %
      box(2.09, 40.09, 2.12, 40.12),  // 1 % inside, the rest outside
      boost::json::parse(R"({"type":"Point","coordinates":[2.05,40.05]})"),
      // self-crossing ("bow tie"): invalid, skipped
      boost::json::parse(
          R"({"type":"Polygon","coordinates":[[[2.04,40.04],[2.06,40.06],[2.06,40.04],[2.04,40.06],[2.04,40.04]]]})"),
  };
  auto coverage = area_coverage(region, parks);
  ASSERT_TRUE(coverage.ok()) << coverage.error().detail;
  EXPECT_NEAR(coverage->share(), 0.08, 1e-9);
  EXPECT_EQ(coverage->polygons, 3u);
  EXPECT_EQ(coverage->without_area, 1u);
  EXPECT_EQ(coverage->invalid, 1u);
  // 0.1 degree of latitude is 11.1 km; of longitude at 40.05 degrees, 8.5 km.
  const double metres_per_degree = 6'371'008.8 * std::numbers::pi / 180;
  const double expected =
      0.1 * metres_per_degree * 0.1 * metres_per_degree * std::cos(40.05 * std::numbers::pi / 180);
  EXPECT_NEAR(coverage->region_m2, expected, expected * 1e-9);
  EXPECT_NEAR(coverage->covered_m2, 0.08 * expected, expected * 1e-9);
}

TEST(AreaCoverage, NothingCoveredIsZeroAndABadRegionIsAnError) {
  auto empty = area_coverage(box(2.0, 40.0, 2.1, 40.1), {});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->share(), 0);
  auto point = area_coverage(boost::json::parse(R"({"type":"Point","coordinates":[2,40]})"), {});
  ASSERT_FALSE(point.ok());
  EXPECT_EQ(point.error().kind, ErrorKind::kBadRequestData);
}

}  // namespace
}  // namespace citytwin::geo
