#pragma once

#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"

namespace citytwin::geo {

// The geo-relationships of ETSI GS CIM 009 clause 4.10. The stored geometry is the subject:
// "within" selects entities whose geometry lies within the query geometry, "contains" those
// whose geometry contains it.
enum class GeoRelation { kNear, kWithin, kContains, kIntersects, kDisjoint, kEquals, kOverlaps };

// For "near": which side of the distance the stored geometry must be on.
enum class DistanceBound { kNone, kMaxDistance, kMinDistance };

struct Georel {
  GeoRelation relation = GeoRelation::kIntersects;
  DistanceBound bound = DistanceBound::kNone;  // kMaxDistance or kMinDistance iff kNear
  double distance_m = 0;                       // metres, >= 0; meaningful only for kNear

  friend bool operator==(const Georel&, const Georel&) = default;
};

// Parses a georel (clause 4.10):
//   near;maxDistance==<number> | near;minDistance==<number> | within | contains |
//   intersects | disjoint | equals | overlaps
// Names are case-sensitive; the number is a finite, non-negative decimal in metres.
// Errors: kInvalidRequest with a detail saying what is wrong.
Result<Georel> parse_georel(std::string_view text);

// The clause 4.10 text of a georel, e.g. "near;maxDistance==2000" (round-trips parse_georel).
std::string to_string(const Georel& georel);

}  // namespace citytwin::geo
