#pragma once

// What the payload codecs produce: device measurements independent of the wire format.

#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/result.hpp"

namespace citytwin::ingest {

// The measures a device reported for one instant: field (object_id) -> value, in payload
// order. JSON values keep their JSON type; UltraLight values that are JSON numbers become
// numbers, every other UltraLight value a string.
struct MeasureGroup {
  std::optional<Instant> observed_at;  // TimeInstant / leading UltraLight timestamp
  std::vector<std::pair<std::string, boost::json::value>> fields;
};

struct DecodeLimits {
  // Most measure groups in one payload (multi-measure arrays, '#'-separated groups).
  std::size_t max_groups = 1000;
  // Most fields in one group.
  std::size_t max_fields = 1000;
};

// The payload member that carries a per-measure timestamp (IoT Agent JSON convention).
inline constexpr std::string_view kTimeInstant = "TimeInstant";

// IoT Agent JSON: one object of measures ({"t": 23.5, "h": 40}) or an array of them
// (multi-measure), each optionally with "TimeInstant" (ISO 8601). Errors: kInvalidRequest
// for text that is not JSON, kBadRequestData for JSON of the wrong shape; the detail says
// what and where.
Result<std::vector<MeasureGroup>> decode_json_measures(std::string_view payload,
                                                       const DecodeLimits& limits = {});

// UltraLight 2.0: "t|23.5|h|40", groups separated by '#', a group with an odd number of
// fields starts with its timestamp ("2026-12-04T10:00:00Z|t|23.5"). Errors: kBadRequestData.
Result<std::vector<MeasureGroup>> decode_ultralight_measures(std::string_view payload,
                                                             const DecodeLimits& limits = {});

// The value of an UltraLight field: a number when the text is a JSON number, else a string.
boost::json::value ultralight_value(std::string_view text);

}  // namespace citytwin::ingest
