#include "citytwin/http/iot_routes.hpp"

#include "iot_handlers.hpp"

namespace citytwin::http {

// Provisioning decides which apikeys write into a tenant and how: it needs an admin of the
// tenant (docs/ingest.md, "Permissions"); posting measures is an editor's write.
void add_iot_routes(Router& router, ingest::DeviceRegistry& registry,
                    ingest::IngestService& ingest) {
  using Handler = Response (*)(const Request&, ingest::DeviceRegistry&);
  const std::tuple<const char*, const char*, Handler> kProvisioning[] = {
      {"POST", "/iot/services", iot::create_groups},
      {"GET", "/iot/services", iot::list_groups},
      {"PUT", "/iot/services", iot::update_group},
      {"DELETE", "/iot/services", iot::delete_group},
      {"POST", "/iot/devices", iot::create_devices},
      {"GET", "/iot/devices", iot::list_devices},
      {"GET", "/iot/devices/{deviceId}", iot::get_device},
      {"PUT", "/iot/devices/{deviceId}", iot::update_device},
      {"DELETE", "/iot/devices/{deviceId}", iot::delete_device},
  };
  for (const auto& [method, pattern, handler] : kProvisioning) {
    router.add(method, pattern, Permission::kAdmin,
               [&registry, handler](Request& request) { return handler(request, registry); });
  }
  router.add("POST", "/iot/json", Permission::kWrite, [&ingest](Request& request) {
    return iot::post_measures(request, ingest, ingest::PayloadFormat::kJson, "/iot/json");
  });
  router.add("POST", "/iot/d", Permission::kWrite, [&ingest](Request& request) {
    return iot::post_measures(request, ingest, ingest::PayloadFormat::kUltraLight, "/iot/d");
  });
}

}  // namespace citytwin::http
