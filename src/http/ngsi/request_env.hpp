#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "citytwin/common/result.hpp"
#include "citytwin/http/ngsi_routes.hpp"
#include "citytwin/http/request.hpp"
#include "citytwin/http/response.hpp"
#include "citytwin/model/context.hpp"

namespace citytwin::http::ngsi {

enum class MediaType { kJson, kJsonLd, kGeoJson };

// Per-request NGSI-LD state: tenant, the active @context and the negotiated response type.
struct RequestEnv {
  std::string tenant;
  std::shared_ptr<const jsonld::Context> context;
  // The @context as the client named it (URL string, object or array); null means core only.
  boost::json::value context_value;
  MediaType response_type = MediaType::kJson;
  MediaType request_type = MediaType::kJson;  // Content-Type of the body, when there is one
  // Set for anonymous open-data readers: what they may see (core::ReadRestriction). Every
  // read a handler makes for this request passes it to core.
  std::shared_ptr<const core::ReadRestriction> restriction;
  // "http://host:port" the client reached us by (public_url.hpp), for URLs we hand out.
  std::string base_url;
};

inline constexpr std::string_view kContextRel = "http://www.w3.org/ns/json-ld#context";

// NGSILD-Tenant (clause 6.3.14), else Fiware-Service; "" when both are absent. Invalid
// names are 400.
Result<std::string> tenant_of(const Request& request);

// Accept negotiation (clause 6.3.6): JSON unless the client prefers JSON-LD (or GeoJSON where
// allowed). Nothing acceptable: 406.
Result<MediaType> negotiate(const Request& request, bool allow_geojson);

// True when the request's @context (Link header) is resolved without a download, so its
// handler may run on the event loop. A malformed Link header counts as local (it fails fast);
// an application/ld+json body (its @context is inside) does not.
bool contexts_are_local(const Request& request, NgsiApi& api);

// For requests without a body: tenant, Accept, and @context from the Link header.
Result<RequestEnv> prepare_read(const Request& request, NgsiApi& api, bool allow_geojson = false);

// For requests with a JSON body: also checks Content-Type (415), parses the body (400) and
// takes the @context from the body (application/ld+json) or the Link header
// (application/json), clause 6.3.5. The body is returned with "@context" removed when it is
// an object. Arrays (batch operations) keep their per-item @context.
struct WriteRequest {
  RequestEnv env;
  boost::json::value body;
};
// `body_storage`: where the body's memory comes from (default: the default resource). A
// handler that keeps no part of the body past the request passes a monotonic resource: a
// history import's body holds tens of thousands of values, each allocated and freed alone
// otherwise.
Result<WriteRequest> prepare_write(const Request& request, NgsiApi& api,
                                   bool allow_merge_patch = false,
                                   boost::json::storage_ptr body_storage = {});

// Resolves the @context of one batch item (application/ld+json bodies carry one per item).
Result<std::shared_ptr<const jsonld::Context>> item_context(const RequestEnv& env,
                                                            boost::json::object& item,
                                                            NgsiApi& api);

// "application/json", "application/ld+json" or "application/geo+json".
std::string_view response_media_type(const RequestEnv& env);

// A JSON response in the negotiated type: Link header for application/json (and geo+json),
// "@context" members are the caller's business (see context_for_body).
Response json_response(int status, const boost::json::value& body, const RequestEnv& env,
                       NgsiApi& api);
// The same with a body already serialized.
Response json_text_response(int status, std::string body, const RequestEnv& env, NgsiApi& api);
// The URL naming the request's @context in a Link header: the client's URL, the core context,
// or for an inline context an ImplicitlyCreated /jsonldContexts entry that serves it.
std::string link_url(const RequestEnv& env, NgsiApi& api);

// The value to put in "@context" of application/ld+json bodies.
boost::json::value context_for_body(const RequestEnv& env, NgsiApi& api);

// ProblemDetails for an Error.
Response fail(const Error& error);

}  // namespace citytwin::http::ngsi
