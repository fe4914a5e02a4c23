#include "geojson_geometry.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/geometry/algorithms/correct.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "citytwin/model/geo/validation.hpp"

namespace citytwin::geo::detail {
namespace {

namespace json = boost::json;

// RFC 7946 clause 3.1.8 discourages nested GeometryCollections; a small bound keeps the
// recursion (and the error paths) short while still accepting what real data sends.
constexpr int kMaxCollectionDepth = 4;

// Reads one geometry object, counting positions across all of it and tracking the JSON path
// of the value being read so that errors can say exactly where the problem is.
class Reader {
 public:
  Result<Geometry> read(const json::value& geojson) {
    Geometry geometry;
    CT_RETURN_IF_ERROR(read_geometry(geojson, 0, geometry.parts));
    return geometry;
  }

 private:
  // Appends a path segment for the lifetime of the guard.
  class Segment {
   public:
    Segment(std::string& path, std::string_view segment) : path_(path), size_(path.size()) {
      path_ += segment;
    }
    Segment(const Segment&) = delete;
    Segment& operator=(const Segment&) = delete;
    ~Segment() { path_.resize(size_); }

   private:
    std::string& path_;
    std::size_t size_;
  };

  static std::string index_segment(std::size_t index) { return "[" + std::to_string(index) + "]"; }

  Error fail(std::string_view message) const {
    std::string detail = path_.empty() ? std::string("geometry") : path_;
    detail += ": ";
    detail += message;
    return make_error(ErrorKind::kBadRequestData, std::move(detail));
  }

  Status read_geometry(const json::value& value, int depth, std::vector<Shape>& out) {
    const json::object* object = value.if_object();
    if (object == nullptr) return fail("a GeoJSON geometry must be a JSON object");
    const json::value* type = object->if_contains("type");
    if (type == nullptr) {
      Segment s(path_, path_.empty() ? "type" : ".type");
      return fail("member is missing");
    }
    if (!type->is_string()) {
      Segment s(path_, path_.empty() ? "type" : ".type");
      return fail("must be a string");
    }
    std::string_view type_name = type->get_string();
    if (type_name == "GeometryCollection") return read_collection(*object, depth, out);
    if (!is_shape_type(type_name)) {
      Segment s(path_, path_.empty() ? "type" : ".type");
      return fail("unknown geometry type '" + std::string(type_name) + "'");
    }
    const json::value* coordinates = object->if_contains("coordinates");
    Segment s(path_, path_.empty() ? "coordinates" : ".coordinates");
    if (coordinates == nullptr) return fail("member is missing");
    Result<Shape> shape = read_shape(type_name, *coordinates);
    if (!shape.ok()) return std::move(shape).error();
    out.push_back(std::move(shape).value());
    return ok_status();
  }

  Status read_collection(const json::object& object, int depth, std::vector<Shape>& out) {
    Segment s(path_, path_.empty() ? "geometries" : ".geometries");
    if (depth >= kMaxCollectionDepth) return fail("GeometryCollections are nested too deeply");
    const json::value* geometries = object.if_contains("geometries");
    if (geometries == nullptr) return fail("member is missing");
    const json::array* members = geometries->if_array();
    if (members == nullptr || members->empty()) return fail("must be a non-empty array");
    for (std::size_t i = 0; i < members->size(); ++i) {
      Segment index(path_, index_segment(i));
      CT_RETURN_IF_ERROR(read_geometry((*members)[i], depth + 1, out));
    }
    return ok_status();
  }

  // RFC 7946 clauses 3.1.2 to 3.1.7: the nesting of "coordinates" for each type.
  Result<Shape> read_shape(std::string_view type_name, const json::value& coordinates) {
    if (type_name == "Point") {
      Result<Point> point = read_position(coordinates);
      if (!point.ok()) return std::move(point).error();
      return Shape{MultiPoint{point.value()}};
    }
    if (type_name == "MultiPoint") return wrap<MultiPoint>(read_positions(coordinates, 1));
    if (type_name == "LineString") {
      Result<LineString> line = read_line(coordinates);
      if (!line.ok()) return std::move(line).error();
      return Shape{MultiLineString{std::move(line).value()}};
    }
    if (type_name == "MultiLineString")
      return wrap<MultiLineString>(read_many(coordinates, &Reader::read_line));
    if (type_name == "Polygon") {
      Result<Polygon> polygon = read_polygon(coordinates);
      if (!polygon.ok()) return std::move(polygon).error();
      return Shape{MultiPolygon{std::move(polygon).value()}};
    }
    if (type_name == "MultiPolygon")
      return wrap<MultiPolygon>(read_many(coordinates, &Reader::read_polygon));
    return fail("unknown geometry type '" + std::string(type_name) + "'");
  }

  static bool is_shape_type(std::string_view type_name) {
    return type_name == "Point" || type_name == "MultiPoint" || type_name == "LineString" ||
           type_name == "MultiLineString" || type_name == "Polygon" || type_name == "MultiPolygon";
  }

  template <class Multi, class Vector>
  static Result<Shape> wrap(Result<Vector> parts) {
    if (!parts.ok()) return std::move(parts).error();
    Vector& items = parts.value();
    Multi multi;  // a std::vector underneath, without a range constructor
    multi.assign(std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
    return Shape{std::move(multi)};
  }

  // A position (RFC 7946 clause 3.1.1): [longitude, latitude] or [longitude, latitude,
  // altitude]. Longitude and latitude are WGS84 degrees and must be in range.
  Result<Point> read_position(const json::value& value) {
    if (++positions_ > kMaxPositions) {
      return fail("the geometry has more than " + std::to_string(kMaxPositions) + " positions");
    }
    const json::array* array = value.if_array();
    if (array == nullptr) return fail("a position must be an array of numbers");
    if (array->size() < 2 || array->size() > 3) {
      return fail("a position must have 2 or 3 numbers (longitude, latitude[, altitude])");
    }
    double numbers[3] = {0, 0, 0};
    for (std::size_t i = 0; i < array->size(); ++i) {
      Segment s(path_, index_segment(i));
      std::optional<double> number = finite_number((*array)[i]);
      if (!number) return fail("must be a finite number");
      numbers[i] = *number;
    }
    if (numbers[0] < -180.0 || numbers[0] > 180.0) {
      return fail("longitude " + std::to_string(numbers[0]) + " is outside [-180, 180]");
    }
    if (numbers[1] < -90.0 || numbers[1] > 90.0) {
      return fail("latitude " + std::to_string(numbers[1]) + " is outside [-90, 90]");
    }
    return Point(numbers[0], numbers[1]);
  }

  static std::optional<double> finite_number(const json::value& value) {
    double number = 0;
    switch (value.kind()) {
      case json::kind::int64:
        number = static_cast<double>(value.get_int64());
        break;
      case json::kind::uint64:
        number = static_cast<double>(value.get_uint64());
        break;
      case json::kind::double_:
        number = value.get_double();
        break;
      default:
        return std::nullopt;
    }
    if (!std::isfinite(number)) return std::nullopt;
    return number;
  }

  // A non-empty array of positions with at least `min_count` of them.
  Result<std::vector<Point>> read_positions(const json::value& value, std::size_t min_count) {
    const json::array* array = value.if_array();
    if (array == nullptr) return fail("must be an array of positions");
    std::vector<Point> points;
    points.reserve(std::min(array->size(), kMaxPositions));
    for (std::size_t i = 0; i < array->size(); ++i) {
      Segment s(path_, index_segment(i));
      Result<Point> point = read_position((*array)[i]);
      if (!point.ok()) return std::move(point).error();
      points.push_back(point.value());
    }
    // Counted after reading, so that a level of nesting too few ([1,2] where [[1,2]] is due)
    // is reported as the bad position it is rather than as a short array.
    if (points.size() < min_count) {
      return fail("must have at least " + std::to_string(min_count) + " position(s)");
    }
    return points;
  }

  // RFC 7946 clause 3.1.4: two or more positions.
  Result<LineString> read_line(const json::value& value) {
    Result<std::vector<Point>> points = read_positions(value, 2);
    if (!points.ok()) return std::move(points).error();
    return LineString(points->begin(), points->end());
  }

  // RFC 7946 clause 3.1.6: a linear ring is closed (first and last positions are equal) and
  // has four or more positions.
  Result<Polygon::ring_type> read_ring(const json::value& value) {
    Result<std::vector<Point>> points = read_positions(value, 4);
    if (!points.ok()) return std::move(points).error();
    const Point& first = points->front();
    const Point& last = points->back();
    if (first.x() != last.x() || first.y() != last.y()) {
      return fail("polygon ring is not closed (first and last positions differ)");
    }
    return Polygon::ring_type(points->begin(), points->end());
  }

  // RFC 7946 clause 3.1.6: the exterior ring first, then the holes.
  Result<Polygon> read_polygon(const json::value& value) {
    Result<std::vector<Polygon::ring_type>> rings = read_many(value, &Reader::read_ring);
    if (!rings.ok()) return std::move(rings).error();
    Polygon polygon;
    polygon.outer() = std::move(rings->front());
    polygon.inners().assign(std::make_move_iterator(rings->begin() + 1),
                            std::make_move_iterator(rings->end()));
    // Rings in clockwise order are accepted (RFC 7946 clause 3.1.6 says parsers SHOULD NOT
    // reject them) and reoriented here so that Boost.Geometry sees valid orientation.
    boost::geometry::correct(polygon);
    return polygon;
  }

  // A non-empty array whose members are each read by `read_one`.
  template <class T>
  Result<std::vector<T>> read_many(const json::value& value,
                                   Result<T> (Reader::*read_one)(const json::value&)) {
    const json::array* array = value.if_array();
    if (array == nullptr || array->empty()) return fail("must be a non-empty array");
    std::vector<T> items;
    items.reserve(std::min(array->size(), kMaxPositions));
    for (std::size_t i = 0; i < array->size(); ++i) {
      Segment s(path_, index_segment(i));
      Result<T> item = (this->*read_one)((*array)[i]);
      if (!item.ok()) return std::move(item).error();
      items.push_back(std::move(item).value());
    }
    return items;
  }

  std::string path_;
  std::size_t positions_ = 0;
};

}  // namespace

Result<Geometry> read_geojson(const boost::json::value& geojson) {
  return Reader().read(geojson);
}

}  // namespace citytwin::geo::detail
