// Parsing and rendering of IoT Agent provisioning documents (provisioning.hpp). Everything a
// measurement later relies on is validated here, at provisioning time, so ingestion never
// meets a malformed attribute mapping or expression.
#include "citytwin/ingest/provisioning.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <span>

#include "citytwin/ingest/expression.hpp"
#include "citytwin/model/ngsi_names.hpp"

namespace citytwin::ingest {
namespace {

Error bad(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

bool is_known(std::string_view key, std::span<const std::string_view> names) {
  return std::find(names.begin(), names.end(), key) != names.end();
}

// Settings of the IoT Agent that only make sense with an external Context Broker or a
// different agent build: accepted so that existing scripts keep working, and ignored.
constexpr std::array<std::string_view, 15> kIgnored = {"cbroker",
                                                       "token",
                                                       "trust",
                                                       "timestamp",
                                                       "expressionLanguage",
                                                       "ngsiVersion",
                                                       "payloadType",
                                                       "cmdMode",
                                                       "internal_attributes",
                                                       "polling",
                                                       "service",
                                                       "subservice",
                                                       "defaultEntityNameConjunction",
                                                       "useCBflowControl",
                                                       "storeLastMeasure"};

Result<std::string> string_member(const boost::json::value& value, std::string_view name) {
  const auto* text = value.if_string();
  if (text == nullptr) return bad(std::string(name) + " must be a string");
  return std::string(*text);
}

Result<bool> bool_member(const boost::json::value& value, std::string_view name) {
  if (!value.is_bool()) return bad(std::string(name) + " must be true or false");
  return value.get_bool();
}

bool is_token(std::string_view text, std::string_view extra) {
  return !text.empty() && text.size() <= 256 && std::all_of(text.begin(), text.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

Status check_attribute_name(std::string_view name, std::string_view where) {
  if (!model::is_valid_name(name) || name == "id" || name == "type" || name.size() > 256) {
    return bad(std::string(where) + ": \"" + std::string(name) +
               "\" is not a valid NGSI-LD attribute name");
  }
  return ok_status();
}

Result<boost::json::object> metadata_member(const boost::json::value& value,
                                            std::string_view where) {
  const auto* object = value.if_object();
  if (object == nullptr) return bad(std::string(where) + ".metadata must be an object");
  for (const auto& [name, entry] : *object) {
    CT_RETURN_IF_ERROR(check_attribute_name(name, std::string(where) + ".metadata"));
    if (!entry.is_object() || !entry.as_object().contains("value")) {
      return bad(std::string(where) + ".metadata." + std::string(name) +
                 " must be an object with a value");
    }
  }
  return *object;
}

// An entity name given in provisioning: a URI, or a name that becomes one (docs/ingest.md).
Status check_entity_name(std::string_view name, std::string_view where) {
  if (name.empty() || name.size() > 512 || std::any_of(name.begin(), name.end(), [](char c) {
        return std::iscntrl(static_cast<unsigned char>(c)) || c == ' ' ||
               std::string_view("<>\"{}|\\^`#?").find(c) != std::string_view::npos;
      })) {
    return bad(std::string(where) + " \"" + std::string(name) + "\" is not a valid entity name");
  }
  return ok_status();
}

// A command's "mqtt" member (iotagent-json): {"qos": 0|1|2, "retain": bool} of its PUBLISH.
Result<CommandMqtt> command_mqtt_member(const boost::json::value& value, const std::string& where) {
  const auto* object = value.if_object();
  if (object == nullptr) return bad(where + " must be an object");
  CommandMqtt options;
  for (const auto& [key, member] : *object) {
    if (key == "qos") {
      if (!member.is_int64() || member.get_int64() < 0 || member.get_int64() > 2) {
        return bad(where + ".qos must be 0, 1 or 2");
      }
      options.qos = static_cast<std::uint8_t>(member.get_int64());
    } else if (key == "retain") {
      auto flag = bool_member(member, where + ".retain");
      if (!flag) return std::move(flag).error();
      options.retain = *flag;
    } else {
      return bad(where + " has an unknown member " + std::string(key));
    }
  }
  return options;
}

Result<AttributeMapping> parse_mapping(const boost::json::value& value, const std::string& where,
                                       bool command) {
  const auto* object = value.if_object();
  if (object == nullptr) return bad(where + " must be an object");
  AttributeMapping mapping;
  for (const auto& [key, member] : *object) {
    if (key == "metadata") {
      auto metadata = metadata_member(member, where);
      if (!metadata) return std::move(metadata).error();
      mapping.metadata = std::move(*metadata);
      continue;
    }
    if (key == "mqtt" && command) {
      auto options = command_mqtt_member(member, where + ".mqtt");
      if (!options) return std::move(options).error();
      mapping.command_mqtt = *options;
      continue;
    }
    if (key == "skipValue" || key == "payloadType" || key == "contentType" || key == "mqtt") {
      continue;  // accepted for compatibility, not used (docs/ingest.md)
    }
    auto text = string_member(member, where + "." + std::string(key));
    if (!text) return std::move(text).error();
    if (key == "object_id") {
      if (text->empty() || text->size() > 256) return bad(where + ".object_id must not be empty");
      mapping.object_id = std::move(*text);
    } else if (key == "name") {
      mapping.name = std::move(*text);
    } else if (key == "type") {
      mapping.type = std::move(*text);
    } else if (key == "expression") {
      auto compiled = Expression::compile(*text);
      if (!compiled) return bad(where + ".expression: " + compiled.error().detail);
      mapping.compiled_expression = std::make_shared<const Expression>(std::move(*compiled));
      mapping.expression = std::move(*text);
    } else if (key == "entity_name" && !command) {
      mapping.entity_name = std::move(*text);
    } else if (key == "entity_type" && !command) {
      mapping.entity_type = std::move(*text);
    } else {
      return bad(where + " has an unknown member " + std::string(key));
    }
  }
  CT_RETURN_IF_ERROR(check_attribute_name(mapping.name, where + ".name"));
  if (mapping.type.empty() || mapping.type.size() > 256) {
    return bad(where + ".type is required");
  }
  // entity_name may be an expression over the measures (IoT Agent multi-entity); it is
  // checked as a name only when it cannot be one.
  if (!mapping.entity_name.empty()) {
    auto compiled = Expression::compile(mapping.entity_name);
    if (compiled) {
      mapping.compiled_entity_name = std::make_shared<const Expression>(std::move(*compiled));
    } else {
      CT_RETURN_IF_ERROR(check_entity_name(mapping.entity_name, where + ".entity_name"));
    }
  }
  if (!mapping.entity_type.empty() && !model::is_valid_name(mapping.entity_type)) {
    return bad(where + ".entity_type is not a valid NGSI-LD type name");
  }
  return mapping;
}

Result<std::vector<AttributeMapping>> parse_mappings(const boost::json::value& value,
                                                     std::string_view name) {
  const auto* array = value.if_array();
  if (array == nullptr) return bad(std::string(name) + " must be an array");
  if (array->size() > 1000) return bad(std::string(name) + " has more than 1000 entries");
  std::vector<AttributeMapping> out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    auto mapping = parse_mapping((*array)[i], std::string(name) + "[" + std::to_string(i) + "]",
                                 name == "commands");
    if (!mapping) return std::move(mapping).error();
    for (const auto& other : out) {
      if (other.name == mapping->name && other.entity_name == mapping->entity_name) {
        return bad(std::string(name) + " declares attribute " + mapping->name + " twice");
      }
    }
    out.push_back(std::move(*mapping));
  }
  return out;
}

Result<std::vector<StaticAttribute>> parse_statics(const boost::json::value& value) {
  const auto* array = value.if_array();
  if (array == nullptr) return bad("static_attributes must be an array");
  std::vector<StaticAttribute> out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    std::string where = "static_attributes[" + std::to_string(i) + "]";
    const auto* object = (*array)[i].if_object();
    if (object == nullptr) return bad(where + " must be an object");
    StaticAttribute attribute;
    for (const auto& [key, member] : *object) {
      if (key == "value") {
        attribute.value = member;
      } else if (key == "metadata") {
        auto metadata = metadata_member(member, where);
        if (!metadata) return std::move(metadata).error();
        attribute.metadata = std::move(*metadata);
      } else if (key == "name" || key == "type") {
        auto text = string_member(member, where + "." + std::string(key));
        if (!text) return std::move(text).error();
        (key == "name" ? attribute.name : attribute.type) = std::move(*text);
      } else {
        return bad(where + " has an unknown member " + std::string(key));
      }
    }
    CT_RETURN_IF_ERROR(check_attribute_name(attribute.name, where + ".name"));
    if (attribute.type.empty()) return bad(where + ".type is required");
    if (attribute.value.is_null()) return bad(where + ".value is required and not null");
    out.push_back(std::move(attribute));
  }
  return out;
}

// A push-command endpoint (IoT Agent "endpoint"): where it may point is checked against the
// outbound policy when a command is sent, not here.
bool is_http_url(std::string_view url) {
  bool scheme = url.starts_with("http://") || url.starts_with("https://");
  return scheme && url.size() <= 2048 && std::none_of(url.begin(), url.end(), [](char c) {
           return std::iscntrl(static_cast<unsigned char>(c)) || c == ' ';
         });
}

// Members common to groups and devices; false when `key` is not one of them.
Result<bool> parse_mapping_member(std::string_view key, const boost::json::value& member,
                                  MappingConfig& mapping) {
  if (key == "entity_type") {
    auto text = string_member(member, key);
    if (!text) return std::move(text).error();
    if (!model::is_valid_name(*text)) return bad("entity_type is not a valid NGSI-LD type name");
    mapping.entity_type = std::move(*text);
  } else if (key == "attributes" || key == "lazy" || key == "commands") {
    auto list = parse_mappings(member, key);
    if (!list) return std::move(list).error();
    (key == "attributes" ? mapping.attributes
     : key == "lazy"     ? mapping.lazy
                         : mapping.commands) = std::move(*list);
  } else if (key == "static_attributes") {
    auto statics = parse_statics(member);
    if (!statics) return std::move(statics).error();
    mapping.static_attributes = std::move(*statics);
  } else if (key == "endpoint") {
    auto text = string_member(member, key);
    if (!text) return std::move(text).error();
    if (!text->empty() && !is_http_url(*text)) {
      return bad("endpoint must be an http:// or https:// URL");
    }
    mapping.endpoint = std::move(*text);
  } else if (key == "expectedPeriod") {
    constexpr std::int64_t kYear = 366LL * 24 * 3600;
    if (!member.is_int64() || member.get_int64() <= 0 || member.get_int64() > kYear) {
      return bad("expectedPeriod must be a whole number of seconds between 1 and one year");
    }
    mapping.expected_period_s = member.get_int64();
  } else if (key == "explicitAttrs") {
    auto flag = bool_member(member, key);
    if (!flag) return std::move(flag).error();
    mapping.explicit_attrs = *flag;
  } else {
    return false;
  }
  return true;
}

boost::json::array mappings_to_json(const std::vector<AttributeMapping>& mappings) {
  boost::json::array out;
  for (const auto& m : mappings) {
    boost::json::object entry;
    if (!m.object_id.empty()) entry["object_id"] = m.object_id;
    entry["name"] = m.name;
    entry["type"] = m.type;
    if (!m.expression.empty()) entry["expression"] = m.expression;
    if (!m.entity_name.empty()) entry["entity_name"] = m.entity_name;
    if (!m.entity_type.empty()) entry["entity_type"] = m.entity_type;
    if (!m.metadata.empty()) entry["metadata"] = m.metadata;
    if (m.command_mqtt) {
      entry["mqtt"] = {{"qos", static_cast<int>(m.command_mqtt->qos)},
                       {"retain", m.command_mqtt->retain}};
    }
    out.push_back(std::move(entry));
  }
  return out;
}

void mapping_to_json(const MappingConfig& mapping, boost::json::object& out) {
  if (!mapping.entity_type.empty()) out["entity_type"] = mapping.entity_type;
  out["attributes"] = mappings_to_json(mapping.attributes);
  out["lazy"] = mappings_to_json(mapping.lazy);
  out["commands"] = mappings_to_json(mapping.commands);
  boost::json::array statics;
  for (const auto& s : mapping.static_attributes) {
    boost::json::object entry{{"name", s.name}, {"type", s.type}, {"value", s.value}};
    if (!s.metadata.empty()) entry["metadata"] = s.metadata;
    statics.push_back(std::move(entry));
  }
  out["static_attributes"] = std::move(statics);
  if (mapping.explicit_attrs) out["explicitAttrs"] = *mapping.explicit_attrs;
  if (mapping.expected_period_s) out["expectedPeriod"] = *mapping.expected_period_s;
  if (!mapping.endpoint.empty()) out["endpoint"] = mapping.endpoint;
}

}  // namespace

bool is_valid_servicepath(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.size() > 256) return false;
  if (path == "/") return true;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (!is_token(segment, "_")) return false;
    start = end + 1;
  }
  return true;
}

bool is_valid_apikey(std::string_view apikey) {
  return is_token(apikey, "_-.");
}

// Device ids appear in MQTT topics and URLs: no '/', '+', '#', whitespace or '|'.
bool is_valid_device_id(std::string_view id) {
  return is_token(id, "_-.:@");
}

bool is_known_transport(std::string_view transport) {
  constexpr std::array<std::string_view, 5> kTransports = {"HTTP", "MQTT", "AMQP", "COAP",
                                                           "LORAWAN"};
  return is_known(transport, kTransports);
}

Result<ServiceGroup> parse_service_group(const boost::json::object& json, ServiceScope scope) {
  ServiceGroup group;
  group.scope = std::move(scope);
  for (const auto& [key, member] : json) {
    auto common = parse_mapping_member(key, member, group.mapping);
    if (!common) return std::move(common).error();
    if (*common || is_known(key, kIgnored)) continue;
    if (key == "autoprovision") {
      auto flag = bool_member(member, key);
      if (!flag) return std::move(flag).error();
      group.autoprovision = *flag;
      continue;
    }
    auto text = string_member(member, key);
    if (!text) return std::move(text).error();
    if (key == "apikey") {
      group.apikey = std::move(*text);
    } else if (key == "resource") {
      group.resource = std::move(*text);
    } else if (key == "entityNameExp") {
      auto compiled = Expression::compile(*text);
      if (!compiled) return bad("entityNameExp: " + compiled.error().detail);
      group.entity_name_exp = std::move(*text);
    } else if (key == "description") {
      group.description = std::move(*text);
    } else if (key == "protocol" || key == "transport" || key == "timezone") {
      continue;  // IoT Agent accepts these on groups; devices carry them in CityTwin
    } else {
      return bad("unknown member " + std::string(key) + " in a service group");
    }
  }
  if (!is_valid_apikey(group.apikey)) {
    return bad("apikey is required: 1-256 letters, digits, '_', '-' or '.'");
  }
  if (!group.resource.empty() && !is_valid_servicepath(group.resource)) {
    return bad("resource must be a path such as /iot/d or /iot/json");
  }
  if (group.mapping.entity_type.empty()) group.mapping.entity_type = "Thing";
  return group;
}

Result<DeviceConfig> parse_device(const boost::json::object& json, ServiceScope scope) {
  DeviceConfig device;
  device.scope = std::move(scope);
  for (const auto& [key, member] : json) {
    auto common = parse_mapping_member(key, member, device.mapping);
    if (!common) return std::move(common).error();
    if (*common || is_known(key, kIgnored)) continue;
    if (key == "autoprovisioned") {
      auto flag = bool_member(member, key);
      if (!flag) return std::move(flag).error();
      device.autoprovisioned = *flag;
      continue;
    }
    auto text = string_member(member, key);
    if (!text) return std::move(text).error();
    if (key == "device_id") {
      device.device_id = std::move(*text);
    } else if (key == "entity_name") {
      CT_RETURN_IF_ERROR(check_entity_name(*text, "entity_name"));
      device.entity_name = std::move(*text);
    } else if (key == "apikey") {
      if (!text->empty() && !is_valid_apikey(*text)) return bad("apikey has invalid characters");
      device.apikey = std::move(*text);
    } else if (key == "protocol") {
      device.protocol = std::move(*text);
    } else if (key == "transport") {
      std::string upper = *text;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (!is_known_transport(upper)) {
        return bad("transport must be one of HTTP, MQTT, AMQP, COAP, LORAWAN");
      }
      device.transport = std::move(upper);
    } else if (key == "timezone") {
      if (!is_token(*text, "_+-/")) return bad("timezone must be an IANA zone name");
      device.timezone = std::move(*text);
    } else {
      return bad("unknown member " + std::string(key) + " in a device");
    }
  }
  if (!is_valid_device_id(device.device_id)) {
    return bad("device_id is required: 1-256 letters, digits, '_', '-', '.', ':' or '@'");
  }
  return device;
}

boost::json::object group_to_json(const ServiceGroup& group) {
  boost::json::object out{{"apikey", group.apikey},
                          {"resource", group.resource},
                          {"service", group.scope.tenant},
                          {"subservice", group.scope.servicepath},
                          {"autoprovision", group.autoprovision}};
  if (!group.entity_name_exp.empty()) out["entityNameExp"] = group.entity_name_exp;
  if (!group.description.empty()) out["description"] = group.description;
  mapping_to_json(group.mapping, out);
  return out;
}

boost::json::object device_to_json(const DeviceConfig& device) {
  boost::json::object out{{"device_id", device.device_id},
                          {"service", device.scope.tenant},
                          {"subservice", device.scope.servicepath}};
  if (!device.entity_name.empty()) out["entity_name"] = device.entity_name;
  if (!device.apikey.empty()) out["apikey"] = device.apikey;
  if (!device.protocol.empty()) out["protocol"] = device.protocol;
  if (!device.transport.empty()) out["transport"] = device.transport;
  if (!device.timezone.empty()) out["timezone"] = device.timezone;
  if (device.autoprovisioned) out["autoprovisioned"] = true;
  mapping_to_json(device.mapping, out);
  return out;
}

}  // namespace citytwin::ingest
