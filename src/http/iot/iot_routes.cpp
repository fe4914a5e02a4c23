#include "citytwin/http/iot_routes.hpp"

#include "command_handlers.hpp"
#include "iot_handlers.hpp"

namespace citytwin::http {

// Provisioning decides which apikeys write into a tenant and how: it needs an admin of the
// tenant (docs/ingest.md, "Permissions"); posting measures is an editor's write, or a device
// credential's for its own device (docs/security.md, "Device credentials").
void add_iot_routes(Router& router, ingest::DeviceRegistry& registry, ingest::IngestService& ingest,
                    ingest::CommandDispatcher* commands, IotMeasureLimits limits) {
  if (limits.metrics != nullptr && limits.device_rate != nullptr) {
    limits.metrics->describe("citytwin_http_device_rate_limited", "counter",
                             "HTTP measures refused over the per-device rate limit");
  }
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
  for (const auto& [method, pattern, route_handler] : kProvisioning) {
    Handler handler = route_handler;  // a copy: clang 14 cannot capture a structured binding
    router.add(method, pattern, Permission::kAdmin,
               [&registry, handler](Request& request) { return handler(request, registry); });
  }
  // A measure of a registered device only reads and orders writes (no fsync: the write
  // barrier waits for it), so it may run on the event loop; one that would autoprovision
  // persists the new device synchronously, and one that fetches commands (getCmd=1) records
  // them as delivered, so those go to a worker.
  auto settled = [&registry](std::string_view resource) {
    return [&registry, resource](const Request& request) {
      return request.param("getCmd").value_or("") != "1" &&
             registry.settled(request.param("k").value_or(""), resource,
                              request.param("i").value_or(""));
    };
  };
  router.add(
      "POST", "/iot/json", Permission::kDeviceWrite,
      [&ingest, commands, limits](Request& request) {
        if (auto refused = iot::over_device_rate(request, ingest, limits)) return *refused;
        return iot::post_measures_and_poll(request, ingest, ingest::PayloadFormat::kJson,
                                           "/iot/json", commands);
      },
      settled("/iot/json"));
  router.add(
      "POST", "/iot/d", Permission::kDeviceWrite,
      [&ingest, commands, limits](Request& request) {
        if (auto refused = iot::over_device_rate(request, ingest, limits)) return *refused;
        return iot::post_measures_and_poll(request, ingest, ingest::PayloadFormat::kUltraLight,
                                           "/iot/d", commands);
      },
      settled("/iot/d"));
  // LoRaWAN network servers' webhooks (docs/ingest.md, "LoRaWAN"): a measurement each.
  const std::pair<const char*, ingest::LorawanNetwork> kLorawan[] = {
      {"/iot/lorawan/chirpstack", ingest::LorawanNetwork::kChirpStack},
      {"/iot/lorawan/ttn", ingest::LorawanNetwork::kTheThingsStack},
  };
  for (const auto& [pattern, network] : kLorawan) {
    // A network server posts for many devices: a group credential of the apikey fits it.
    router.add("POST", pattern, Permission::kDeviceWrite,
               [&ingest, &registry, network = network](Request& request) {
                 return iot::post_lorawan_uplink(request, ingest, registry, network);
               });
  }
}

}  // namespace citytwin::http
