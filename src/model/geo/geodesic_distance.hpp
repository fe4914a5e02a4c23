#pragma once

// Distances on the Earth for "near" (ETSI GS CIM 009 clause 4.10: maxDistance/minDistance in
// metres). The Earth is a sphere with the WGS84 mean radius; against the ellipsoid the error
// stays below 0.5 %, well inside what a distance filter on city data needs.

#include <optional>

#include "citytwin/model/geo/bounding_box.hpp"
#include "geojson_geometry.hpp"

namespace citytwin::geo::detail {

// WGS84 mean radius R1 = (2a + b) / 3, in metres.
inline constexpr double kEarthRadiusM = 6'371'008.8;

// Shortest great-circle distance in metres between a geometry and a shape: 0 when they
// intersect (a point inside a polygon, crossing lines), otherwise the distance between their
// closest points, where edges are great-circle arcs. nullopt when it cannot be evaluated.
std::optional<double> geodesic_distance(const Geometry& geometry, const Shape& shape);

// A box holding every point within `radius_m` metres of `center`. It spans all longitudes
// when the circle reaches a pole or crosses the antimeridian, since a BoundingBox never wraps.
BoundingBox circle_box(const Point& center, double radius_m);

}  // namespace citytwin::geo::detail
