#pragma once

#include "citytwin/common/result.hpp"
#include "citytwin/core/temporal_query.hpp"
#include "citytwin/http/request.hpp"

namespace citytwin::http::ngsi {

// Reads timerel, timeAt, endTimeAt, timeproperty and lastN (GS CIM 009 clauses 4.11, 6.3.x)
// into a TemporalQuery; `attrs` is the caller's (it needs the @context). Bad values,
// timeAt without timerel, between without endTimeAt and inverted ranges are 400
// BadRequestData.
Result<core::TemporalQuery> temporal_query_params(const Request& request);

}  // namespace citytwin::http::ngsi
