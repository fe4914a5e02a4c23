#pragma once

#include <string_view>

#include "citytwin/ingest/device_registry.hpp"
#include "citytwin/ingest/ingest_service.hpp"
#include "citytwin/ingest/lorawan_uplink.hpp"

namespace citytwin::ingest {

// The service-group resource of LoRaWAN uplinks; a group at kLorawanResource + "/" + the
// device profile (lorawan_profile_segment) maps the devices of that profile only.
inline constexpr std::string_view kLorawanResource = "/iot/lorawan";

// The measurement an uplink posted with `apikey` becomes (docs/ingest.md, "LoRaWAN"):
// - its service group: the one at "/iot/lorawan/<device profile>" when there is one (the
//   per-device-profile field mapping), else the apikey's "/iot/lorawan" or resource-less group;
// - its device: the provisioned device whose device_id is the DevEUI, else the one whose
//   device_id is the network server's device name, else (to autoprovision) the DevEUI;
// - its payload: the uplink's measures as IoT Agent JSON, transport "lorawan".
// Errors of the group or device are left to IngestService, which counts and reports them.
Measurement lorawan_measurement(const LorawanUplink& uplink, std::string_view apikey,
                                const DeviceRegistry& registry);

}  // namespace citytwin::ingest
