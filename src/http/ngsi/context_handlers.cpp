// /ngsi-ld/v1/jsonldContexts (GS CIM 009 V1.8.1 clause 5.13 "@context management"; HTTP
// binding clause 6.29-6.30): list, serve, add (Hosted) and delete/reload cached contexts.
#include <boost/json.hpp>

#include "citytwin/common/json_text.hpp"
#include "citytwin/model/context_entry.hpp"
#include "handlers.hpp"
#include "media_type.hpp"
#include "public_url.hpp"
#include "request_env.hpp"

namespace citytwin::http::ngsi {
namespace {

// Clauses 5.13.3.5 / 5.13.4.5 details, with the URL as this client reaches it.
boost::json::object details_of(const jsonld::ContextEntry& entry, std::string_view base_url) {
  boost::json::object details = jsonld::context_entry_details(entry);
  details["URL"] = public_context_url(entry.url, base_url);
  return details;
}

}  // namespace

Response list_contexts(Request& request, NgsiApi& api) {
  if (auto type = negotiate(request, false); !type) return fail(type.error());
  std::optional<jsonld::ContextKind> kind;
  if (auto text = request.param("kind")) {
    kind = jsonld::parse_context_kind(*text);
    if (!kind) {
      return fail(make_error(ErrorKind::kBadRequestData,
                             "kind must be Hosted, Cached or ImplicitlyCreated"));
    }
  }
  bool details = request.param("details").value_or("false") == "true";
  const std::string base_url = request_base_url(request, api.options.base_url);
  boost::json::array body;
  for (const auto& entry : api.registry.list(kind)) {
    if (details) {
      body.push_back(details_of(entry, base_url));
    } else {
      body.emplace_back(public_context_url(entry.url, base_url));
    }
  }
  return Response::with_body(200, "application/json", to_json_text(body));
}

// The document is served as application/ld+json (also to JSON clients, whose parsers read
// it); an Accept that takes neither is 406 as on every other resource (clause 6.3.6).
Response serve_context(Request& request, NgsiApi& api) {
  if (auto type = negotiate(request, false); !type) return fail(type.error());
  std::string_view id = request.path_param("contextId");
  if (request.param("details").value_or("false") == "true") {
    auto entry = api.registry.peek(id);
    if (!entry)
      return fail(make_error(ErrorKind::kResourceNotFound, "no @context " + std::string(id)));
    const std::string base_url = request_base_url(request, api.options.base_url);
    return Response::with_body(200, "application/json", to_json_text(details_of(*entry, base_url)));
  }
  auto entry = api.registry.get(id);
  if (!entry) return fail(entry.error());
  return Response::with_body(200, "application/ld+json", entry->document);
}

Response add_context(Request& request, NgsiApi& api) {
  // Media types compare case-insensitively and without their parameters (RFC 9110 8.3.1).
  const std::string type = media_type_essence(request.header("content-type").value_or(""));
  if (type != "application/json" && type != "application/ld+json") {
    return fail(make_error(ErrorKind::kUnsupportedMediaType,
                           "Content-Type must be application/json or application/ld+json"));
  }
  auto entry = api.registry.add_hosted(request.body);
  if (!entry) return fail(entry.error());
  return Response::empty(201).header(
      "Location", public_context_url(entry->url, request_base_url(request, api.options.base_url)));
}

Response delete_context(Request& request, NgsiApi& api) {
  std::string_view id = request.path_param("contextId");
  if (request.param("reload").value_or("false") == "true") {
    auto entry = api.registry.reload(id, api.loader);
    if (!entry) return fail(entry.error());
    return Response::empty(204);
  }
  auto status = api.registry.remove(id);
  if (!status.ok()) return fail(status.error());
  return Response::empty(204);
}

}  // namespace citytwin::http::ngsi
