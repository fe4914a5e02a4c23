// MQTT device credentials over security::DeviceCredentialService (docs/security.md).
#include <boost/json.hpp>

#include "citytwin/http/device_credential_routes.hpp"
#include "iot_support.hpp"

namespace citytwin::http {
namespace {

boost::json::object render(const security::DeviceCredential& credential) {
  boost::json::object out{{"username", credential.username}, {"apikey", credential.apikey}};
  if (!credential.device_id.empty()) out["device_id"] = credential.device_id;
  return out;
}

std::string string_member(const boost::json::object& body, std::string_view name) {
  const auto* field = body.if_contains(name);
  return field != nullptr && field->is_string() ? std::string(field->as_string()) : std::string();
}

Response create_credential(const Request& request, security::DeviceCredentialService& service) {
  auto scope = iot::scope_of(request, false);
  if (!scope) return iot::iot_error(scope.error());
  auto body = iot::json_body(request);
  if (!body) return iot::iot_error(body.error());
  for (const auto& [name, value] : *body) {
    if (name != "apikey" && name != "device_id" && name != "username") {
      return iot::iot_error(
          make_error(ErrorKind::kBadRequestData, "unknown member \"" + std::string(name) + "\""));
    }
    if (!value.is_string()) {
      return iot::iot_error(
          make_error(ErrorKind::kBadRequestData, "\"" + std::string(name) + "\" must be a string"));
    }
  }
  security::DeviceCredentialSpec spec{scope->tenant, string_member(*body, "apikey"),
                                      string_member(*body, "device_id"),
                                      string_member(*body, "username")};
  auto created = service.create(spec);
  if (!created) return iot::iot_error(created.error());
  boost::json::object out = render(created->credential);
  out["password"] = created->password;
  return iot::iot_json(201, out);
}

Response list_credentials(const Request& request, security::DeviceCredentialService& service) {
  auto scope = iot::scope_of(request, true);
  if (!scope) return iot::iot_error(scope.error());
  auto credentials = service.list(scope->tenant);
  if (!credentials) return iot::iot_error(credentials.error());
  boost::json::array items;
  for (const auto& credential : *credentials) items.push_back(render(credential));
  return iot::iot_json(200, boost::json::object{{"count", items.size()}, {"credentials", items}});
}

Response delete_credential(const Request& request, security::DeviceCredentialService& service) {
  auto scope = iot::scope_of(request, true);
  if (!scope) return iot::iot_error(scope.error());
  auto status = service.remove(scope->tenant, request.path_param("username"));
  if (!status.ok()) return iot::iot_error(status.error());
  return Response::empty(204);
}

}  // namespace

// Credentials decide who may write a tenant's devices: admin of the tenant, as provisioning.
void add_device_credential_routes(Router& router, security::DeviceCredentialService& credentials) {
  using Handler = Response (*)(const Request&, security::DeviceCredentialService&);
  const std::tuple<const char*, const char*, Handler> kRoutes[] = {
      {"POST", "/iot/credentials", create_credential},
      {"GET", "/iot/credentials", list_credentials},
      {"DELETE", "/iot/credentials/{username}", delete_credential},
  };
  for (const auto& [method, pattern, route_handler] : kRoutes) {
    Handler handler = route_handler;  // a copy: clang 14 cannot capture a structured binding
    router.add(method, pattern, security::Permission::kAdmin,
               [&credentials, handler](Request& request) { return handler(request, credentials); });
  }
}

}  // namespace citytwin::http
