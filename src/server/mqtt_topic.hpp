#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "citytwin/ingest/ingest_service.hpp"
#include "citytwin/security/device_credentials.hpp"

namespace citytwin::server {

// A device topic of the FIWARE IoT Agent conventions (docs/ingest.md, "MQTT"):
//   [/][json/|ul/]{apikey}/{device_id}/attrs               measures (JSON object or array,
//                                                          or UltraLight)
//   [/][json/|ul/]{apikey}/{device_id}/attrs/{object_id}   one measure, the bare value
//   [/][json/|ul/]{apikey}/{device_id}/cmdexe              a command's result (not ingested)
// "json/" and "ul/" name the payload format; without a prefix it is JSON when the payload
// starts with '{' or '[' and UltraLight otherwise.
struct DeviceTopic {
  enum class Kind { kMeasures, kCommandResult };
  Kind kind = Kind::kMeasures;
  std::optional<ingest::PayloadFormat> format;  // from the prefix, when there is one
  std::string apikey;
  std::string device_id;
  std::string object_id;  // kMeasures of one field only
};

// nullopt for topics that follow no device convention (plain MQTT traffic, forwarded only).
std::optional<DeviceTopic> parse_device_topic(std::string_view topic);

// `topic` as the audit log shows it: the apikey, a credential of its group, replaced by
// "{apikey}" (docs/security.md, "Audit log").
std::string audit_path(const DeviceTopic& topic);

// The payload format of a measure message on `topic`.
ingest::PayloadFormat payload_format(const DeviceTopic& topic, std::string_view payload);

// Whether `topic` (a topic name, or a filter when `filter` is true) lies in the topic space of
// `credential`: [/][json/|ul/]{apikey}/{device_id}/... A group credential's filters may use
// '+' for the device; '#' only below the device level.
bool topic_allowed(const security::DeviceCredential& credential, std::string_view topic,
                   bool filter);

}  // namespace citytwin::server
