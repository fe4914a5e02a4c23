#pragma once

#include "citytwin/http/request.hpp"
#include "citytwin/http/response.hpp"
#include "citytwin/ingest/device_registry.hpp"
#include "citytwin/ingest/ingest_service.hpp"

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

}  // namespace citytwin::http::iot
