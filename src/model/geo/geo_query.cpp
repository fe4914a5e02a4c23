#include "citytwin/model/geo/geo_query.hpp"

#include <array>
#include <limits>
#include <system_error>
#include <utility>

#include <boost/json/parse.hpp>

#include "citytwin/common/json_parse.hpp"
#include "geodesic_distance.hpp"
#include "geojson_geometry.hpp"
#include "spatial_relation.hpp"

namespace citytwin::geo {

namespace json = boost::json;

struct GeoQuery::State {
  Georel georel;
  std::string geoproperty;
  json::object geometry_json;
  detail::Shape shape;  // the query geometry; never a collection (clause 4.10 geometry names)
  BoundingBox box;      // of `shape`
};

namespace {

constexpr std::string_view kDefaultGeoproperty = "location";

// The geometry names a geo-query may use (clause 4.10): the GeoJSON geometry types but
// GeometryCollection.
constexpr std::array<std::string_view, 6> kQueryGeometries = {
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"};

Error bad_data(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

bool is_query_geometry(std::string_view name) {
  for (std::string_view known : kQueryGeometries) {
    if (name == known) return true;
  }
  return false;
}

// The coordinates parameter is JSON text (clause 4.10: "coordinates" in the GeoJSON form).
Result<json::value> parse_coordinates(std::string_view text) {
  boost::system::error_code ec;
  json::value value = citytwin::parse_json(text, ec);
  if (ec) {
    return make_error(ErrorKind::kInvalidRequest,
                      "coordinates: not valid JSON text (" + ec.message() + ")");
  }
  return value;
}

}  // namespace

GeoQuery::GeoQuery(std::shared_ptr<const State> state) : state_(std::move(state)) {}

Result<GeoQuery> GeoQuery::from_parameters(std::string_view georel, std::string_view geometry,
                                           std::string_view coordinates,
                                           std::string_view geoproperty) {
  if (coordinates.empty()) {
    return bad_data("coordinates: parameter is missing (required with georel and geometry)");
  }
  Result<json::value> parsed = parse_coordinates(coordinates);
  if (!parsed.ok()) return std::move(parsed).error();
  return build(georel, geometry, std::move(parsed).value(), geoproperty);
}

Result<GeoQuery> GeoQuery::from_json(const json::value& geo_q) {
  const json::object* object = geo_q.if_object();
  if (object == nullptr) return bad_data("geoQ: must be a JSON object");
  auto string_member = [object](std::string_view key) -> Result<std::string_view> {
    const json::value* member = object->if_contains(key);
    if (member == nullptr) return std::string_view();
    if (!member->is_string()) return bad_data("geoQ." + std::string(key) + ": must be a string");
    return std::string_view(member->get_string());
  };
  Result<std::string_view> georel = string_member("georel");
  if (!georel.ok()) return std::move(georel).error();
  Result<std::string_view> geometry = string_member("geometry");
  if (!geometry.ok()) return std::move(geometry).error();
  Result<std::string_view> geoproperty = string_member("geoproperty");
  if (!geoproperty.ok()) return std::move(geoproperty).error();

  // Clause 5.2.13 allows the coordinates as a JSON array or as a string holding one.
  const json::value* coordinates = object->if_contains("coordinates");
  if (coordinates == nullptr) return bad_data("geoQ.coordinates: member is missing");
  json::value coordinates_value = *coordinates;
  if (coordinates->is_string()) {
    Result<json::value> parsed = parse_coordinates(coordinates->get_string());
    if (!parsed.ok()) return std::move(parsed).error();
    coordinates_value = std::move(parsed).value();
  }
  return build(*georel, *geometry, std::move(coordinates_value), *geoproperty);
}

Result<GeoQuery> GeoQuery::build(std::string_view georel_text, std::string_view geometry,
                                 json::value coordinates, std::string_view geoproperty) {
  if (georel_text.empty()) return bad_data("georel: missing (required with a geometry)");
  Result<Georel> georel = parse_georel(georel_text);
  if (!georel.ok()) return std::move(georel).error();
  if (geometry.empty()) return bad_data("geometry: missing (required with georel)");
  if (!is_query_geometry(geometry)) {
    return bad_data("geometry: '" + std::string(geometry) +
                    "' is not one of Point, MultiPoint, LineString, MultiLineString, Polygon, "
                    "MultiPolygon");
  }
  // Clause 4.10: "near" measures the distance from a point.
  if (georel->relation == GeoRelation::kNear && geometry != "Point") {
    return bad_data("geometry: near requires a Point, got '" + std::string(geometry) + "'");
  }
  if (!coordinates.is_array()) return bad_data("coordinates: must be a JSON array");

  auto state = std::make_shared<State>();
  state->geometry_json["type"] = geometry;
  state->geometry_json["coordinates"] = std::move(coordinates);
  Result<detail::Geometry> read = detail::read_geojson(state->geometry_json);
  if (!read.ok()) return std::move(read).error();
  state->georel = georel.value();
  state->geoproperty = geoproperty.empty() ? kDefaultGeoproperty : geoproperty;
  state->box = detail::envelope(read.value());
  state->shape = std::move(read->parts.front());
  return GeoQuery(std::move(state));
}

const std::string& GeoQuery::geoproperty() const {
  return state_->geoproperty;
}

const Georel& GeoQuery::georel() const {
  return state_->georel;
}

const json::object& GeoQuery::geometry() const {
  return state_->geometry_json;
}

std::optional<BoundingBox> GeoQuery::search_box() const {
  const Georel& georel = state_->georel;
  switch (georel.relation) {
    case GeoRelation::kNear: {
      if (georel.bound != DistanceBound::kMaxDistance) return std::nullopt;
      // "near" always has a Point (checked in build()).
      const auto& point = std::get<detail::MultiPoint>(state_->shape).front();
      return detail::circle_box(point, georel.distance_m);
    }
    case GeoRelation::kDisjoint:
      return std::nullopt;
    case GeoRelation::kWithin:
    case GeoRelation::kContains:
    case GeoRelation::kIntersects:
    case GeoRelation::kEquals:
    case GeoRelation::kOverlaps:
      return state_->box;
  }
  return std::nullopt;
}

bool GeoQuery::may_match_box(const BoundingBox& box) const {
  const Georel& georel = state_->georel;
  if (georel.relation != GeoRelation::kNear || georel.bound != DistanceBound::kMaxDistance) {
    return true;
  }
  if (box.min_x != box.max_x || box.min_y != box.max_y) return true;
  detail::Geometry point{{detail::MultiPoint{detail::Point(box.min_x, box.min_y)}}};
  std::optional<double> distance = detail::geodesic_distance(point, state_->shape);
  return !distance || *distance <= georel.distance_m;
}

bool GeoQuery::matches(const json::value& stored_geojson) const {
  Result<detail::Geometry> stored = detail::read_geojson(stored_geojson);
  if (!stored.ok()) return false;
  const Georel& georel = state_->georel;
  if (georel.relation != GeoRelation::kNear) {
    return detail::relates(georel.relation, stored.value(), state_->shape);
  }
  std::optional<double> distance = detail::geodesic_distance(stored.value(), state_->shape);
  if (!distance) return false;
  if (georel.bound == DistanceBound::kMinDistance) return *distance >= georel.distance_m;
  return *distance <= georel.distance_m;
}

double GeoQuery::distance_meters(const json::value& stored_geojson) const {
  Result<detail::Geometry> stored = detail::read_geojson(stored_geojson);
  if (!stored.ok()) return std::numeric_limits<double>::infinity();
  return detail::geodesic_distance(stored.value(), state_->shape)
      .value_or(std::numeric_limits<double>::infinity());
}

}  // namespace citytwin::geo
