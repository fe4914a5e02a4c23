#pragma once

#include "citytwin/common/metrics.hpp"
#include "citytwin/http/rate_limiter.hpp"
#include "citytwin/http/router.hpp"
#include "citytwin/ingest/command_dispatcher.hpp"
#include "citytwin/ingest/device_registry.hpp"
#include "citytwin/ingest/ingest_service.hpp"

namespace citytwin::http {

// The FIWARE IoT Agent northbound provisioning API and HTTP southbound (docs/ingest.md):
//   POST/GET/PUT/DELETE /iot/services           service groups (admin of the tenant)
//   POST/GET /iot/devices, GET/PUT/DELETE /iot/devices/{deviceId}   devices (admin)
//   POST /iot/json?k={apikey}&i={device_id}     IoT Agent JSON measures (editor)
//   POST /iot/d?k={apikey}&i={device_id}        UltraLight 2.0 measures (editor)
// Fiware-Service (or NGSILD-Tenant) names the tenant, Fiware-ServicePath the service path.
// Errors are IoT Agent bodies {"name", "message"} with the NGSI-LD status of their kind.
// With `commands`, a measure posted with getCmd=1 is answered with the device's pending
// commands (iot_command_routes.hpp, docs/ingest.md "Commands").
//
// `limits`: the per-device rate of POST /iot/json and /iot/d (docs/ingest.md, "Rate
// limits"), the same token buckets as MQTT's per-device limit.
struct IotMeasureLimits {
  RateLimiter* device_rate = nullptr;  // null: no limit
  MetricsRegistry* metrics = nullptr;  // counts citytwin_http_device_rate_limited
};
void add_iot_routes(Router& router, ingest::DeviceRegistry& registry, ingest::IngestService& ingest,
                    ingest::CommandDispatcher* commands = nullptr, IotMeasureLimits limits = {});

}  // namespace citytwin::http
