// The temporal query parameters of GET /temporal/entities (timerel, timeAt, endTimeAt,
// timeproperty, lastN; GS CIM 009 clauses 4.11 and 6.18) as they arrive: the input is a
// request target's query string, decoded by the server's own target parser. What is accepted
// must be a usable query: a 'between' range that is not empty, a positive lastN.

#include "citytwin/http/request.hpp"
#include "fuzz_support.hpp"
#include "ngsi/temporal_params.hpp"

using namespace citytwin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string target = "/ngsi-ld/v1/temporal/entities?";
  target.append(fuzz::as_text(data, size));
  http::Request request;
  request.method = "GET";
  if (!http::parse_request_target(target, request)) return 0;
  auto query = http::ngsi::temporal_query_params(request);
  if (!query.ok()) return 0;
  using Relation = core::TemporalQuery::Relation;
  if (query->relation == Relation::kBetween && query->end_time_at <= query->time_at) {
    fuzz::fail("empty between range accepted", target);
  }
  if (query->last_n && *query->last_n == 0) fuzz::fail("lastN=0 accepted", target);
  return 0;
}
