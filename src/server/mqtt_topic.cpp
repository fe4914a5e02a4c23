#include "mqtt_topic.hpp"

#include <vector>

namespace citytwin::server {

namespace {

std::vector<std::string_view> split(std::string_view topic) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = topic.find('/', start);
    parts.push_back(topic.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

}  // namespace

std::optional<DeviceTopic> parse_device_topic(std::string_view topic) {
  if (topic.starts_with('/')) topic.remove_prefix(1);
  std::vector<std::string_view> parts = split(topic);
  DeviceTopic out;
  std::size_t at = 0;
  if (parts.size() >= 4 && (parts[0] == "json" || parts[0] == "ul")) {
    out.format =
        parts[0] == "json" ? ingest::PayloadFormat::kJson : ingest::PayloadFormat::kUltraLight;
    at = 1;
  }
  std::size_t rest = parts.size() - at;
  if (rest != 3 && rest != 4) return std::nullopt;
  out.apikey = std::string(parts[at]);
  out.device_id = std::string(parts[at + 1]);
  if (out.apikey.empty() || out.device_id.empty()) return std::nullopt;
  std::string_view verb = parts[at + 2];
  if (verb == "attrs") {
    if (rest == 4) {
      if (parts[at + 3].empty()) return std::nullopt;
      out.object_id = std::string(parts[at + 3]);
    }
    return out;
  }
  if (verb == "cmdexe" && rest == 3) {
    out.kind = DeviceTopic::Kind::kCommandResult;
    return out;
  }
  return std::nullopt;
}

std::string audit_path(const DeviceTopic& topic) {
  std::string path = "/";
  if (topic.format) path += *topic.format == ingest::PayloadFormat::kJson ? "json/" : "ul/";
  path += "{apikey}/" + topic.device_id;
  if (topic.kind == DeviceTopic::Kind::kCommandResult) return path + "/cmdexe";
  path += "/attrs";
  if (!topic.object_id.empty()) path += "/" + topic.object_id;
  return path;
}

ingest::PayloadFormat payload_format(const DeviceTopic& topic, std::string_view payload) {
  if (topic.format) return *topic.format;
  std::size_t first = payload.find_first_not_of(" \t\r\n");
  bool json = first != std::string_view::npos && (payload[first] == '{' || payload[first] == '[');
  return json ? ingest::PayloadFormat::kJson : ingest::PayloadFormat::kUltraLight;
}

bool topic_allowed(const security::DeviceCredential& credential, std::string_view topic,
                   bool filter) {
  if (topic.starts_with('/')) topic.remove_prefix(1);
  std::vector<std::string_view> levels = split(topic);
  std::size_t at = 0;
  if (levels.size() >= 3 && (levels[0] == "json" || levels[0] == "ul") &&
      levels[1] == credential.apikey) {
    at = 1;
  }
  if (levels.size() < at + 3 || levels[at] != credential.apikey) return false;
  std::string_view device = levels[at + 1];
  if (credential.device_id.empty()) {
    if (device.empty() || device == "#" || (device == "+" && !filter)) return false;
  } else if (device != credential.device_id) {
    return false;
  }
  return true;  // the rest lies under the device's own levels, wildcards included
}

}  // namespace citytwin::server
