#pragma once

#include <optional>

#include "citytwin/http/iot_routes.hpp"
#include "citytwin/http/request.hpp"
#include "citytwin/http/response.hpp"
#include "citytwin/ingest/device_registry.hpp"
#include "citytwin/ingest/ingest_service.hpp"
#include "citytwin/ingest/lorawan_uplink.hpp"

namespace citytwin::http::iot {

Response create_groups(const Request& request, ingest::DeviceRegistry& registry);
Response list_groups(const Request& request, ingest::DeviceRegistry& registry);
Response update_group(const Request& request, ingest::DeviceRegistry& registry);
Response delete_group(const Request& request, ingest::DeviceRegistry& registry);
Response create_devices(const Request& request, ingest::DeviceRegistry& registry);
Response list_devices(const Request& request, ingest::DeviceRegistry& registry);
Response get_device(const Request& request, ingest::DeviceRegistry& registry);
Response update_device(const Request& request, ingest::DeviceRegistry& registry);
Response delete_device(const Request& request, ingest::DeviceRegistry& registry);

// POST /iot/json and /iot/d: one measurement, acknowledged by the server's write barrier
// once durable.
Response post_measures(const Request& request, ingest::IngestService& ingest,
                       ingest::PayloadFormat format, std::string_view resource);

// 429 Too Many Requests with Retry-After (RFC 6585 clause 4) when the device (apikey k,
// device i) is over its rate; nullopt when it may post. A refused measure is counted in
// citytwin_http_device_rate_limited and in the ingestion outcomes, and writes nothing.
std::optional<Response> over_device_rate(const Request& request, ingest::IngestService& ingest,
                                         const IotMeasureLimits& limits);

// Writes a measurement a handler built, checking the caller's key against the group's tenant;
// 200 (the write barrier holds it until durable) or the IoT Agent error.
Response write_measurement(const Request& request, ingest::IngestService& ingest,
                           ingest::Measurement measurement);

// POST /iot/lorawan/chirpstack and /iot/lorawan/ttn: network-server uplink webhooks.
Response post_lorawan_uplink(const Request& request, ingest::IngestService& ingest,
                             const ingest::DeviceRegistry& registry,
                             ingest::LorawanNetwork network);

}  // namespace citytwin::http::iot
