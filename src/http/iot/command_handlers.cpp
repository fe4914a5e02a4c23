// HTTP southbound of device commands (iot_command_routes.hpp): polling (iotagent-json
// "Polling commands", GET with getCmd=1) and command results posted by polling devices.
#include "command_handlers.hpp"

#include "citytwin/http/iot_command_routes.hpp"
#include "citytwin/security/access.hpp"
#include "iot_handlers.hpp"
#include "iot_support.hpp"

namespace citytwin::http {
namespace {

using Format = ingest::PayloadFormat;

// The check of the group's tenant against the caller's key, and for a device credential of
// the device against its own (empty without authentication).
std::function<Status(std::string_view)> authorizer(const Request& request) {
  if (!request.principal) return {};
  return [principal = *request.principal, apikey = std::string(request.param("k").value_or("")),
          device = std::string(request.param("i").value_or(""))](std::string_view tenant) {
    return security::authorize_device(principal, apikey, device, tenant);
  };
}

Response poll_commands(const Request& request, ingest::CommandDispatcher& commands, Format format,
                       std::string_view resource) {
  if (request.param("getCmd").value_or("") != "1") {
    return iot::iot_error(make_error(ErrorKind::kBadRequestData,
                                     "GET asks for pending commands: getCmd=1 is required"));
  }
  std::string_view apikey = request.param("k").value_or("");
  std::string_view device = request.param("i").value_or("");
  if (auto own = iot::own_device_only(request, apikey, device); !own.ok())
    return iot::iot_error(own.error());
  auto polled = commands.poll(apikey, device, resource, authorizer(request));
  if (!polled) return iot::iot_error(polled.error());
  return Response::with_body(200, format == Format::kJson ? "application/json" : "text/plain",
                             ingest::encode_commands(*polled, format));
}

Response post_results(const Request& request, ingest::CommandDispatcher& commands, Format format) {
  std::string_view apikey = request.param("k").value_or("");
  std::string_view device = request.param("i").value_or("");
  if (auto own = iot::own_device_only(request, apikey, device); !own.ok())
    return iot::iot_error(own.error());
  auto done = commands.complete("http", apikey, device, format, request.body, authorizer(request));
  if (!done.ok()) return iot::iot_error(done.error());
  return Response::empty(200);
}

}  // namespace

namespace iot {

Response post_measures_and_poll(const Request& request, ingest::IngestService& ingest,
                                Format format, std::string_view resource,
                                ingest::CommandDispatcher* commands) {
  Response written = post_measures(request, ingest, format, resource);
  if (written.status != 200 || commands == nullptr || request.param("getCmd").value_or("") != "1") {
    return written;
  }
  auto polled = commands->poll(request.param("k").value_or(""), request.param("i").value_or(""),
                               resource, authorizer(request));
  if (!polled) return iot_error(polled.error());
  return Response::with_body(200, format == Format::kJson ? "application/json" : "text/plain",
                             ingest::encode_commands(*polled, format));
}

}  // namespace iot

void add_iot_command_routes(Router& router, ingest::CommandDispatcher& commands) {
  router.add("GET", "/iot/json", Permission::kDeviceWrite, [&commands](Request& request) {
    return poll_commands(request, commands, Format::kJson, "/iot/json");
  });
  router.add("GET", "/iot/d", Permission::kDeviceWrite, [&commands](Request& request) {
    return poll_commands(request, commands, Format::kUltraLight, "/iot/d");
  });
  router.add("POST", "/iot/json/commands", Permission::kDeviceWrite, [&commands](Request& request) {
    return post_results(request, commands, Format::kJson);
  });
  router.add("POST", "/iot/d/commands", Permission::kDeviceWrite, [&commands](Request& request) {
    return post_results(request, commands, Format::kUltraLight);
  });
}

}  // namespace citytwin::http
