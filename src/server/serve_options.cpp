#include "citytwin/server/serve_options.hpp"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <vector>

namespace citytwin::server {
namespace {

Error config_error(const std::string& path, std::string detail) {
  return make_error(ErrorKind::kInvalidRequest, "config file " + path + ": " + detail);
}

template <class T>
std::function<Status(const toml::node&)> integer_setter(T& field) {
  return [&field](const toml::node& node) -> Status {
    auto value = node.value<std::int64_t>();
    if (!value || *value < 0)
      return make_error(ErrorKind::kInvalidRequest, "expected a non-negative integer");
    field = static_cast<T>(*value);
    return ok_status();
  };
}

std::function<Status(const toml::node&)> string_setter(std::string& field) {
  return [&field](const toml::node& node) -> Status {
    auto value = node.value<std::string>();
    if (!value) return make_error(ErrorKind::kInvalidRequest, "expected a string");
    field = *value;
    return ok_status();
  };
}

std::function<Status(const toml::node&)> bool_setter(bool& field) {
  return [&field](const toml::node& node) -> Status {
    auto value = node.value<bool>();
    if (!value) return make_error(ErrorKind::kInvalidRequest, "expected true or false");
    field = *value;
    return ok_status();
  };
}

std::function<Status(const toml::node&)> string_list_setter(std::vector<std::string>& field) {
  return [&field](const toml::node& node) -> Status {
    const auto* array = node.as_array();
    if (array == nullptr) return make_error(ErrorKind::kInvalidRequest, "expected an array");
    std::vector<std::string> values;
    for (const auto& element : *array) {
      auto value = element.value<std::string>();
      if (!value) return make_error(ErrorKind::kInvalidRequest, "expected an array of strings");
      values.push_back(*value);
    }
    field = std::move(values);
    return ok_status();
  };
}

// An array of tables ([[name]]), each read by `entry` after its members are checked
// against `members`.
template <class T>
std::function<Status(const toml::node&)> table_list_setter(
    std::vector<T>& field, std::vector<std::string_view> members,
    std::function<Status(const toml::table&, T&)> entry) {
  return [&field, members = std::move(members),
          entry = std::move(entry)](const toml::node& node) -> Status {
    const auto* array = node.as_array();
    if (array == nullptr) return make_error(ErrorKind::kInvalidRequest, "expected [[...]] tables");
    std::vector<T> values;
    for (const auto& element : *array) {
      const auto* table = element.as_table();
      if (table == nullptr)
        return make_error(ErrorKind::kInvalidRequest, "expected [[...]] tables");
      for (const auto& [key, value] : *table) {
        if (std::find(members.begin(), members.end(), key.str()) == members.end()) {
          return Status(make_error(ErrorKind::kInvalidRequest,
                                   "unknown member '" + std::string(key.str()) + "'"));
        }
      }
      T value{};
      CT_RETURN_IF_ERROR(entry(*table, value));
      values.push_back(std::move(value));
    }
    field = std::move(values);
    return ok_status();
  };
}

// Member `name` of a [[...]] table through a setter of the same kind as top-level keys.
Status member(const toml::table& table, std::string_view name,
              const std::function<Status(const toml::node&)>& setter, bool required) {
  const toml::node* node = table.get(name);
  if (node == nullptr) {
    if (!required) return ok_status();
    return make_error(ErrorKind::kInvalidRequest, "member '" + std::string(name) + "' is required");
  }
  auto status = setter(*node);
  if (!status.ok()) {
    return make_error(ErrorKind::kInvalidRequest,
                      "member '" + std::string(name) + "': " + status.error().detail);
  }
  return ok_status();
}

std::function<Status(const toml::node&)> open_data_setter(std::vector<OpenDataSetting>& field) {
  return table_list_setter<OpenDataSetting>(
      field, {"tenant", "types"}, [](const toml::table& table, OpenDataSetting& setting) -> Status {
        CT_RETURN_IF_ERROR(member(table, "tenant", string_setter(setting.tenant), false));
        return member(table, "types", string_list_setter(setting.types), true);
      });
}

std::function<Status(const toml::node&)> personal_data_setter(
    std::vector<PersonalDataSetting>& field) {
  return table_list_setter<PersonalDataSetting>(
      field, {"tenant", "type", "attributes", "retention"},
      [](const toml::table& table, PersonalDataSetting& setting) -> Status {
        CT_RETURN_IF_ERROR(member(table, "tenant", string_setter(setting.tenant), false));
        CT_RETURN_IF_ERROR(member(table, "type", string_setter(setting.type), true));
        CT_RETURN_IF_ERROR(
            member(table, "attributes", string_list_setter(setting.attributes), true));
        return member(table, "retention", string_setter(setting.retention), false);
      });
}

// Dotted key ("http.threads") -> how to store it.
std::map<std::string, std::function<Status(const toml::node&)>> setters(ServeOptions& o) {
  return {
      {"data", string_setter(o.data_dir)},
      {"listen", string_setter(o.listen)},
      {"log_level", string_setter(o.log_level)},
      {"context_dir", string_setter(o.context_dir)},
      {"port_file", string_setter(o.port_file)},
      {"http.io_threads", integer_setter(o.http_io_threads)},
      {"http.threads", integer_setter(o.http_threads)},
      {"http.max_body_bytes", integer_setter(o.max_body_bytes)},
      {"http.max_header_bytes", integer_setter(o.max_header_bytes)},
      {"http.max_url_bytes", integer_setter(o.max_url_bytes)},
      {"http.request_timeout_ms", integer_setter(o.request_timeout_ms)},
      {"http.idle_timeout_ms", integer_setter(o.idle_timeout_ms)},
      {"storage.sync_writes", bool_setter(o.sync_writes)},
      {"storage.block_cache_mb", integer_setter(o.block_cache_mb)},
      {"storage.entity_cache_mb", integer_setter(o.entity_cache_mb)},
      {"storage.rendered_cache_mb", integer_setter(o.rendered_cache_mb)},
      {"ngsi.default_limit", integer_setter(o.default_limit)},
      {"ngsi.max_limit", integer_setter(o.max_limit)},
      {"ngsi.temporal_page_size", integer_setter(o.temporal_page_size)},
      {"ngsi.temporal_query_threads", integer_setter(o.temporal_query_threads)},
      {"storage.history_compact_after_s", integer_setter(o.history_compact_after_s)},
      {"storage.history_compact_min_samples", integer_setter(o.history_compact_min_samples)},
      {"storage.history_chunk_samples", integer_setter(o.history_chunk_samples)},
      {"storage.history_compact_interval_ms", integer_setter(o.history_compact_interval_ms)},
      {"storage.history_pack_bulk_appends", bool_setter(o.history_pack_bulk_appends)},
      {"storage.history_settle_chunks", bool_setter(o.history_settle_chunks)},
      {"storage.retention_interval_s", integer_setter(o.retention_interval_s)},
      {"storage.rollup_interval_s", integer_setter(o.rollup_interval_s)},
      {"security.auth", string_setter(o.auth)},
      {"security.insecure_allow_remote", bool_setter(o.insecure_allow_remote)},
      {"security.tls_cert", string_setter(o.tls_cert)},
      {"security.tls_key", string_setter(o.tls_key)},
      {"security.outbound_allow", string_list_setter(o.outbound_allow)},
      {"security.rate_limit_per_s", integer_setter(o.rate_limit_per_s)},
      {"security.rate_burst", integer_setter(o.rate_burst)},
      {"security.ip_rate_limit_per_s", integer_setter(o.ip_rate_limit_per_s)},
      {"security.ip_rate_burst", integer_setter(o.ip_rate_burst)},
      {"security.jwks_file", string_setter(o.jwks_file)},
      {"security.jwt_issuer", string_setter(o.jwt_issuer)},
      {"security.jwt_audience", string_setter(o.jwt_audience)},
      {"security.jwt_roles_claim", string_setter(o.jwt_roles_claim)},
      {"security.jwt_tenant_claim", string_setter(o.jwt_tenant_claim)},
      {"security.jwt_clock_skew_s", integer_setter(o.jwt_clock_skew_s)},
      {"security.audit_max_records", integer_setter(o.audit_max_records)},
      {"security.jwks_url", string_setter(o.jwks_url)},
      {"security.jwks_ca_file", string_setter(o.jwks_ca_file)},
      {"security.jwks_cache_default_s", integer_setter(o.jwks_cache_default_s)},
      {"security.jwks_cache_min_s", integer_setter(o.jwks_cache_min_s)},
      {"security.jwks_cache_max_s", integer_setter(o.jwks_cache_max_s)},
      {"security.jwks_unknown_key_interval_s", integer_setter(o.jwks_unknown_key_interval_s)},
      {"security.jwks_fetch_timeout_ms", integer_setter(o.jwks_fetch_timeout_ms)},
      {"security.console_session_ttl_s", integer_setter(o.console_session_ttl_s)},
      {"context.fetch_timeout_ms", integer_setter(o.context_fetch_timeout_ms)},
      {"context.max_bytes", integer_setter(o.context_max_bytes)},
      {"notify.threads", integer_setter(o.notify_threads)},
      {"notify.timeout_ms", integer_setter(o.notify_timeout_ms)},
      {"notify.queue_limit", integer_setter(o.notify_queue_limit)},
      {"notify.retry_initial_ms", integer_setter(o.notify_retry_initial_ms)},
      {"notify.retry_max_ms", integer_setter(o.notify_retry_max_ms)},
      {"notify.max_attempts", integer_setter(o.notify_max_attempts)},
      {"notify.max_entities_per_notification",
       integer_setter(o.notify_max_entities_per_notification)},
      {"notify.ca_file", string_setter(o.notify_ca_file)},
      {"notify.nice", integer_setter(o.notify_nice)},
      {"notify.dispatch_backlog", integer_setter(o.notify_dispatch_backlog)},
      {"live.max_streams", integer_setter(o.live_max_streams)},
      {"live.queue_limit", integer_setter(o.live_queue_limit)},
      {"live.heartbeat_ms", integer_setter(o.live_heartbeat_ms)},
      {"live.max_age_s", integer_setter(o.live_max_age_s)},
      {"mqtt.listen", string_setter(o.mqtt_listen)},
      {"mqtt.port_file", string_setter(o.mqtt_port_file)},
      {"mqtt.threads", integer_setter(o.mqtt_threads)},
      {"mqtt.max_packet_bytes", integer_setter(o.mqtt_max_packet_bytes)},
      {"mqtt.max_inflight", integer_setter(o.mqtt_max_inflight)},
      {"mqtt.session_queue_limit", integer_setter(o.mqtt_session_queue_limit)},
      {"mqtt.keep_alive_max_s", integer_setter(o.mqtt_keep_alive_max_s)},
      {"mqtt.session_expiry_max_s", integer_setter(o.mqtt_session_expiry_max_s)},
      {"mqtt.max_connections", integer_setter(o.mqtt_max_connections)},
      {"mqtt.tls_listen", string_setter(o.mqtt_tls_listen)},
      {"ingest.command_expiry_s", integer_setter(o.command_expiry_s)},
      {"mqtt.tls_cert_file", string_setter(o.mqtt_tls_cert_file)},
      {"mqtt.tls_key_file", string_setter(o.mqtt_tls_key_file)},
      {"mqtt.tls_client_ca_file", string_setter(o.mqtt_tls_client_ca_file)},
      {"mqtt.tls_require_client_cert", bool_setter(o.mqtt_tls_require_client_cert)},
      {"mqtt.anonymous", string_setter(o.mqtt_anonymous)},
      {"mqtt.rate_limit_per_s", integer_setter(o.mqtt_rate_limit_per_s)},
      {"mqtt.rate_burst", integer_setter(o.mqtt_rate_burst)},
      {"mqtt.device_rate_limit_per_s", integer_setter(o.mqtt_device_rate_limit_per_s)},
      {"mqtt.device_rate_burst", integer_setter(o.mqtt_device_rate_burst)},
      {"mqtt.external.url", string_setter(o.mqtt_external_url)},
      {"mqtt.external.client_id", string_setter(o.mqtt_external_client_id)},
      {"mqtt.external.username", string_setter(o.mqtt_external_username)},
      {"mqtt.external.password", string_setter(o.mqtt_external_password)},
      {"mqtt.external.group", string_setter(o.mqtt_external_group)},
      {"mqtt.external.qos", integer_setter(o.mqtt_external_qos)},
      {"mqtt.external.ca_file", string_setter(o.mqtt_external_ca_file)},
      {"mqtt.external.cert_file", string_setter(o.mqtt_external_cert_file)},
      {"mqtt.external.key_file", string_setter(o.mqtt_external_key_file)},
      {"mqtt.external.session_expiry_s", integer_setter(o.mqtt_external_session_expiry_s)},
      {"mqtt.external.receive_maximum", integer_setter(o.mqtt_external_receive_maximum)},
      {"ingest.device_check_interval_ms", integer_setter(o.device_check_interval_ms)},
      {"ingest.batch_linger_us", integer_setter(o.ingest_batch_linger_us)},
      {"ingest.device_report_interval_ms", integer_setter(o.device_report_interval_ms)},
      {"http.device_rate_limit_per_s", integer_setter(o.http_device_rate_limit_per_s)},
      {"http.device_rate_burst", integer_setter(o.http_device_rate_burst)},
      {"coap.device_rate_limit_per_s", integer_setter(o.coap_device_rate_limit_per_s)},
      {"coap.device_rate_burst", integer_setter(o.coap_device_rate_burst)},
      {"coap.listen", string_setter(o.coap_listen)},
      {"coap.port_file", string_setter(o.coap_port_file)},
      {"coap.max_pending", integer_setter(o.coap_max_pending)},
      {"coap.max_payload_bytes", integer_setter(o.coap_max_payload_bytes)},
      {"coap.confirmable_responses", bool_setter(o.coap_confirmable_responses)},
      {"coap.dtls_listen", string_setter(o.coap_dtls_listen)},
      {"coap.dtls_cert_file", string_setter(o.coap_dtls_cert_file)},
      {"coap.dtls_key_file", string_setter(o.coap_dtls_key_file)},
      {"security.open_data", open_data_setter(o.open_data)},
      {"security.personal_data", personal_data_setter(o.personal_data)},
  };
}

Status apply_table(const toml::table& table, const std::string& prefix,
                   std::map<std::string, std::function<Status(const toml::node&)>>& known,
                   const std::string& path) {
  for (const auto& [key, node] : table) {
    std::string name = prefix + std::string(key.str());
    if (const auto* sub = node.as_table()) {
      CT_RETURN_IF_ERROR(apply_table(*sub, name + ".", known, path));
      continue;
    }
    auto it = known.find(name);
    if (it == known.end()) return config_error(path, "unknown key '" + name + "'");
    auto status = it->second(node);
    if (!status.ok()) return config_error(path, "key '" + name + "': " + status.error().detail);
  }
  return ok_status();
}

}  // namespace

Status load_config_file(const std::string& path, ServeOptions& options) {
  toml::table table;
  try {
    // Debian's toml++ is built with exceptions: parse errors arrive as toml::parse_error.
    table = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    return config_error(path, std::string(error.description()) + " at line " +
                                  std::to_string(error.source().begin.line));
  }
  auto known = setters(options);
  return apply_table(table, "", known, path);
}

Result<ListenAddress> parse_listen_address(const std::string& text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return make_error(ErrorKind::kInvalidRequest,
                      "listen address must be HOST:PORT, got '" + text + "'");
  }
  ListenAddress address;
  address.host = text.substr(0, colon);
  if (address.host.size() >= 2 && address.host.front() == '[' && address.host.back() == ']') {
    address.host = address.host.substr(1, address.host.size() - 2);
  }
  if (address.host.empty()) address.host = "0.0.0.0";
  std::string port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    return make_error(ErrorKind::kInvalidRequest, "invalid port in listen address '" + text + "'");
  }
  address.port = static_cast<std::uint16_t>(port);
  return address;
}

}  // namespace citytwin::server

namespace citytwin::server {

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    // ::ffff:127.x.x.x, an IPv4 loopback address written as IPv6.
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

bool mqtt_enabled(const ServeOptions& options) {
  return !options.mqtt_listen.empty() && options.mqtt_listen != "off";
}

bool coap_enabled(const ServeOptions& options) {
  return !options.coap_listen.empty() && options.coap_listen != "off";
}

bool coap_dtls_enabled(const ServeOptions& options) {
  return coap_enabled(options) && !options.coap_dtls_listen.empty() &&
         options.coap_dtls_listen != "off";
}

Result<bool> mqtt_anonymous_allowed(const ServeOptions& options) {
  if (options.mqtt_anonymous == "allow") return true;
  if (options.mqtt_anonymous == "deny") return false;
  if (options.mqtt_anonymous != "auto") {
    return make_error(ErrorKind::kInvalidRequest, "mqtt.anonymous must be auto, allow or deny");
  }
  if (options.auth != "off") return false;
  // A device on another machine could publish without any credential: only loopback.
  for (const auto* text : {&options.mqtt_listen, &options.mqtt_tls_listen}) {
    if (text->empty() || *text == "off") continue;
    auto address = parse_listen_address(*text);
    if (!address || !is_loopback_host(address->host)) return false;
  }
  return true;
}

bool mqtt_tls_enabled(const ServeOptions& options) {
  return mqtt_enabled(options) && !options.mqtt_tls_listen.empty() &&
         options.mqtt_tls_listen != "off";
}

Status check_security_options(const ServeOptions& options, const ListenAddress& address) {
  if (options.auth != "required" && options.auth != "off") {
    return make_error(ErrorKind::kInvalidRequest,
                      "security.auth must be \"required\" or \"off\", got '" + options.auth + "'");
  }
  // The MQTT and CoAP endpoints take the same API keys: open on the network only when forced
  // too.
  std::vector<std::pair<std::string, std::string>> device_addresses;
  if (mqtt_enabled(options)) device_addresses.emplace_back("MQTT", options.mqtt_listen);
  if (coap_enabled(options)) device_addresses.emplace_back("CoAP", options.coap_listen);
  if (coap_dtls_enabled(options)) {
    if (options.coap_dtls_cert_file.empty() || options.coap_dtls_key_file.empty()) {
      return make_error(ErrorKind::kInvalidRequest,
                        "coap.dtls_listen needs coap.dtls_cert_file and coap.dtls_key_file");
    }
    device_addresses.emplace_back("CoAP", options.coap_dtls_listen);
  }
  if (mqtt_tls_enabled(options)) {
    if (options.mqtt_tls_cert_file.empty() || options.mqtt_tls_key_file.empty()) {
      return make_error(ErrorKind::kInvalidRequest,
                        "mqtt.tls_listen needs mqtt.tls_cert_file and mqtt.tls_key_file");
    }
    device_addresses.emplace_back("MQTT", options.mqtt_tls_listen);
  }
  for (const auto& [protocol, text] : device_addresses) {
    auto device_address = parse_listen_address(text);
    if (!device_address) return std::move(device_address).error();
    if (options.auth == "off" && !is_loopback_host(device_address->host) &&
        !options.insecure_allow_remote) {
      return make_error(ErrorKind::kInvalidRequest,
                        "refusing " + protocol + " on " + device_address->host +
                            " with authentication off; use --auth required, a loopback "
                            "address, or --insecure-allow-remote");
    }
  }
  if (options.auth == "off" && !is_loopback_host(address.host) && !options.insecure_allow_remote) {
    return make_error(ErrorKind::kInvalidRequest,
                      "refusing to listen on " + address.host +
                          " with authentication off: anyone on the network could read and change "
                          "every tenant's data. Use --auth required (the default) with API keys, "
                          "listen on 127.0.0.1, or pass --insecure-allow-remote to force it");
  }
  if (!options.jwks_url.empty() && !options.jwks_file.empty()) {
    return make_error(ErrorKind::kInvalidRequest,
                      "security.jwks_url and security.jwks_file exclude each other");
  }
  // Signing keys fetched in clear text could be replaced on the way.
  if (!options.jwks_url.empty() && !options.jwks_url.starts_with("https://")) {
    return make_error(ErrorKind::kInvalidRequest, "security.jwks_url must be an https:// URL");
  }
  return ok_status();
}

}  // namespace citytwin::server
