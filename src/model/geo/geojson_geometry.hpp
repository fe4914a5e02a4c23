#pragma once

// Conversion of GeoJSON geometry objects (RFC 7946 clause 3.1) into Boost.Geometry models.
// Internal to citytwin_model_geo: Boost.Geometry types do not appear in the public headers.

#include <variant>
#include <vector>

#include <boost/geometry/geometries/linestring.hpp>
#include <boost/geometry/geometries/multi_linestring.hpp>
#include <boost/geometry/geometries/multi_point.hpp>
#include <boost/geometry/geometries/multi_polygon.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#include <boost/json/value.hpp>

#include "citytwin/common/result.hpp"
#include "citytwin/model/geo/bounding_box.hpp"

namespace citytwin::geo::detail {

// x = longitude, y = latitude, in degrees. The coordinate system is cartesian on purpose:
// topological relations (within, intersects, ...) are evaluated on the lon/lat plane, which
// is what GeoJSON prescribes for edges (RFC 7946 clause 3.1.1: straight lines in the
// coordinate reference system). Distances are computed separately on the sphere
// (geodesic_distance.hpp).
using Point = boost::geometry::model::d2::point_xy<double>;
using MultiPoint = boost::geometry::model::multi_point<Point>;
using LineString = boost::geometry::model::linestring<Point>;
using MultiLineString = boost::geometry::model::multi_linestring<LineString>;
// Counter-clockwise exterior rings, closed: the orientation RFC 7946 clause 3.1.6 asks
// writers for. Rings read in the other orientation are corrected, not rejected (ibid.).
using Polygon = boost::geometry::model::polygon<Point, /*ClockWise=*/false, /*Closed=*/true>;
using MultiPolygon = boost::geometry::model::multi_polygon<Polygon>;

// One geometry by topological dimension (0, 1, 2). Single geometries are read as a multi
// geometry with one member: relations and distances are the same, and only three
// alternatives keep the number of Boost.Geometry instantiations small.
using Shape = std::variant<MultiPoint, MultiLineString, MultiPolygon>;

// A GeoJSON geometry: one shape, or the flattened members of a GeometryCollection.
struct Geometry {
  std::vector<Shape> parts;  // never empty
};

// Reads and validates a GeoJSON geometry (see validate_geometry() for the rules).
// Errors: kBadRequestData with a detail naming the offending member.
Result<Geometry> read_geojson(const boost::json::value& geojson);

// The lon/lat box of all parts of a geometry (bounding_box.cpp).
BoundingBox envelope(const Geometry& geometry);

}  // namespace citytwin::geo::detail
