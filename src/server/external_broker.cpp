#include "external_broker.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <functional>

namespace citytwin::server {

namespace {

Error bad_option(std::string detail) {
  return make_error(ErrorKind::kInvalidRequest, "mqtt.external: " + std::move(detail));
}

// A client id stable for this node across restarts and different from the other nodes'
// on one host: the host name and the data directory.
std::string default_client_id(const std::string& data_dir) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::error_code ec;
  auto absolute = std::filesystem::absolute(data_dir, ec);
  std::size_t hash = std::hash<std::string>{}(ec ? data_dir : absolute.string());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%08zx", hash & 0xFFFFFFFFu);
  return std::string("citytwin-") + host + "-" + hex;
}

// mqtt://HOST[:PORT] or mqtts://HOST[:PORT] (IPv6 literals in brackets).
Status parse_broker_url(const std::string& url, mqtt::SubscriberClientOptions& out) {
  std::string_view rest = url;
  if (rest.starts_with("mqtt://")) {
    rest.remove_prefix(7);
    out.tls = false;
    out.port = 1883;
  } else if (rest.starts_with("mqtts://")) {
    rest.remove_prefix(8);
    out.tls = true;
    out.port = 8883;
  } else {
    return bad_option("url must start with mqtt:// or mqtts://, got '" + url + "'");
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/@?#") != std::string_view::npos) {
    return bad_option("url must be mqtt[s]://HOST[:PORT], got '" + url + "'");
  }
  std::string_view port_text;
  if (rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return bad_option("unclosed '[' in '" + url + "'");
    out.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') return bad_option("bad port in '" + url + "'");
    if (!rest.empty()) port_text = rest.substr(1);
  } else {
    auto colon = rest.find(':');
    out.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (out.host.empty()) return bad_option("no host in '" + url + "'");
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return bad_option("bad port in '" + url + "'");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return ok_status();
}

}  // namespace

bool external_broker_enabled(const ServeOptions& options) {
  return !options.mqtt_external_url.empty() && options.mqtt_external_url != "off";
}

std::vector<std::string> device_topic_filters(std::string_view group) {
  std::string share = group.empty() ? "" : "$share/" + std::string(group) + "/";
  std::vector<std::string> filters;
  for (std::string_view prefix : {"", "/", "json/", "/json/", "ul/", "/ul/"}) {
    for (std::string_view suffix : {"+/+/attrs", "+/+/attrs/+", "+/+/cmdexe"}) {
      filters.push_back(share + std::string(prefix) + std::string(suffix));
    }
  }
  return filters;
}

Result<mqtt::SubscriberClientOptions> external_broker_options(const ServeOptions& options) {
  mqtt::SubscriberClientOptions out;
  CT_RETURN_IF_ERROR(parse_broker_url(options.mqtt_external_url, out));
  if (options.mqtt_external_qos > 1) return bad_option("qos must be 0 or 1");
  const std::string& group = options.mqtt_external_group;
  if (group.find_first_of("/+#") != std::string::npos) {
    return bad_option("group must not contain '/', '+' or '#'");  // MQTT 5.0 clause 4.8.2
  }
  out.client_id = options.mqtt_external_client_id.empty() ? default_client_id(options.data_dir)
                                                          : options.mqtt_external_client_id;
  if (!options.mqtt_external_username.empty()) out.username = options.mqtt_external_username;
  if (!options.mqtt_external_password.empty()) out.password = options.mqtt_external_password;
  out.ca_file = options.mqtt_external_ca_file;
  out.cert_file = options.mqtt_external_cert_file;
  out.key_file = options.mqtt_external_key_file;
  if (out.cert_file.empty() != out.key_file.empty()) {
    return bad_option("a client certificate needs its key and the other way round");
  }
  out.filters = device_topic_filters(group);
  out.qos = static_cast<std::uint8_t>(options.mqtt_external_qos);
  out.session_expiry_s = options.mqtt_external_session_expiry_s;
  out.receive_maximum = std::max<std::uint16_t>(1, options.mqtt_external_receive_maximum);
  out.max_packet_bytes = options.mqtt_max_packet_bytes;
  return out;
}

ExternalBroker::ExternalBroker(mqtt::SubscriberClientOptions options, ingest::IngestService& ingest,
                               const http::OutboundPolicy& outbound, MetricsRegistry& metrics,
                               std::function<void(bool)> on_state, security::AuditLog* audit)
    : devices_(ingest, DeviceAudit(audit)),
      sender_(DeviceAudit::actor_of(nullptr, "external-broker:" + options.host)),
      client_(std::move(options), hooks(outbound, std::move(on_state)), metrics) {}

mqtt::SubscriberClientHooks ExternalBroker::hooks(const http::OutboundPolicy& outbound,
                                                  std::function<void(bool)> on_state) {
  mqtt::SubscriberClientHooks hooks;
  hooks.allow_address = [&outbound](std::string_view host, std::uint16_t port,
                                    const boost::asio::ip::address& address) {
    return outbound.check(host, std::to_string(port), address);
  };
  // The broker authenticated the devices; CityTwin trusts what its configured broker relays,
  // as the IoT Agent does, so no per-message key check.
  hooks.on_message = [this](const mqtt::InboundPublish& message, std::function<void(Status)> done) {
    devices_.handle(message.topic, message.payload, sender_, {}, std::move(done));
  };
  hooks.on_state = std::move(on_state);
  return hooks;
}

}  // namespace citytwin::server
