#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/core/temporal_query.hpp"
#include "temporal_selection.hpp"

namespace citytwin::core {

// The aggregated temporal representation (GS CIM 009 clause 4.5.19) of selected instances.
//
// Periods: query.aggregation->period long, laid out from the start of the queried range:
// timeAt for `between` and `after`, else the oldest selected instant; they end at endTimeAt
// (`between`), timeAt (`before`), else just after the newest selected instant. A zero period
// is the whole range. Every attribute of the entity uses the same periods.
//
// Output: per expanded attribute name an array with one object per datasetId,
// {"type": <type of the newest instance>, "datasetId"?: ..., "<method>": [[value, startAt,
// endAt], ...]} with one entry per period that holds at least one value (deletions are not
// values), in time order. Which values a method covers is series::BucketAggregate's contract;
// min and max of text are strings. A method with nothing to work on for an attribute (sum
// of text, min of booleans) is left out for that attribute, or, when the client named the
// attribute in `attrs`, is a BadRequestData error. Too many periods: TooManyResults.
Result<boost::json::object> aggregate_history(
    const std::map<std::string, std::vector<TimedInstance>, std::less<>>& attrs,
    const TemporalQuery& query);

}  // namespace citytwin::core
