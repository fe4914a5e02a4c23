#include "citytwin/ingest/lorawan_measurement.hpp"

#include "citytwin/ingest/provisioning.hpp"

namespace citytwin::ingest {
namespace {

std::string resource_of(const LorawanUplink& uplink, std::string_view apikey,
                        const DeviceRegistry& registry) {
  if (!uplink.device_profile.empty()) {
    std::string profile_resource =
        std::string(kLorawanResource) + "/" + lorawan_profile_segment(uplink.device_profile);
    auto group = registry.find_group(apikey, profile_resource);
    if (group && group->resource == profile_resource) return profile_resource;
  }
  return std::string(kLorawanResource);
}

std::string device_id_of(const LorawanUplink& uplink, std::string_view apikey,
                         std::string_view resource, const DeviceRegistry& registry) {
  const std::string& fallback = uplink.dev_eui.empty() ? uplink.device_id : uplink.dev_eui;
  auto group = registry.find_group(apikey, resource);
  if (!group) return fallback;
  for (const std::string* candidate : {&uplink.dev_eui, &uplink.device_id}) {
    if (!is_valid_device_id(*candidate)) continue;
    if (registry.find_device(group->scope, *candidate)) return *candidate;
  }
  return fallback;
}

}  // namespace

Measurement lorawan_measurement(const LorawanUplink& uplink, std::string_view apikey,
                                const DeviceRegistry& registry) {
  Measurement measurement;
  measurement.transport = "lorawan";
  measurement.apikey = std::string(apikey);
  measurement.resource = resource_of(uplink, apikey, registry);
  measurement.device_id = device_id_of(uplink, apikey, measurement.resource, registry);
  measurement.format = PayloadFormat::kJson;
  measurement.payload = lorawan_measures_json(uplink);
  return measurement;
}

}  // namespace citytwin::ingest
