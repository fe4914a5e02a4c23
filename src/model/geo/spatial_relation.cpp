#include "spatial_relation.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/geometry/algorithms/relation.hpp>

namespace citytwin::geo::detail {
namespace {

// DE-9IM intersection matrix of (a, b), as 9 characters 'F', '0', '1', '2' in the order
// II IB IE BI BB BE EI EB EE. nullopt when Boost.Geometry rejects the input (it throws on
// some invalid geometries, e.g. self-intersecting rings).
std::optional<std::string> de9im(const Shape& a, const Shape& b) {
  try {
    return std::visit(
        [](const auto& x, const auto& y) { return boost::geometry::relation(x, y).str(); }, a, b);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// OGC DE-9IM pattern match: 'T' is any non-empty intersection, 'F' an empty one, '*' anything,
// a digit that exact dimension.
bool matches_pattern(const std::string& matrix, std::string_view pattern) {
  if (matrix.size() != pattern.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char want = pattern[i];
    char got = matrix[i];
    if (want == '*') continue;
    if (want == 'T' && got != 'F') continue;
    if (want != got) return false;
  }
  return true;
}

int dimension(const Shape& shape) {
  return static_cast<int>(shape.index());
}

// The OGC definitions of each predicate as DE-9IM patterns.
bool pair_relates(GeoRelation relation, const Shape& stored, const Shape& query) {
  std::optional<std::string> matrix = de9im(stored, query);
  if (!matrix) return false;
  switch (relation) {
    case GeoRelation::kWithin:
      return matches_pattern(*matrix, "T*F**F***");
    case GeoRelation::kContains:
      return matches_pattern(*matrix, "T*****FF*");
    case GeoRelation::kIntersects:
      return !matches_pattern(*matrix, "FF*FF****");
    case GeoRelation::kDisjoint:
      return matches_pattern(*matrix, "FF*FF****");
    case GeoRelation::kEquals:
      return matches_pattern(*matrix, "T*F**FFF*");
    case GeoRelation::kOverlaps:
      // Overlap is only defined between geometries of the same dimension.
      if (dimension(stored) != dimension(query)) return false;
      return matches_pattern(*matrix, dimension(stored) == 1 ? "1*T***T**" : "T*T***T**");
    case GeoRelation::kNear:
      return false;
  }
  return false;
}

}  // namespace

bool relates(GeoRelation relation, const Geometry& stored, const Shape& query) {
  auto each = [&](const Shape& part) { return pair_relates(relation, part, query); };
  switch (relation) {
    case GeoRelation::kWithin:
    case GeoRelation::kDisjoint:
      return std::all_of(stored.parts.begin(), stored.parts.end(), each);
    case GeoRelation::kIntersects:
    case GeoRelation::kContains:
      return std::any_of(stored.parts.begin(), stored.parts.end(), each);
    case GeoRelation::kEquals:
    case GeoRelation::kOverlaps:
      return stored.parts.size() == 1 && each(stored.parts.front());
    case GeoRelation::kNear:
      return false;
  }
  return false;
}

std::optional<bool> shapes_intersect(const Shape& a, const Shape& b) {
  std::optional<std::string> matrix = de9im(a, b);
  if (!matrix) return std::nullopt;
  return !matches_pattern(*matrix, "FF*FF****");
}

}  // namespace citytwin::geo::detail
