#include "citytwin/ingest/attribute_instance.hpp"

#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "citytwin/ingest/measures.hpp"

namespace citytwin::ingest {
namespace {

Error mismatch(std::string_view type, const boost::json::value& value) {
  return make_error(ErrorKind::kBadRequestData, "value " + boost::json::serialize(value) +
                                                    " does not fit attribute type " +
                                                    std::string(type));
}

bool one_of(std::string_view type, std::initializer_list<std::string_view> names) {
  for (auto name : names) {
    if (type == name) return true;
  }
  return false;
}

Result<boost::json::value> as_number(std::string_view type, const boost::json::value& value) {
  if (value.is_number()) return value;
  if (const auto* text = value.if_string()) {
    boost::json::value parsed = ultralight_value(*text);
    if (parsed.is_number()) return parsed;
  }
  return mismatch(type, value);
}

Result<boost::json::value> as_boolean(std::string_view type, const boost::json::value& value) {
  if (value.is_bool()) return value;
  if (const auto* text = value.if_string()) {
    if (*text == "true") return boost::json::value(true);
    if (*text == "false") return boost::json::value(false);
  }
  if (value.is_int64() && (value.get_int64() == 0 || value.get_int64() == 1)) {
    return boost::json::value(value.get_int64() == 1);
  }
  return mismatch(type, value);
}

boost::json::value as_text(const boost::json::value& value) {
  if (value.is_string()) return value;
  return boost::json::string(boost::json::serialize(value));
}

// "lat, lon" (the IoT Agent's geo:point) -> a GeoJSON Point, whose coordinates are lon, lat.
Result<boost::json::value> point_of(std::string_view type, const boost::json::value& value) {
  if (value.is_object()) return value;  // already GeoJSON (a JSON device may send it)
  const auto* text = value.if_string();
  if (text == nullptr) return mismatch(type, value);
  std::string_view s = *text;
  auto comma = s.find(',');
  if (comma == std::string_view::npos) return mismatch(type, value);
  auto parse = [](std::string_view part) -> std::optional<double> {
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    double x = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), x);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size()) return std::nullopt;
    return x;
  };
  auto lat = parse(s.substr(0, comma));
  auto lon = parse(s.substr(comma + 1));
  if (!lat || !lon || std::fabs(*lat) > 90 || std::fabs(*lon) > 180) return mismatch(type, value);
  return boost::json::value(
      boost::json::object{{"type", "Point"}, {"coordinates", boost::json::array{*lon, *lat}}});
}

void add_metadata(boost::json::object& instance, const boost::json::object& metadata) {
  for (const auto& [name, entry] : metadata) {
    const auto& meta = entry.as_object();
    const boost::json::value& value = meta.at("value");
    if (name == "unitCode" && value.is_string()) {
      instance["unitCode"] = value;
      continue;
    }
    instance[name] = boost::json::object{{"type", "Property"}, {"value", value}};
  }
}

}  // namespace

Result<boost::json::object> attribute_instance(std::string_view type,
                                               const boost::json::value& value,
                                               const boost::json::object& metadata,
                                               std::optional<Instant> observed_at) {
  boost::json::object instance;
  if (one_of(type, {"Number", "Float", "Integer", "Double", "number", "float", "integer"})) {
    auto number = as_number(type, value);
    if (!number) return std::move(number).error();
    instance = {{"type", "Property"}, {"value", *number}};
  } else if (one_of(type, {"Boolean", "boolean", "Bool"})) {
    auto flag = as_boolean(type, value);
    if (!flag) return std::move(flag).error();
    instance = {{"type", "Property"}, {"value", *flag}};
  } else if (one_of(type, {"Text", "String", "string", "text"})) {
    instance = {{"type", "Property"}, {"value", as_text(value)}};
  } else if (one_of(type, {"DateTime", "ISO8601"})) {
    const auto* text = value.if_string();
    auto instant = text != nullptr ? parse_date_time(*text) : std::nullopt;
    if (!instant) return mismatch(type, value);
    instance = {{"type", "Property"},
                {"value", {{"@type", "DateTime"}, {"@value", format_date_time(*instant)}}}};
  } else if (one_of(type, {"geo:point"})) {
    auto point = point_of(type, value);
    if (!point) return std::move(point).error();
    instance = {{"type", "GeoProperty"}, {"value", *point}};
  } else if (one_of(type, {"geo:json", "GeoProperty", "Point", "LineString", "Polygon",
                           "MultiPoint", "MultiLineString", "MultiPolygon"})) {
    if (!value.is_object()) return mismatch(type, value);
    instance = {{"type", "GeoProperty"}, {"value", value}};
  } else if (one_of(type, {"Relationship"})) {
    if (!value.is_string() && !value.is_array()) return mismatch(type, value);
    instance = {{"type", "Relationship"}, {"object", value}};
  } else {
    instance = {{"type", "Property"}, {"value", value}};
  }
  add_metadata(instance, metadata);
  if (observed_at) instance["observedAt"] = format_date_time(*observed_at);
  return instance;
}

}  // namespace citytwin::ingest
