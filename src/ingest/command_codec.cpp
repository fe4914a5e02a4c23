// Wire and persisted forms of device commands (command.hpp).
#include <boost/json.hpp>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/ingest/command.hpp"
#include "citytwin/ingest/measures.hpp"

namespace citytwin::ingest {
namespace {

Error bad(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

// An UltraLight command parameter: text as it is, anything else as JSON text.
std::string ultralight_text(const boost::json::value& value) {
  if (const auto* text = value.if_string()) return std::string(*text);
  return boost::json::serialize(value);
}

std::string trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

const boost::json::string* text_member(const boost::json::object& json, std::string_view name) {
  const auto* member = json.if_contains(name);
  return member != nullptr ? member->if_string() : nullptr;
}

}  // namespace

std::string encode_command(const DeviceCommand& command) {
  if (command.device.format == PayloadFormat::kJson) {
    return boost::json::serialize(boost::json::object{{command.name, command.value}});
  }
  std::string out = command.device.device_id + "@" + command.name;
  if (const auto* params = command.value.if_object()) {
    for (const auto& [key, value] : *params) {
      out += "|" + std::string(key) + "=" + ultralight_text(value);
    }
  } else {
    out += "|" + ultralight_text(command.value);
  }
  return out;
}

std::string encode_commands(const std::vector<DeviceCommand>& commands, PayloadFormat format) {
  if (format == PayloadFormat::kJson) {
    boost::json::object out;
    for (const auto& command : commands) out[command.name] = command.value;
    return boost::json::serialize(out);
  }
  std::string out;
  for (const auto& command : commands) {
    if (!out.empty()) out += "#";
    out += encode_command(command);
  }
  return out;
}

Result<std::vector<std::pair<std::string, boost::json::value>>> decode_command_results(
    std::string_view payload, PayloadFormat format, std::string_view device_id) {
  std::vector<std::pair<std::string, boost::json::value>> out;
  if (format == PayloadFormat::kJson) {
    boost::system::error_code ec;
    auto parsed = citytwin::parse_json(payload, ec);
    if (ec || !parsed.is_object()) {
      return bad("a command result must be a JSON object {\"<command>\": <result>}");
    }
    for (const auto& [name, result] : parsed.as_object()) {
      if (name.empty()) return bad("a command result has an empty command name");
      out.emplace_back(std::string(name), result);
    }
    if (out.empty()) return bad("the command result names no command");
    return out;
  }
  std::size_t start = 0;
  while (start <= payload.size()) {
    std::size_t end = payload.find('#', start);
    if (end == std::string_view::npos) end = payload.size();
    std::string_view item = payload.substr(start, end - start);
    start = end + 1;
    auto at = item.find('@');
    auto bar = item.find('|');
    if (at == std::string_view::npos || bar == std::string_view::npos || bar < at) {
      return bad("an UltraLight command result must be <device_id>@<command>|<result>");
    }
    if (trim(item.substr(0, at)) != device_id) {
      return bad("the command result names another device");
    }
    std::string name = trim(item.substr(at + 1, bar - at - 1));
    if (name.empty()) return bad("a command result has an empty command name");
    out.emplace_back(std::move(name), ultralight_value(trim(item.substr(bar + 1))));
  }
  return out;
}

boost::json::object command_to_json(const DeviceCommand& command) {
  const CommandDevice& device = command.device;
  return boost::json::object{
      {"service", device.scope.tenant},
      {"subservice", device.scope.servicepath},
      {"device_id", device.device_id},
      {"apikey", device.apikey},
      {"transport", device.transport},
      {"endpoint", device.endpoint},
      {"format", device.format == PayloadFormat::kJson ? "json" : "ul"},
      {"entity_id", device.entity_id},
      {"name", command.name},
      {"value", command.value},
      {"status", command.status},
      {"issued_at", format_date_time(command.issued_at)},
      {"expires_at", format_date_time(command.expires_at)},
      {"mqtt", {{"qos", static_cast<int>(command.mqtt.qos)}, {"retain", command.mqtt.retain}}},
  };
}

Result<DeviceCommand> command_from_json(const boost::json::object& json) {
  DeviceCommand command;
  CommandDevice& device = command.device;
  std::pair<std::string_view, std::string*> texts[] = {
      {"service", &device.scope.tenant}, {"subservice", &device.scope.servicepath},
      {"device_id", &device.device_id},  {"apikey", &device.apikey},
      {"transport", &device.transport},  {"endpoint", &device.endpoint},
      {"entity_id", &device.entity_id},  {"name", &command.name},
      {"status", &command.status},
  };
  for (auto& [name, target] : texts) {
    const auto* text = text_member(json, name);
    if (text == nullptr) return bad("a queued command has no " + std::string(name));
    *target = std::string(*text);
  }
  const auto* format = text_member(json, "format");
  device.format =
      format != nullptr && *format == "ul" ? PayloadFormat::kUltraLight : PayloadFormat::kJson;
  const auto* value = json.if_contains("value");
  if (value == nullptr) return bad("a queued command has no value");
  command.value = *value;
  const auto* issued = text_member(json, "issued_at");
  const auto* expires = text_member(json, "expires_at");
  auto issued_at = issued ? parse_date_time(*issued) : std::nullopt;
  auto expires_at = expires ? parse_date_time(*expires) : std::nullopt;
  if (!issued_at || !expires_at) return bad("a queued command has no valid times");
  command.issued_at = *issued_at;
  command.expires_at = *expires_at;
  if (const auto* mqtt = json.if_contains("mqtt"); mqtt != nullptr && mqtt->is_object()) {
    const auto* qos = mqtt->as_object().if_contains("qos");
    const auto* retain = mqtt->as_object().if_contains("retain");
    if (qos != nullptr && qos->is_int64() && qos->get_int64() >= 0 && qos->get_int64() <= 2) {
      command.mqtt.qos = static_cast<std::uint8_t>(qos->get_int64());
    }
    if (retain != nullptr && retain->is_bool()) command.mqtt.retain = retain->get_bool();
  }
  return command;
}

std::string command_key(const ServiceScope& scope, std::string_view device_id,
                        std::string_view name) {
  // '\x1f' (unit separator) cannot occur in tenants, paths, device ids or attribute names.
  std::string key = scope.tenant;
  for (std::string_view part : {std::string_view(scope.servicepath), device_id, name}) {
    key += '\x1f';
    key += part;
  }
  return key;
}

}  // namespace citytwin::ingest
