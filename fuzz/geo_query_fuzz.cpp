// Geo-query parameters (ETSI GS CIM 009 clause 4.10, 6.4.3.2): georel, geometry, coordinates
// and geoproperty as a query string carries them, one per input line; then the whole input as
// a GeoQuery JSON object (clause 5.2.13, POST /entityOperations/query and subscriptions) and
// as a GeoJSON value to validate (the value of a GeoProperty in an entity body).
// Whatever parses is matched against stored geometries of every type.

#include <cmath>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "citytwin/model/geo/geo_query.hpp"
#include "citytwin/model/geo/validation.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace citytwin;

const std::vector<boost::json::value>& stored() {
  static const std::vector<boost::json::value> all = [] {
    std::vector<boost::json::value> out;
    for (const char* text :
         {R"({"type": "Point", "coordinates": [-3.7, 40.4]})",
          R"({"type": "Point", "coordinates": [180, 90]})",
          R"({"type": "MultiPoint", "coordinates": [[0, 0], [1, 1]]})",
          R"({"type": "LineString", "coordinates": [[-179.9, 0], [179.9, 0.1]]})",
          R"({"type": "MultiLineString", "coordinates": [[[0, 0], [1, 1]], [[2, 2], [3, 3]]]})",
          R"({"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
                 [[2, 2], [3, 2], [3, 3], [2, 2]]]})",
          R"({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]})",
          R"({"type": "GeometryCollection", "geometries": [
                 {"type": "Point", "coordinates": [5, 5]},
                 {"type": "LineString", "coordinates": [[0, 89.9], [90, 89.9]]}]})",
          R"({"type": "Point", "coordinates": "not a position"})", R"(42)"}) {
      out.push_back(boost::json::parse(text));
    }
    return out;
  }();
  return all;
}

void exercise(const geo::GeoQuery& query) {
  (void)query.search_box();
  for (const auto& geometry : stored()) {
    (void)query.matches(geometry);
    double metres = query.distance_meters(geometry);
    if (std::isnan(metres) || metres < 0) fuzz::fail("distance is NaN or negative");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  auto lines = fuzz::split_lines(text, 4);
  if (auto georel = geo::parse_georel(lines[0]); georel.ok()) {
    // The documented round trip: to_string() gives text parse_georel() reads back the same.
    auto again = geo::parse_georel(geo::to_string(*georel));
    if (!again.ok() || !(*again == *georel)) fuzz::fail("georel round trip", lines[0]);
  }
  if (auto query = geo::GeoQuery::from_parameters(lines[0], lines[1], lines[2], lines[3]);
      query.ok()) {
    exercise(*query);
  }
  boost::system::error_code ec;
  boost::json::value json = boost::json::parse(text, ec);
  if (ec) return 0;
  if (auto query = geo::GeoQuery::from_json(json); query.ok()) exercise(*query);
  (void)geo::validate_geometry(json);
  return 0;
}
