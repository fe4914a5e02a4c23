#pragma once

// Service groups and devices as the FIWARE IoT Agent provisioning API describes them
// (iotagent-node-lib doc/api.md, "Config group datamodel" and "Device datamodel"), read
// from and written to the same JSON members, so existing provisioning scripts work.
// docs/ingest.md lists what each member does in CityTwin.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/ingest/expression.hpp"

namespace citytwin::ingest {

// Where provisioning lives: the tenant the fiware-service header maps to and the
// fiware-servicepath (docs/ingest.md, "Tenants").
struct ServiceScope {
  std::string tenant;             // "" = the default tenant
  std::string servicepath = "/";  // "/" or "/a/b"
};

// A command's MQTT PUBLISH options (iotagent-json "mqtt" member of a command).
struct CommandMqtt {
  std::uint8_t qos = 1;
  bool retain = false;
};

// One entry of "attributes", "lazy" or "commands".
struct AttributeMapping {
  std::string object_id;    // field name in the payload; "" = same as `name`
  std::string name;         // attribute name in the entity
  std::string type;         // "Number", "Text", "Boolean", "DateTime", "geo:point", ...
  std::string expression;   // "" = the measured value as is
  std::string entity_name;  // multi-entity: another entity receives the value ("" = the device's)
  std::string entity_type;  // type of that other entity ("" = the device's entity type)
  boost::json::object metadata;             // e.g. {"unitCode": {"type": "Text", "value": "CEL"}}
  std::optional<CommandMqtt> command_mqtt;  // commands only: how MQTT publishes it
  // `expression` and `entity_name` compiled once at provisioning (null: none, or an
  // entity_name that is not an expression), so measurements do not parse them again.
  std::shared_ptr<const Expression> compiled_expression;
  std::shared_ptr<const Expression> compiled_entity_name;

  const std::string& field() const { return object_id.empty() ? name : object_id; }
};

// One entry of "static_attributes": written to the entity as given.
struct StaticAttribute {
  std::string name;
  std::string type;
  boost::json::value value;
  boost::json::object metadata;
};

// The provisioning shared by service groups and devices.
struct MappingConfig {
  std::string entity_type;
  std::vector<AttributeMapping> attributes;
  std::vector<AttributeMapping> lazy;      // stored; not polled (no southbound reads yet)
  std::vector<AttributeMapping> commands;  // sent to the device (docs/ingest.md, "Commands")
  // "endpoint": the device's HTTP URL for push commands ("" = none: HTTP devices poll).
  std::string endpoint;
  std::vector<StaticAttribute> static_attributes;
  std::optional<bool> explicit_attrs;  // only mapped attributes are written
  // CityTwin extension "expectedPeriod": seconds within which the device reports; a device
  // silent for longer is flagged deviceState "silent" (docs/ingest.md). nullopt: not watched.
  std::optional<std::int64_t> expected_period_s;
};

// A service group ("config group"): the template devices with its apikey follow.
struct ServiceGroup {
  ServiceScope scope;
  std::string apikey;
  std::string resource;         // "/iot/json", "/iot/d", ...; "" matches every transport
  std::string entity_name_exp;  // expression naming autoprovisioned devices' entities
  bool autoprovision = true;    // unknown devices are created on their first measurement
  std::string description;
  MappingConfig mapping;
};

struct DeviceConfig {
  ServiceScope scope;
  std::string device_id;
  std::string entity_name;  // "" = urn:ngsi-ld:<entity_type>:<device_id>
  std::string apikey;       // "" = any group's apikey of the same service path
  std::string protocol;
  std::string transport;
  std::string timezone;
  bool autoprovisioned = false;  // created by a measurement, not by the API
  MappingConfig mapping;
};

// Parses one element of the "services" array of POST /iot/services. Every member is
// validated; unknown members are kept out (cbroker and other Orion-only settings are
// accepted and ignored, see docs/ingest.md). Errors: kBadRequestData naming the member.
Result<ServiceGroup> parse_service_group(const boost::json::object& json, ServiceScope scope);
Result<DeviceConfig> parse_device(const boost::json::object& json, ServiceScope scope);

// The IoT Agent JSON of a group or device (what GET returns and what is persisted),
// with "service" and "subservice" naming its scope.
boost::json::object group_to_json(const ServiceGroup& group);
boost::json::object device_to_json(const DeviceConfig& device);

// Validation shared with the HTTP edge: fiware-servicepath, apikey and device id syntax.
bool is_valid_servicepath(std::string_view path);
bool is_valid_apikey(std::string_view apikey);
bool is_valid_device_id(std::string_view id);
// HTTP, MQTT, AMQP, COAP or LORAWAN (upper case), the transports a device may name.
bool is_known_transport(std::string_view transport);

}  // namespace citytwin::ingest
