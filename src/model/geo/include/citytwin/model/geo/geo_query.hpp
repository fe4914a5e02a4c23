#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "citytwin/common/result.hpp"
#include "citytwin/model/geo/bounding_box.hpp"
#include "citytwin/model/geo/georel.hpp"

namespace citytwin::geo {

// A geo-query (ETSI GS CIM 009 clause 4.10): a relation between the stored value of a
// GeoProperty and a query geometry. Immutable and cheap to copy; safe to share between
// threads.
//
// Errors of the factories:
//   kInvalidRequest  - syntax: a georel outside the clause 4.10 grammar, a distance that is
//                      not a number, coordinates that are not JSON text;
//   kBadRequestData  - a missing parameter, an unknown geometry name, coordinates that do not
//                      form a valid geometry of that type (see validate_geometry()), "near"
//                      with a geometry other than Point.
class GeoQuery {
 public:
  // From the query parameters georel, geometry, coordinates and geoproperty (clause 6.4.3.2).
  // `coordinates` is JSON array text, e.g. "[8.0,40.0]"; already URL-decoded. An empty
  // `geoproperty` means "location"; the name is kept as given (the caller expands it).
  static Result<GeoQuery> from_parameters(std::string_view georel, std::string_view geometry,
                                          std::string_view coordinates,
                                          std::string_view geoproperty);

  // From a GeoQuery object (clause 5.2.13), as in POST /entityOperations/query and in a
  // subscription's "geoQ": {"geometry": "Point", "coordinates": [8, 40] (or the same as JSON
  // text in a string), "georel": "near;maxDistance==2000", "geoproperty": "location"}.
  // "geoproperty" is optional.
  static Result<GeoQuery> from_json(const boost::json::value& geo_q);

  // The GeoProperty name, as given ("location" when absent).
  const std::string& geoproperty() const;
  const Georel& georel() const;
  // The query geometry as a GeoJSON object {"type": ..., "coordinates": ...}.
  const boost::json::object& geometry() const;

  // A lon/lat box that every matching stored geometry intersects, for an R-tree prefilter:
  // the circle's box for near;maxDistance (all longitudes near a pole or the antimeridian),
  // the query geometry's box for within, contains, intersects, equals and overlaps.
  // nullopt when any geometry may match (disjoint, near;minDistance).
  std::optional<BoundingBox> search_box() const;

  // Whether a stored geometry whose lon/lat box is `box` may match; false only when it
  // certainly does not. A box that is a single point is a stored Point, decided exactly (the
  // distance matches() would compute) for near;maxDistance, so the R-tree prefilter drops
  // the points in the corners of the circle's box before any entity is read.
  bool may_match_box(const BoundingBox& box) const;

  // Whether the stored GeoJSON geometry (the subject) satisfies the relation, e.g. for
  // "within": the stored geometry lies within the query geometry. A stored value that is not
  // a valid geometry never matches. Never throws on bad geometry.
  bool matches(const boost::json::value& stored_geojson) const;

  // Great-circle metres between the query geometry and the stored geometry, 0 when they
  // intersect; for ordering "near" results. +infinity when the stored value is not a valid
  // geometry, so such values sort last.
  double distance_meters(const boost::json::value& stored_geojson) const;

 private:
  struct State;
  explicit GeoQuery(std::shared_ptr<const State> state);
  // The checks both factories share, once every member is in hand.
  static Result<GeoQuery> build(std::string_view georel, std::string_view geometry,
                                boost::json::value coordinates, std::string_view geoproperty);

  std::shared_ptr<const State> state_;
};

}  // namespace citytwin::geo
