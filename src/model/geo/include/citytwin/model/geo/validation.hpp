#pragma once

#include <cstddef>

#include <boost/json/value.hpp>

#include "citytwin/common/result.hpp"

namespace citytwin::geo {

// The most positions one geometry may hold. It bounds the memory and the time that matching
// a single stored or query geometry can take.
inline constexpr std::size_t kMaxPositions = 100'000;

// Checks that `geojson` is a GeoJSON geometry object (RFC 7946 clause 3.1) usable as the
// value of an NGSI-LD GeoProperty (ETSI GS CIM 009 clause 4.7):
//   - "type" is Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon or
//     GeometryCollection (with a non-empty "geometries" array, nested at most 4 deep);
//   - "coordinates" has the nesting the type requires and is never empty;
//   - every position holds 2 or 3 finite numbers (the altitude is accepted and ignored),
//     longitude in [-180, 180] and latitude in [-90, 90];
//   - a LineString has >= 2 positions; a polygon ring is closed and has >= 4 positions;
//   - the whole geometry has at most kMaxPositions positions.
// Other members ("bbox", foreign members) are allowed and ignored. Topological validity
// (self-intersecting rings, ...) is not checked: such geometries are stored as sent.
// Errors: ErrorKind::kBadRequestData whose detail names the offending member, e.g.
// "coordinates[0][3]: polygon ring is not closed".
Status validate_geometry(const boost::json::value& geojson);

}  // namespace citytwin::geo
