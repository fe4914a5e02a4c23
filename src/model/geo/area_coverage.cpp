#include "citytwin/model/geo/area_coverage.hpp"

#include <cmath>
#include <numbers>
#include <variant>

#include <boost/geometry/algorithms/area.hpp>
#include <boost/geometry/algorithms/correct.hpp>
#include <boost/geometry/algorithms/for_each.hpp>
#include <boost/geometry/algorithms/intersection.hpp>
#include <boost/geometry/algorithms/is_valid.hpp>
#include <boost/geometry/algorithms/union.hpp>

#include "geojson_geometry.hpp"

namespace citytwin::geo {
namespace {

namespace bg = boost::geometry;
using detail::MultiPolygon;
using detail::Point;

constexpr double kEarthRadiusM = 6'371'008.8;  // mean radius (IUGG)

// Degrees to metres east and north of a reference point (equirectangular).
struct LocalProjection {
  double lon0 = 0;
  double lat0 = 0;
  double metres_per_degree_x = 0;
  double metres_per_degree_y = 0;

  explicit LocalProjection(const BoundingBox& box)
      : lon0((box.min_x + box.max_x) / 2), lat0((box.min_y + box.max_y) / 2) {
    metres_per_degree_y = kEarthRadiusM * std::numbers::pi / 180;
    metres_per_degree_x = metres_per_degree_y * std::cos(lat0 * std::numbers::pi / 180);
  }

  MultiPolygon operator()(const MultiPolygon& lon_lat) const {
    MultiPolygon out = lon_lat;
    bg::for_each_point(out, [this](Point& point) {
      point.x((point.x() - lon0) * metres_per_degree_x);
      point.y((point.y() - lat0) * metres_per_degree_y);
    });
    bg::correct(out);
    return out;
  }
};

}  // namespace

Result<AreaCoverage> area_coverage(const boost::json::value& region,
                                   std::span<const boost::json::value> geometries) {
  auto read = detail::read_geojson(region);
  if (!read.ok()) return std::move(read).error();
  if (read->parts.size() != 1 || !std::holds_alternative<MultiPolygon>(read->parts.front())) {
    return make_error(ErrorKind::kBadRequestData, "the region must be a Polygon or MultiPolygon");
  }
  const LocalProjection project(detail::envelope(*read));
  const MultiPolygon area = project(std::get<MultiPolygon>(read->parts.front()));
  if (!bg::is_valid(area)) {
    return make_error(ErrorKind::kBadRequestData, "the region is not a valid polygon");
  }
  AreaCoverage coverage;
  coverage.region_m2 = bg::area(area);
  MultiPolygon covered;
  for (const boost::json::value& geojson : geometries) {
    auto geometry = detail::read_geojson(geojson);
    if (!geometry.ok()) {
      ++coverage.invalid;
      continue;
    }
    for (const detail::Shape& part : geometry->parts) {
      const auto* polygons = std::get_if<MultiPolygon>(&part);
      if (polygons == nullptr) {
        ++coverage.without_area;
        continue;
      }
      MultiPolygon projected = project(*polygons);
      if (!bg::is_valid(projected)) {
        ++coverage.invalid;
        continue;
      }
      MultiPolygon inside;
      bg::intersection(projected, area, inside);
      MultiPolygon merged;
      bg::union_(covered, inside, merged);
      covered = std::move(merged);
      ++coverage.polygons;
    }
  }
  coverage.covered_m2 = bg::area(covered);
  return coverage;
}

}  // namespace citytwin::geo
