#include "citytwin/model/geo/georel.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <system_error>
#include <utility>

namespace citytwin::geo {
namespace {

constexpr std::array<std::pair<std::string_view, GeoRelation>, 6> kPlainRelations = {{
    {"within", GeoRelation::kWithin},
    {"contains", GeoRelation::kContains},
    {"intersects", GeoRelation::kIntersects},
    {"disjoint", GeoRelation::kDisjoint},
    {"equals", GeoRelation::kEquals},
    {"overlaps", GeoRelation::kOverlaps},
}};

constexpr std::string_view kNearPrefix = "near;";
constexpr std::string_view kMaxDistance = "maxDistance==";
constexpr std::string_view kMinDistance = "minDistance==";

Error invalid(std::string detail) {
  return make_error(ErrorKind::kInvalidRequest, "georel: " + std::move(detail));
}

// A finite, non-negative decimal number using the whole text. from_chars does not accept a
// leading '+', and would accept "inf"/"nan", which the finiteness check rejects.
std::optional<double> parse_distance(std::string_view text) {
  double number = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, number);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  if (!std::isfinite(number) || number < 0) return std::nullopt;
  return number;
}

Result<Georel> parse_near(std::string_view modifier) {
  Georel georel{GeoRelation::kNear, DistanceBound::kNone, 0};
  std::string_view number;
  if (modifier.starts_with(kMaxDistance)) {
    georel.bound = DistanceBound::kMaxDistance;
    number = modifier.substr(kMaxDistance.size());
  } else if (modifier.starts_with(kMinDistance)) {
    georel.bound = DistanceBound::kMinDistance;
    number = modifier.substr(kMinDistance.size());
  } else {
    return invalid("near needs ';maxDistance==<metres>' or ';minDistance==<metres>', got 'near;" +
                   std::string(modifier) + "'");
  }
  std::optional<double> distance = parse_distance(number);
  if (!distance) {
    return invalid("distance '" + std::string(number) +
                   "' is not a finite non-negative number of metres");
  }
  georel.distance_m = *distance;
  return georel;
}

}  // namespace

Result<Georel> parse_georel(std::string_view text) {
  for (const auto& [name, relation] : kPlainRelations) {
    if (text == name) return Georel{relation, DistanceBound::kNone, 0};
  }
  if (text.starts_with(kNearPrefix)) return parse_near(text.substr(kNearPrefix.size()));
  if (text == "near")
    return invalid("near needs ';maxDistance==<metres>' or ';minDistance==<metres>'");
  return invalid("'" + std::string(text) +
                 "' is not a geo-relationship (near;maxDistance==N, near;minDistance==N, within, "
                 "contains, intersects, disjoint, equals, overlaps)");
}

std::string to_string(const Georel& georel) {
  if (georel.relation == GeoRelation::kNear) {
    // Shortest text that reads back as the same double.
    std::array<char, 32> buffer{};
    auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), georel.distance_m);
    std::string number = ec == std::errc() ? std::string(buffer.data(), end) : std::string("0");
    std::string_view bound =
        georel.bound == DistanceBound::kMinDistance ? kMinDistance : kMaxDistance;
    return std::string(kNearPrefix) + std::string(bound) + number;
  }
  for (const auto& [name, relation] : kPlainRelations) {
    if (relation == georel.relation) return std::string(name);
  }
  return "intersects";
}

}  // namespace citytwin::geo
