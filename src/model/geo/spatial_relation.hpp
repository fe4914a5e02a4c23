#pragma once

// The topological geo-relationships of ETSI GS CIM 009 clause 4.10 (all but "near"),
// evaluated with the DE-9IM model (OGC Simple Features, as implemented by Boost.Geometry).

#include "citytwin/model/geo/georel.hpp"
#include "geojson_geometry.hpp"

namespace citytwin::geo::detail {

// Whether `stored` (the subject) stands in `relation` to `query`, e.g. kWithin: the stored
// geometry lies within the query geometry; kContains: the stored geometry contains it.
// Evaluated on the lon/lat plane (cartesian on degrees): exact for the straight GeoJSON edges
// of RFC 7946 clause 3.1.1, but geometries are not wrapped across the antimeridian.
// A stored GeometryCollection is within / disjoint when all its members are, and
// intersects / contains when one member does; equals and overlaps need a single geometry.
// Never throws: a pair Boost.Geometry cannot evaluate (invalid input) does not match.
// `relation` must not be kNear.
bool relates(GeoRelation relation, const Geometry& stored, const Shape& query);

// Whether the two shapes share at least one point; nullopt when it cannot be evaluated.
std::optional<bool> shapes_intersect(const Shape& a, const Shape& b);

}  // namespace citytwin::geo::detail
