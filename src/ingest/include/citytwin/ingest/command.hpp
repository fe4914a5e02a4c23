#pragma once

// Device commands (docs/ingest.md, "Commands"), following the FIWARE IoT Agent conventions
// (iotagent-node-lib "commands", iotagent-json and iotagent-ul "Commands"): a command is an
// attribute of the device's entity; a change of its value is sent to the device, and the
// entity's `<cmd>_status` and `<cmd>_info` attributes tell what became of it.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/ingest/ingest_service.hpp"
#include "citytwin/ingest/provisioning.hpp"

namespace citytwin::ingest {

// Values of `<cmd>_status` (iotagent-node-lib): UNKNOWN before any command; PENDING once
// queued; DELIVERED once a polling device fetched it; OK with the device's result in
// `<cmd>_info`; ERROR when it could not be delivered (the reason in `<cmd>_info`); EXPIRED
// when no result came within the expiry time.
inline constexpr std::string_view kCommandUnknown = "UNKNOWN";
inline constexpr std::string_view kCommandPending = "PENDING";
inline constexpr std::string_view kCommandDelivered = "DELIVERED";
inline constexpr std::string_view kCommandOk = "OK";
inline constexpr std::string_view kCommandError = "ERROR";
inline constexpr std::string_view kCommandExpired = "EXPIRED";

// The suffixes of the attributes that report a command (IoT Agent).
inline constexpr std::string_view kStatusSuffix = "_status";
inline constexpr std::string_view kInfoSuffix = "_info";

// Where and how a command reaches its device.
struct CommandDevice {
  ServiceScope scope;
  std::string device_id;
  std::string apikey;     // the device's, else its group's
  std::string transport;  // "MQTT", "HTTP", "COAP", "LORAWAN" or "" (unspecified)
  std::string endpoint;   // HTTP push URL; "" = none
  PayloadFormat format = PayloadFormat::kJson;
  std::string entity_id;  // the device's entity, which carries the command attributes
};

// One command on its way to a device.
struct DeviceCommand {
  CommandDevice device;
  std::string name;          // the command (attribute) name as provisioned
  boost::json::value value;  // its parameters: the attribute's value
  std::string status;        // kCommandPending or kCommandDelivered while it waits
  Instant issued_at;
  Instant expires_at;
  CommandMqtt mqtt;  // QoS and retain of its MQTT PUBLISH (the command's "mqtt" member)
};

// The wire form of a command (iotagent-json: {"<cmd>": <value>}; iotagent-ul:
// "<device_id>@<cmd>|<value>", an object value as "<device_id>@<cmd>|k1=v1|k2=v2").
std::string encode_command(const DeviceCommand& command);

// Several commands for one device in one answer (HTTP polling): one JSON object, or the
// UltraLight commands joined by '#'.
std::string encode_commands(const std::vector<DeviceCommand>& commands, PayloadFormat format);

// A device's command results (cmdexe): a JSON object {"<cmd>": <result>, ...}, or UltraLight
// "<device_id>@<cmd>|<result>" (several joined by '#'). An UltraLight result naming another
// device, an empty command name or a payload of neither form is kBadRequestData.
Result<std::vector<std::pair<std::string, boost::json::value>>> decode_command_results(
    std::string_view payload, PayloadFormat format, std::string_view device_id);

// The persisted form of a queued command (store namespace "iot.command").
boost::json::object command_to_json(const DeviceCommand& command);
Result<DeviceCommand> command_from_json(const boost::json::object& json);

// The store key of a device's command: tenant, service path, device id, name.
std::string command_key(const ServiceScope& scope, std::string_view device_id,
                        std::string_view name);

}  // namespace citytwin::ingest
