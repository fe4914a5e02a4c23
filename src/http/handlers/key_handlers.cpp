#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/json_text.hpp"
#include "citytwin/http/key_routes.hpp"
#include "citytwin/http/problem.hpp"
#include "ngsi/media_type.hpp"

namespace citytwin::http {
namespace {

using security::ApiKey;
using security::KeyService;

constexpr std::string_view kKeys = "/citytwin/v1/keys";

boost::json::object describe(const ApiKey& key) {
  boost::json::object out{{"id", key.id},
                          {"name", key.name},
                          {"role", security::role_name(key.role)},
                          {"tenant", key.tenant},
                          {"createdAt", format_date_time(key.created_at)},
                          {"createdBy", key.created_by}};
  if (key.expires_at) out["expiresAt"] = format_date_time(*key.expires_at);
  if (key.revoked_at) out["revokedAt"] = format_date_time(*key.revoked_at);
  if (!key.revoked_by.empty()) out["revokedBy"] = key.revoked_by;
  return out;
}

std::string caller(const Request& request) {
  return request.principal ? request.principal->key_id : std::string("anonymous");
}

Response json(int status, const boost::json::value& body) {
  // Key material and key lists must not be kept by caches or proxies.
  return Response::with_body(status, "application/json", to_json_text(body))
      .header("Cache-Control", "no-store");
}

Result<security::KeySpec> parse_spec(const Request& request) {
  if (ngsi::media_type_essence(request.header("content-type").value_or("")) != "application/json") {
    return make_error(ErrorKind::kUnsupportedMediaType, "Content-Type must be application/json");
  }
  boost::system::error_code ec;
  auto value = citytwin::parse_json(request.body, ec);
  if (ec || !value.is_object()) {
    return make_error(ErrorKind::kInvalidRequest, "the body must be a JSON object");
  }
  security::KeySpec spec;
  spec.created_by = caller(request);
  for (const auto& [name, field] : value.as_object()) {
    auto text = field.if_string();
    if (text == nullptr) {
      return make_error(ErrorKind::kBadRequestData, std::string(name) + " must be a string");
    }
    if (name == "role") {
      auto role = security::parse_role(*text);
      if (!role) {
        return make_error(ErrorKind::kBadRequestData, "role must be admin, editor or viewer");
      }
      spec.role = *role;
    } else if (name == "tenant") {
      spec.tenant = std::string(*text);
    } else if (name == "name") {
      spec.name = std::string(*text);
    } else if (name == "expiresAt") {
      auto instant = parse_date_time(*text);
      if (!instant) {
        return make_error(ErrorKind::kBadRequestData, "expiresAt must be an ISO 8601 date-time");
      }
      spec.expires_at = *instant;
    } else {
      return make_error(ErrorKind::kBadRequestData, "unknown member " + std::string(name));
    }
  }
  if (!value.as_object().contains("role")) {
    return make_error(ErrorKind::kBadRequestData, "role is required (admin, editor or viewer)");
  }
  return spec;
}

Response create_key(Request& request, KeyService& keys) {
  auto spec = parse_spec(request);
  if (!spec) return problem_response(spec.error());
  auto created = keys.create(*spec);
  if (!created) return problem_response(created.error());
  const ApiKey& key = created->key;
  // Audit: who made which key; the secret is never logged.
  spdlog::info("audit: API key {} created (role {}, tenant '{}') by {}", key.id,
               security::role_name(key.role), key.tenant, key.created_by);
  boost::json::object body = describe(key);
  body["key"] = created->secret;
  return json(201, body).header("Location", std::string(kKeys) + "/" + key.id);
}

Response list_keys(Request&, KeyService& keys) {
  auto listed = keys.list();
  if (!listed) return problem_response(listed.error());
  boost::json::array body;
  for (const auto& key : *listed) body.push_back(describe(key));
  return json(200, body);
}

Response get_key(Request& request, KeyService& keys) {
  auto key = keys.get(request.path_param("keyId"));
  if (!key) return problem_response(key.error());
  return json(200, describe(*key));
}

Response revoke_key(Request& request, KeyService& keys) {
  std::string by = caller(request);
  auto key = keys.revoke(request.path_param("keyId"), by);
  if (!key) return problem_response(key.error());
  spdlog::info("audit: API key {} revoked by {}", key->id, by);
  return Response::empty(204);
}

}  // namespace

void add_key_routes(Router& router, KeyService& keys) {
  auto bind = [&keys](Response (*handler)(Request&, KeyService&)) {
    return [handler, &keys](Request& request) { return handler(request, keys); };
  };
  const std::string base(kKeys);
  router.add("POST", base, Permission::kGlobalAdmin, bind(create_key));
  router.add("GET", base, Permission::kGlobalAdmin, bind(list_keys));
  router.add("GET", base + "/{keyId}", Permission::kGlobalAdmin, bind(get_key));
  router.add("DELETE", base + "/{keyId}", Permission::kGlobalAdmin, bind(revoke_key));
}

}  // namespace citytwin::http
