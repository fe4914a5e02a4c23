#include "geodesic_distance.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <numbers>
#include <variant>
#include <vector>

#include <boost/geometry/algorithms/distance.hpp>
#include <boost/geometry/algorithms/for_each.hpp>
#include <boost/geometry/core/cs.hpp>
#include <boost/geometry/geometries/point.hpp>
#include <boost/geometry/strategies/spherical/distance_cross_track.hpp>
#include <boost/geometry/strategies/spherical/distance_haversine.hpp>

#include "spatial_relation.hpp"

namespace citytwin::geo::detail {
namespace {

namespace bg = boost::geometry;

using SphericalPoint = bg::model::point<double, 2, bg::cs::spherical_equatorial<bg::degree>>;
using SphericalLines = bg::model::multi_linestring<bg::model::linestring<SphericalPoint>>;

// A shape seen as what distances are measured to: isolated points and great-circle polylines
// (polygon rings included; the inside is handled by the intersection test beforehand).
struct Targets {
  std::vector<SphericalPoint> points;
  SphericalLines lines;
};

SphericalPoint to_spherical(const Point& p) {
  return SphericalPoint(p.x(), p.y());
}

bg::model::linestring<SphericalPoint> to_spherical_line(const auto& range) {
  bg::model::linestring<SphericalPoint> line;
  for (const Point& p : range) line.push_back(to_spherical(p));
  return line;
}

Targets targets_of(const Shape& shape) {
  Targets targets;
  if (const auto* points = std::get_if<MultiPoint>(&shape)) {
    for (const Point& p : *points) targets.points.push_back(to_spherical(p));
  } else if (const auto* lines = std::get_if<MultiLineString>(&shape)) {
    for (const LineString& line : *lines) targets.lines.push_back(to_spherical_line(line));
  } else {
    for (const Polygon& polygon : std::get<MultiPolygon>(shape)) {
      targets.lines.push_back(to_spherical_line(polygon.outer()));
      for (const auto& ring : polygon.inners()) targets.lines.push_back(to_spherical_line(ring));
    }
  }
  return targets;
}

std::vector<SphericalPoint> vertices_of(const Shape& shape) {
  std::vector<SphericalPoint> vertices;
  std::visit(
      [&vertices](const auto& geometry) {
        bg::for_each_point(geometry,
                           [&vertices](const Point& p) { vertices.push_back(to_spherical(p)); });
      },
      shape);
  return vertices;
}

// Metres from a point to the nearest of the targets (haversine to points, cross-track to
// great-circle segments).
double distance_to(const SphericalPoint& from, const Targets& targets) {
  const bg::strategy::distance::haversine<double> haversine(kEarthRadiusM);
  const bg::strategy::distance::cross_track<double> cross_track(kEarthRadiusM);
  double best = std::numeric_limits<double>::infinity();
  for (const SphericalPoint& p : targets.points)
    best = std::min(best, bg::distance(from, p, haversine));
  if (!targets.lines.empty()) best = std::min(best, bg::distance(from, targets.lines, cross_track));
  return best;
}

// Two shapes that do not intersect are closest at a vertex of one of them: for points and
// great-circle segments shorter than half a great circle, the distance between two disjoint
// segments is reached at an endpoint.
double disjoint_distance(const Shape& a, const Shape& b) {
  const Targets targets_a = targets_of(a);
  const Targets targets_b = targets_of(b);
  double best = std::numeric_limits<double>::infinity();
  for (const SphericalPoint& v : vertices_of(a)) best = std::min(best, distance_to(v, targets_b));
  for (const SphericalPoint& v : vertices_of(b)) best = std::min(best, distance_to(v, targets_a));
  return best;
}

std::optional<double> shape_distance(const Shape& a, const Shape& b) {
  std::optional<bool> touching = shapes_intersect(a, b);
  if (!touching) return std::nullopt;
  if (*touching) return 0.0;
  try {
    return disjoint_distance(a, b);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<double> geodesic_distance(const Geometry& geometry, const Shape& shape) {
  std::optional<double> best;
  for (const Shape& part : geometry.parts) {
    std::optional<double> d = shape_distance(part, shape);
    if (d && (!best || *d < *best)) best = d;
  }
  return best;
}

BoundingBox circle_box(const Point& center, double radius_m) {
  constexpr double kDegrees = 180.0 / std::numbers::pi;
  // A little slack so that rounding in the box never excludes a point the distance test keeps.
  constexpr double kSlackDegrees = 1e-7;
  const BoundingBox world{-180.0, -90.0, 180.0, 90.0};
  const double angular = radius_m / kEarthRadiusM;  // radians
  if (angular >= std::numbers::pi) return world;
  const double lat = center.y() / kDegrees;
  const double min_lat = (lat - angular) * kDegrees - kSlackDegrees;
  const double max_lat = (lat + angular) * kDegrees + kSlackDegrees;
  if (min_lat <= -90.0 || max_lat >= 90.0) {
    // The cap holds a pole, hence every longitude.
    return BoundingBox{-180.0, std::max(min_lat, -90.0), 180.0, std::min(max_lat, 90.0)};
  }
  // Widest longitude reach of a spherical cap of angular radius r at latitude lat:
  // asin(sin r / cos lat) (the cap is tangent to two meridians there).
  const double ratio = std::min(1.0, std::sin(angular) / std::cos(lat));
  const double half_width = std::asin(ratio) * kDegrees + kSlackDegrees;
  const double min_lon = center.x() - half_width;
  const double max_lon = center.x() + half_width;
  if (min_lon < -180.0 || max_lon > 180.0) return BoundingBox{-180.0, min_lat, 180.0, max_lat};
  return BoundingBox{min_lon, min_lat, max_lon, max_lat};
}

}  // namespace citytwin::geo::detail
