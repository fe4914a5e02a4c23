#include "citytwin/model/geo/validation.hpp"

#include "geojson_geometry.hpp"

namespace citytwin::geo {

// The rules live in the reader (geojson_geometry.cpp): a geometry is valid exactly when it
// can be converted, so validation and query evaluation can never disagree.
Status validate_geometry(const boost::json::value& geojson) {
  Result<detail::Geometry> geometry = detail::read_geojson(geojson);
  if (!geometry.ok()) return std::move(geometry).error();
  return ok_status();
}

}  // namespace citytwin::geo
