#include "iot_support.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

#include "citytwin/common/json_document.hpp"
#include "citytwin/common/json_text.hpp"
#include "citytwin/http/problem.hpp"
#include "citytwin/security/access.hpp"
#include "ngsi/media_type.hpp"
#include "ngsi/request_env.hpp"

namespace citytwin::http::iot {

Status own_device_only(const Request& request, std::string_view apikey,
                       std::string_view device_id) {
  if (!request.principal || request.principal->role != security::Role::kDevice) {
    return ok_status();
  }
  return security::authorize_device(*request.principal, apikey, device_id,
                                    request.principal->tenant);
}

Result<ingest::ServiceScope> scope_of(const Request& request, bool allow_all_paths) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return std::move(tenant).error();
  ingest::ServiceScope scope;
  scope.tenant = std::move(*tenant);
  if (auto path = request.header("fiware-servicepath")) {
    scope.servicepath = std::string(*path);
    bool all = allow_all_paths && scope.servicepath == "/*";
    if (!all && !ingest::is_valid_servicepath(scope.servicepath)) {
      return make_error(ErrorKind::kBadRequestData,
                        "Fiware-ServicePath must be / or /name[/name...] (letters, digits, '_')");
    }
  }
  return scope;
}

Result<boost::json::object> json_body(const Request& request) {
  if (ngsi::media_type_essence(request.header("content-type").value_or("")) != "application/json") {
    return make_error(ErrorKind::kUnsupportedMediaType, "Content-Type must be application/json");
  }
  auto value = parse_json_document(request.body, "the body");
  if (!value) return std::move(value).error();
  if (!value->is_object())
    return make_error(ErrorKind::kBadRequestData, "the body must be an object");
  return std::move(value->as_object());
}

Response iot_json(int status, const boost::json::value& body) {
  return Response::with_body(status, "application/json", to_json_text(body));
}

Response iot_error(const Error& error) {
  // IoT Agent error names are upper-case tokens (DEVICE_NOT_FOUND, ...); other errors are
  // named by their NGSI-LD kind.
  bool iot_name =
      !error.title.empty() && std::all_of(error.title.begin(), error.title.end(), [](char c) {
        return std::isupper(static_cast<unsigned char>(c)) || c == '_';
      });
  std::string name = iot_name ? error.title : std::string(error_kind_name(error.kind));
  return iot_json(status_for(error.kind),
                  boost::json::object{{"name", name}, {"message", error.detail}});
}

}  // namespace citytwin::http::iot
