#include "request_env.hpp"
#include "citytwin/common/json_text.hpp"

#include <algorithm>
#include <vector>

#include "citytwin/common/json_document.hpp"
#include "citytwin/http/problem.hpp"
#include "citytwin/model/core_contexts.hpp"
#include "media_type.hpp"
#include "public_url.hpp"

namespace citytwin::http::ngsi {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The @context URL of a Link header with rel=json-ld#context, or nullopt.
Result<std::optional<std::string>> link_context(const Request& request) {
  std::optional<std::string> found;
  for (const auto& [name, value] : request.headers) {
    if (name != "link") continue;
    std::string_view text = value;
    std::size_t open = text.find('<');
    std::size_t close = text.find('>', open);
    if (open == std::string_view::npos || close == std::string_view::npos) {
      return make_error(ErrorKind::kBadRequestData, "malformed Link header");
    }
    if (text.find(kContextRel) == std::string_view::npos) continue;
    if (found) return make_error(ErrorKind::kBadRequestData, "more than one @context Link header");
    found = std::string(text.substr(open + 1, close - open - 1));
  }
  return found;
}

}  // namespace

bool contexts_are_local(const Request& request, NgsiApi& api) {
  // A JSON-LD body names its @context inside; finding out means parsing it: assume remote.
  if (media_type_essence(request.header("content-type").value_or("")) == "application/ld+json") {
    return false;
  }
  auto link = link_context(request);
  if (!link.ok() || !link->has_value()) return true;
  return api.resolver.is_cached(boost::json::string(**link));
}

namespace {

bool valid_tenant_name(std::string_view tenant) {
  if (tenant.empty() || tenant.size() > 64) return false;
  return std::all_of(tenant.begin(), tenant.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

Status resolve_into(RequestEnv& env, boost::json::value context_value, NgsiApi& api) {
  auto context = api.resolver.resolve(context_value);
  if (!context) return std::move(context).error();
  env.context = std::move(*context);
  env.context_value = std::move(context_value);
  return ok_status();
}

// Anonymous readers (admitted by the dispatcher to a tenant's open data) get that tenant's
// restriction; if the tenant closed its open data meanwhile, they are refused.
Status restrict_anonymous(const Request& request, RequestEnv& env, NgsiApi& api) {
  if (!request.principal || !request.principal->anonymous) return ok_status();
  auto refused = make_error(ErrorKind::kUnauthorized, "an API key is required");
  if (api.data_policies == nullptr) return refused;
  auto view = api.data_policies->open_data_view(env.tenant);
  if (!view) return std::move(view).error();
  if (*view == nullptr) return refused;
  env.restriction = std::move(*view);
  return ok_status();
}

}  // namespace

Result<std::string> tenant_of(const Request& request) {
  // Fiware-Service names the tenant for FIWARE clients (IoT Agent provisioning, Orion-LD
  // compatibility, docs/ingest.md); NGSILD-Tenant wins when both are sent.
  auto header = request.header("ngsild-tenant");
  std::string_view name = "NGSILD-Tenant";
  if (!header) {
    header = request.header("fiware-service");
    name = "Fiware-Service";
  }
  if (!header) return std::string();
  std::string tenant(trim(*header));
  if (!valid_tenant_name(tenant)) {
    return make_error(
        ErrorKind::kBadRequestData,
        std::string(name) + " must be 1-64 characters of letters, digits, '_', '-' or '.'");
  }
  return tenant;
}

Result<MediaType> negotiate(const Request& request, bool allow_geojson) {
  auto header = request.header("accept");
  if (!header || trim(*header).empty()) return MediaType::kJson;
  for (const auto& range : parse_accept(*header)) {
    if (range.quality <= 0) continue;
    if (range.type == "application/json" || range.type == "*/*" || range.type == "application/*") {
      return MediaType::kJson;
    }
    if (range.type == "application/ld+json") return MediaType::kJsonLd;
    if (range.type == "application/geo+json" && allow_geojson) return MediaType::kGeoJson;
  }
  return make_error(ErrorKind::kNotAcceptable,
                    std::string("acceptable response types are application/json, "
                                "application/ld+json") +
                        (allow_geojson ? " and application/geo+json" : ""));
}

Result<RequestEnv> prepare_read(const Request& request, NgsiApi& api, bool allow_geojson) {
  RequestEnv env;
  auto tenant = tenant_of(request);
  if (!tenant) return std::move(tenant).error();
  env.tenant = std::move(*tenant);
  CT_RETURN_IF_ERROR(restrict_anonymous(request, env, api));
  env.base_url = request_base_url(request, api.options.base_url);
  auto type = negotiate(request, allow_geojson);
  if (!type) return std::move(type).error();
  env.response_type = *type;
  auto link = link_context(request);
  if (!link) return std::move(link).error();
  boost::json::value context_value;
  if (*link) context_value = boost::json::string(**link);
  CT_RETURN_IF_ERROR(resolve_into(env, std::move(context_value), api));
  return env;
}

Result<WriteRequest> prepare_write(const Request& request, NgsiApi& api, bool allow_merge_patch,
                                   boost::json::storage_ptr body_storage) {
  // The body is moved in below: only a value of the same storage takes it without a copy.
  WriteRequest write{RequestEnv{}, boost::json::value(body_storage)};
  auto tenant = tenant_of(request);
  if (!tenant) return std::move(tenant).error();
  write.env.tenant = std::move(*tenant);
  CT_RETURN_IF_ERROR(restrict_anonymous(request, write.env, api));
  write.env.base_url = request_base_url(request, api.options.base_url);
  auto type = negotiate(request, false);
  if (!type) return std::move(type).error();
  write.env.response_type = *type;

  std::string content_type = media_type_essence(request.header("content-type").value_or(""));
  if (content_type == "application/ld+json") {
    write.env.request_type = MediaType::kJsonLd;
  } else if (content_type == "application/json" ||
             (allow_merge_patch && content_type == "application/merge-patch+json")) {
    write.env.request_type = MediaType::kJson;
  } else {
    return make_error(
        ErrorKind::kUnsupportedMediaType,
        "Content-Type must be application/json or application/ld+json" +
            std::string(allow_merge_patch ? " (or application/merge-patch+json)" : "") + ", got '" +
            content_type + "'");
  }

  boost::json::parse_options options;
  options.max_depth = 64;
  auto body = parse_json_document(request.body, "request body", options, body_storage);
  if (!body) return std::move(body).error();
  write.body = std::move(*body);

  auto link = link_context(request);
  if (!link) return std::move(link).error();
  boost::json::value context_value;
  if (write.env.request_type == MediaType::kJsonLd) {
    if (*link) {
      return make_error(
          ErrorKind::kBadRequestData,
          "application/ld+json requests carry @context in the body, not in a Link header");
    }
    if (auto* object = write.body.if_object()) {
      auto* context = object->if_contains("@context");
      if (context == nullptr) {
        return make_error(ErrorKind::kBadRequestData,
                          "application/ld+json body must have an @context");
      }
      context_value = *context;
      object->erase("@context");
    }
  } else {
    if (const auto* object = write.body.if_object(); object && object->contains("@context")) {
      return make_error(ErrorKind::kBadRequestData,
                        "an application/json body must not contain @context; use a Link header "
                        "or application/ld+json");
    }
    if (*link) context_value = boost::json::string(**link);
  }
  CT_RETURN_IF_ERROR(resolve_into(write.env, std::move(context_value), api));
  return write;
}

Result<std::shared_ptr<const jsonld::Context>> item_context(const RequestEnv& env,
                                                            boost::json::object& item,
                                                            NgsiApi& api) {
  if (env.request_type != MediaType::kJsonLd) {
    if (item.contains("@context")) {
      return make_error(ErrorKind::kBadRequestData,
                        "an application/json body must not contain @context");
    }
    return env.context;
  }
  auto* context = item.if_contains("@context");
  if (context == nullptr) {
    return make_error(ErrorKind::kBadRequestData,
                      "application/ld+json entity must have an @context");
  }
  auto resolved = api.resolver.resolve(*context);
  item.erase("@context");
  return resolved;
}

boost::json::value context_for_body(const RequestEnv& env, NgsiApi&) {
  if (env.context_value.is_null()) return boost::json::string(jsonld::kDefaultCoreContextUrl);
  return env.context_value;
}

// The URL a Link header names for the request's context: the client's URL, or for an inline
// context an ImplicitlyCreated registry entry that serves it (clause 5.13).
std::string link_url(const RequestEnv& env, NgsiApi& api) {
  if (env.context_value.is_null()) return std::string(jsonld::kDefaultCoreContextUrl);
  if (env.context_value.is_string()) return std::string(env.context_value.as_string());
  boost::json::object document{{"@context", env.context_value}};
  auto entry = api.registry.add_implicit(to_json_text(document));
  if (!entry) return std::string(jsonld::kDefaultCoreContextUrl);
  return public_context_url(entry->url, env.base_url);
}

std::string_view response_media_type(const RequestEnv& env) {
  switch (env.response_type) {
    case MediaType::kJsonLd:
      return "application/ld+json";
    case MediaType::kGeoJson:
      return "application/geo+json";
    case MediaType::kJson:
      break;
  }
  return "application/json";
}

Response json_response(int status, const boost::json::value& body, const RequestEnv& env,
                       NgsiApi& api) {
  return json_text_response(status, to_json_text(body), env, api);
}

Response json_text_response(int status, std::string body, const RequestEnv& env, NgsiApi& api) {
  Response response =
      Response::with_body(status, std::string(response_media_type(env)), std::move(body));
  if (env.response_type != MediaType::kJsonLd) {
    response.header("Link", "<" + link_url(env, api) + ">; rel=\"" + std::string(kContextRel) +
                                "\"; type=\"application/ld+json\"");
  }
  return response;
}

Response fail(const Error& error) {
  return problem_response(error);
}

}  // namespace citytwin::http::ngsi
