#include "citytwin/model/geo/bounding_box.hpp"

#include <algorithm>
#include <variant>

#include <boost/geometry/algorithms/envelope.hpp>
#include <boost/geometry/geometries/box.hpp>

#include "geojson_geometry.hpp"

namespace citytwin::geo {

bool intersects(const BoundingBox& a, const BoundingBox& b) {
  return a.min_x <= b.max_x && b.min_x <= a.max_x && a.min_y <= b.max_y && b.min_y <= a.max_y;
}

bool covers(const BoundingBox& outer, const BoundingBox& inner) {
  return outer.min_x <= inner.min_x && inner.max_x <= outer.max_x && outer.min_y <= inner.min_y &&
         inner.max_y <= outer.max_y;
}

namespace {

BoundingBox shape_box(const detail::Shape& shape) {
  boost::geometry::model::box<detail::Point> box;
  // Cartesian envelope on degrees: GeoJSON geometries do not cross the antimeridian
  // (RFC 7946 clause 3.1.9 asks writers to cut them), so the plain min/max is the box.
  std::visit([&box](const auto& geometry) { boost::geometry::envelope(geometry, box); }, shape);
  return BoundingBox{box.min_corner().x(), box.min_corner().y(), box.max_corner().x(),
                     box.max_corner().y()};
}

}  // namespace

namespace detail {

BoundingBox envelope(const Geometry& geometry) {
  BoundingBox result = shape_box(geometry.parts.front());
  for (const Shape& shape : geometry.parts) {
    BoundingBox box = shape_box(shape);
    result.min_x = std::min(result.min_x, box.min_x);
    result.min_y = std::min(result.min_y, box.min_y);
    result.max_x = std::max(result.max_x, box.max_x);
    result.max_y = std::max(result.max_y, box.max_y);
  }
  return result;
}

}  // namespace detail

std::optional<BoundingBox> bounding_box(const boost::json::value& geojson) {
  Result<detail::Geometry> geometry = detail::read_geojson(geojson);
  if (!geometry.ok()) return std::nullopt;
  return detail::envelope(geometry.value());
}

}  // namespace citytwin::geo
