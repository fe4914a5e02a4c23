#pragma once

#include <boost/json/object.hpp>

#include "citytwin/common/result.hpp"
#include "citytwin/core/temporal_query.hpp"
#include "citytwin/http/request.hpp"

namespace citytwin::http::ngsi {

// Reads timerel, timeAt, endTimeAt, timeproperty and lastN (GS CIM 009 clauses 4.11, 6.3.x)
// into a TemporalQuery; `attrs` is the caller's (it needs the @context). Bad values,
// timeAt without timerel, between without endTimeAt and inverted ranges are 400
// BadRequestData.
// With options=aggregatedValues also aggrMethods and aggrPeriodDuration (clause 4.5.19).
Result<core::TemporalQuery> temporal_query_params(const Request& request);

// Whether retrieving one entity's history with the request's parameters reads little enough
// to run on the event loop (docs/timeseries.md, "Where a temporal request runs"): lastN of
// at most kShortLastN instances, or an aggregation over a window (timerel=between) of at
// most kShortWindowMicros in at most kShortPeriods periods. Bad parameters are answered at
// once: true.
inline constexpr std::size_t kShortLastN = 100;
inline constexpr std::int64_t kShortWindowMicros = 31LL * 24 * 3600 * 1'000'000;
inline constexpr std::int64_t kShortPeriods = 1000;
bool reads_little_history(const Request& request);

// POST /temporal/entityOperations/query (clause 5.7.4, 5.2.21 TemporalQuery): timerel,
// timeAt, endTimeAt, timeproperty and lastN from the body's "temporalQ" (lastN and
// timeproperty may also come in the URL); options and the aggregation from the URL.
Result<core::TemporalQuery> temporal_query_from_body(const boost::json::object& body,
                                                     const Request& request);

}  // namespace citytwin::http::ngsi
