#pragma once

#include <cstddef>
#include <span>

#include <boost/json/value.hpp>

#include "citytwin/common/result.hpp"

namespace citytwin::geo {

// How much of a region the given geometries cover, for indicators such as the share of a
// city's area that is green space (U4SSC EN.EN.PSOS.1C's "green areas").
struct AreaCoverage {
  double region_m2 = 0;          // area of the region
  double covered_m2 = 0;         // area of the union of the geometries' polygons inside the region
  std::size_t polygons = 0;      // geometries with an area that counted
  std::size_t without_area = 0;  // points and lines: no area, not counted
  std::size_t invalid = 0;       // polygons Boost.Geometry finds invalid (self-crossing): skipped
  double share() const { return region_m2 > 0 ? covered_m2 / region_m2 : 0; }
};

// `region` is a GeoJSON Polygon or MultiPolygon, `geometries` GeoJSON geometries. Overlaps
// count once (the polygons are united) and only what lies inside the region counts. Areas are
// computed on a local equirectangular projection around the region's centre, accurate to
// well under 1 % at the scale of a city (a few tens of kilometres).
// Errors: kBadRequestData when the region is not a valid Polygon or MultiPolygon.
Result<AreaCoverage> area_coverage(const boost::json::value& region,
                                   std::span<const boost::json::value> geometries);

}  // namespace citytwin::geo
