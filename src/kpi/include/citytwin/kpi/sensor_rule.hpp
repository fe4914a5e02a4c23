#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>

#include "citytwin/common/result.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/kpi/input_rows.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::kpi {

// A sensor-derived input (docs/kpi.md, "Sensor-derived inputs"): how to compute a variable
// for a city and period from the recorded history of the city's sensors, as data:
//   {"city": "demo", "entityType": "AirQualityObserved", "attribute": "pm25",
//    "geoQ": {"geometry": "Polygon", "coordinates": [...], "georel": "within"},   (optional)
//    "aggregation": "mean" | "sum" | "min" | "max" | "count" | "shareOfDaysAbove" |
//                   "increase" (cumulative meter readings: the consumption in the window) |
//                   "areaShare" (share of the geoQ's Polygon covered by the entities' current
//                   polygons in `attribute`, a GeoProperty: e.g. green areas),
//    "threshold": 25,  (shareOfDaysAbove only)
//    "unit": "ug/m3"}
// The time window is the period's span (observedAt, UTC). Entity type and attribute are full
// IRIs or terms of the NGSI-LD default vocabulary (what the core @context gives them).
struct SensorRule {
  enum class Aggregation {
    kMean,
    kSum,
    kMin,
    kMax,
    kCount,
    kShareOfDaysAbove,
    kIncrease,
    kAreaShare
  };
  std::string variable;
  std::string city;
  std::string entity_type;  // expanded IRI
  std::string attribute;    // expanded IRI
  std::optional<boost::json::value> geo_q;
  Aggregation aggregation = Aggregation::kMean;
  double threshold = 0;
  std::string unit;
  boost::json::object json;  // as given, for GET and the log
};

Result<SensorRule> parse_sensor_rule(std::string_view variable, const boost::json::value& json);

// The variable's value computed by `rule` for `period` ("2025", "2025-Q1", "2025-03"), as an
// input row whose source and method say which sensors, attribute and window it used. No
// sample in the window: kResourceNotFound (no value is better than a made-up one).
Result<InputRow> evaluate_sensor_rule(const SensorRule& rule, std::string_view period,
                                      std::string_view tenant, const core::EntityService& entities,
                                      const store::EntityStore& store);

// [from, to) of a period in microseconds since the epoch (UTC).
std::pair<std::int64_t, std::int64_t> period_window(std::string_view period);

}  // namespace citytwin::kpi
