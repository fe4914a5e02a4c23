#pragma once

#include <optional>

#include <boost/json/value.hpp>

namespace citytwin::geo {

// An axis-aligned box in longitude/latitude degrees (WGS84, GeoJSON axis order, RFC 7946
// clause 3.1.1). min_x <= max_x always: a box never wraps across the antimeridian; a region
// that would wrap is widened to the full longitude range instead.
struct BoundingBox {
  double min_x = 0;  // west longitude
  double min_y = 0;  // south latitude
  double max_x = 0;  // east longitude
  double max_y = 0;  // north latitude

  friend bool operator==(const BoundingBox&, const BoundingBox&) = default;
};

// Whether the two boxes share at least one point (touching edges count).
bool intersects(const BoundingBox& a, const BoundingBox& b);

// Whether `inner` lies entirely inside `outer` (edges included).
bool covers(const BoundingBox& outer, const BoundingBox& inner);

// The box of a GeoJSON geometry (altitudes ignored); nullopt when the value is not a valid
// geometry in the sense of validate_geometry().
std::optional<BoundingBox> bounding_box(const boost::json::value& geojson);

}  // namespace citytwin::geo
