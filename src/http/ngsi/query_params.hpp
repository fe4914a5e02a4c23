#pragma once

#include <boost/json.hpp>

#include "citytwin/core/entity_query.hpp"
#include "citytwin/http/ngsi_routes.hpp"
#include "citytwin/http/request.hpp"
#include "request_env.hpp"

namespace citytwin::http::ngsi {

// GET /entities parameters (clause 6.4.3.2): id, idPattern, type, attrs, q, georel/geometry/
// coordinates/geoproperty, scopeQ, limit, offset, count.
Result<core::EntityQuery> query_from_parameters(const Request& request, const RequestEnv& env,
                                                const NgsiApiOptions& options);

// POST /entityOperations/query body (clause 5.2.23 Query): entities, attrs, q, geoQ, scopeQ,
// plus limit/offset/count from the URL.
Result<core::EntityQuery> query_from_body(const boost::json::object& body, const Request& request,
                                          const RequestEnv& env, const NgsiApiOptions& options);

// Whether the answer carries rel="prev"/"next" Link headers (clause 6.3.10). Only GET
// queries do: a link cannot carry the body of POST /entityOperations/query.
enum class PageLinks { kNone, kInclude };

// Runs a query and renders the page, with NGSILD-Results-Count when count=true.
Response run_query(const Request& request, const RequestEnv& env, const core::EntityQuery& query,
                   NgsiApi& api, PageLinks page_links = PageLinks::kNone);

// NGSILD-Results-Count (when counted) and the rel="prev"/"next" links of a query's page.
void add_page_headers(Response& response, const Request& request, const RequestEnv& env,
                      const core::EntityQuery& query, const core::QueryResult& result,
                      PageLinks page_links);

}  // namespace citytwin::http::ngsi
