// MQTT notification endpoints (GS CIM 009 V1.8.1 clause 7.2) and the notifierInfo keys that
// configure them (clause 5.2.15).
#include "citytwin/core/mqtt_endpoint.hpp"

#include <algorithm>
#include <cctype>

namespace citytwin::core {
namespace {

Error bad(std::string detail) {
  return make_error(ErrorKind::kBadRequestData,
                    "notification.endpoint.uri: " + std::move(detail) +
                        " (expected mqtt[s]://[user[:password]@]host[:port]/topic, clause 7.2)");
}

std::string lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 clause 2.1 percent-decoding.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int high = hex_digit(text[i + 1]);
    int low = hex_digit(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

bool has_control_or_space(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
  });
}

std::string_view scheme_of(std::string_view uri) {
  auto colon = uri.find("://");
  return colon == std::string_view::npos ? std::string_view{} : uri.substr(0, colon);
}

}  // namespace

bool is_mqtt_uri(std::string_view uri) {
  std::string scheme = lower(scheme_of(uri));
  return scheme == "mqtt" || scheme == "mqtts";
}

Result<MqttEndpoint> parse_mqtt_endpoint(std::string_view uri) {
  MqttEndpoint out;
  std::string scheme = lower(scheme_of(uri));
  if (scheme != "mqtt" && scheme != "mqtts") return bad("not an mqtt:// or mqtts:// URI");
  out.tls = scheme == "mqtts";
  out.port = out.tls ? 8883 : 1883;
  std::string_view rest = uri.substr(scheme.size() + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad("a query or fragment has no meaning for MQTT ('#' is a wildcard, not allowed)");
  }
  if (has_control_or_space(rest)) return bad("spaces and control characters are not allowed");
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return bad("no topic");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = rest.substr(slash + 1);

  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    if (!user) return bad("bad percent-encoding in the user name");
    if (!user->empty()) out.username = std::move(*user);
    if (colon != std::string_view::npos) {
      auto password = percent_decode(userinfo.substr(colon + 1));
      if (!password) return bad("bad percent-encoding in the password");
      out.password = std::move(*password);
    }
  }

  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected text after the IPv6 address");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
    if (out.host.find_first_of("[]:") != std::string::npos) return bad("malformed host");
  }
  if (out.host.empty()) return bad("no host");
  if (has_port) {
    if (port_text.empty() || port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return bad("the port must be a number from 1 to 65535");
    }
    unsigned long port = std::stoul(std::string(port_text));
    if (port == 0 || port > 65535) return bad("the port must be a number from 1 to 65535");
    out.port = static_cast<std::uint16_t>(port);
  }

  auto topic = percent_decode(path);
  if (!topic) return bad("bad percent-encoding in the topic");
  if (topic->empty()) return bad("no topic");
  // MQTT 3.1.1 clause 4.7.1 / 5.0 clause 4.7.1: a PUBLISH topic name holds no wildcard;
  // clause 4.7.3: no NUL, at most 65535 bytes.
  if (topic->find_first_of("+#") != std::string::npos) {
    return bad("the topic cannot hold the wildcards '+' or '#'");
  }
  if (topic->find('\0') != std::string::npos || topic->size() > 65535) {
    return bad("invalid topic");
  }
  out.topic = std::move(*topic);
  return out;
}

Result<MqttPublishOptions> parse_mqtt_notifier_info(
    const std::vector<std::pair<std::string, std::string>>& notifier_info) {
  MqttPublishOptions out;
  for (const auto& [key, value] : notifier_info) {
    if (key == "MQTT-QoS") {
      if (value != "0" && value != "1" && value != "2") {
        return make_error(ErrorKind::kBadRequestData,
                          "notification.endpoint.notifierInfo MQTT-QoS must be 0, 1 or 2, got '" +
                              value + "' (clause 7.2)");
      }
      out.qos = value[0] - '0';
    } else if (key == "MQTT-Version") {
      if (value == "mqtt3.1.1") {
        out.version = MqttVersion::kV311;
      } else if (value == "mqtt5.0") {
        out.version = MqttVersion::kV5;
      } else {
        return make_error(ErrorKind::kBadRequestData,
                          "notification.endpoint.notifierInfo MQTT-Version must be mqtt3.1.1 or "
                          "mqtt5.0, got '" +
                              value + "' (clause 7.2)");
      }
    }
  }
  return out;
}

}  // namespace citytwin::core
