#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/core/read_restriction.hpp"

namespace citytwin::core {

// The attributes of an aggregated temporal representation (GS CIM 009 clause 4.5.19) as the
// answer writes them: per attribute, the JSON text of one object per datasetId, {"type",
// "datasetId"?, "<method>": [[value, startAt, endAt], ...]}. Text, not JSON values: a page of
// them (24,000 periods for the hours of a day of 1,000 sensors) cost more to build, serialize
// and free as Boost.JSON values than to compute (docs/performance.md, "The aggregated answer
// as text").
struct AggregatedAttribute {
  std::string name;                   // expanded
  std::vector<std::string> datasets;  // JSON object texts, in datasetId order
};
using AggregatedAttrs = std::vector<AggregatedAttribute>;

// {name: [object, ...]} for each attribute: the stored form's shape, for callers that want
// JSON values (TemporalService::retrieve). Fails only on text this module did not write.
Result<boost::json::object> aggregated_attrs_json(const AggregatedAttrs& attrs);

// Removes the attributes the restricted reader may not see (ReadRestriction::redact_attrs).
void redact_aggregated(const ReadRestriction& restriction, const boost::json::value& entity_types,
                       AggregatedAttrs& attrs);

}  // namespace citytwin::core
