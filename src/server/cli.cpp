#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "citytwin/server/app.hpp"
#include "export_command.hpp"
#include "keys_command.hpp"
#include "kpi_command.hpp"
#include "version.hpp"

namespace citytwin::server {
namespace {

// Values given on the command line, applied over the config file.
struct ServeFlags {
  std::string config;
  ServeOptions values;
};

void add_serve_flags(CLI::App& serve, ServeFlags& flags) {
  ServeOptions& v = flags.values;
  serve.add_option("--config", flags.config,
                   "TOML configuration file (every option can be set there)");
  serve.add_option("--data", v.data_dir, "Data directory")->default_str(v.data_dir);
  serve.add_option("--listen", v.listen, "HTTP listen address HOST:PORT")->default_str(v.listen);
  serve.add_option("--log-level", v.log_level, "trace|debug|info|warn|error|critical|off")
      ->default_str(v.log_level);
  serve.add_option("--context-dir", v.context_dir,
                   "Directory with manifest.json mapping @context URLs to local files");
  serve.add_option("--port-file", v.port_file, "Write the listening port to this file");
  serve.add_option("--http-io-threads", v.http_io_threads,
                   "HTTP event-loop threads (0 = one per CPU core)");
  serve.add_option("--http-threads", v.http_threads, "HTTP worker threads (0 = 64)");
  serve.add_option("--max-body-bytes", v.max_body_bytes, "Largest request body (413 above)")
      ->default_str(std::to_string(v.max_body_bytes));
  serve
      .add_option("--request-timeout-ms", v.request_timeout_ms,
                  "Time a client has to send a whole request")
      ->default_str(std::to_string(v.request_timeout_ms));
  serve
      .add_option("--temporal-page-size", v.temporal_page_size,
                  "Most instances of one attribute in one temporal answer (206 past it)")
      ->default_str(std::to_string(v.temporal_page_size));
  serve.add_option("--no-sync", "Do not fsync before acknowledging writes (unsafe)");
  serve
      .add_option("--notify-timeout-ms", v.notify_timeout_ms,
                  "Time a notification receiver has to answer")
      ->default_str(std::to_string(v.notify_timeout_ms));
  serve
      .add_option("--notify-retry-initial-ms", v.notify_retry_initial_ms,
                  "First retry delay of a failed notification (doubles up to the max)")
      ->default_str(std::to_string(v.notify_retry_initial_ms));
  serve.add_option("--notify-retry-max-ms", v.notify_retry_max_ms, "Longest retry delay")
      ->default_str(std::to_string(v.notify_retry_max_ms));
  serve
      .add_option("--notify-max-attempts", v.notify_max_attempts,
                  "Attempts per notification before it is dropped")
      ->default_str(std::to_string(v.notify_max_attempts));
  serve
      .add_option("--notify-nice", v.notify_nice,
                  "Nice value of the notification threads (0-19; writes get the CPU first)")
      ->default_str(std::to_string(v.notify_nice));
  serve.add_option("--notify-ca-file", v.notify_ca_file,
                   "PEM CA certificates trusted for https:// notification receivers");
  serve
      .add_option("--device-check-interval-ms", v.device_check_interval_ms,
                  "How often devices with an expected period are checked for silence")
      ->default_str(std::to_string(v.device_check_interval_ms));
  serve
      .add_option("--command-expiry-s", v.command_expiry_s,
                  "Seconds a device command waits for its result before it is EXPIRED")
      ->default_str(std::to_string(v.command_expiry_s));
  serve
      .add_option("--batch-linger-us", v.ingest_batch_linger_us,
                  "Microseconds the measurement writer waits for a small batch to grow (0: none)")
      ->default_str(std::to_string(v.ingest_batch_linger_us));
  serve
      .add_option("--device-report-interval-ms", v.device_report_interval_ms,
                  "Shortest interval between two writes of a Device entity's "
                  "dateLastValueReported (0: every measure)")
      ->default_str(std::to_string(v.device_report_interval_ms));
  serve.add_option("--auth", v.auth, "API key authentication: required or off")
      ->default_str(v.auth);
  serve
      .add_option("--audit-max-records", v.audit_max_records,
                  "Most audit log records kept; 0 turns the audit log off")
      ->default_str(std::to_string(v.audit_max_records));
  serve.add_flag("--insecure-allow-remote", v.insecure_allow_remote,
                 "Allow --auth off on an address other than loopback (unsafe)");
  serve.add_option("--live-max-streams", v.live_max_streams, "Console event streams open at once")
      ->default_str(std::to_string(v.live_max_streams));
  serve
      .add_option("--live-queue-limit", v.live_queue_limit,
                  "Events waiting per console stream before it is told to resync")
      ->default_str(std::to_string(v.live_queue_limit));
  serve
      .add_option("--live-heartbeat-ms", v.live_heartbeat_ms,
                  "Milliseconds of quiet before a console stream gets a keep-alive comment")
      ->default_str(std::to_string(v.live_heartbeat_ms));
  serve.add_option("--mqtt-listen", v.mqtt_listen, "MQTT listen address HOST:PORT, or off")
      ->default_str(v.mqtt_listen);
  serve.add_option("--mqtt-port-file", v.mqtt_port_file, "Write the MQTT port to this file");
  serve.add_option("--mqtt-threads", v.mqtt_threads, "MQTT event-loop threads")
      ->default_str(std::to_string(v.mqtt_threads));
  serve
      .add_option("--mqtt-max-packet-bytes", v.mqtt_max_packet_bytes,
                  "Largest MQTT packet accepted (the connection is closed above)")
      ->default_str(std::to_string(v.mqtt_max_packet_bytes));
  serve
      .add_option("--mqtt-max-inflight", v.mqtt_max_inflight,
                  "Inbound PUBLISHes per connection awaiting storage before reading pauses")
      ->default_str(std::to_string(v.mqtt_max_inflight));
  serve
      .add_option("--mqtt-session-queue-limit", v.mqtt_session_queue_limit,
                  "Messages queued per MQTT session (offline or slow clients)")
      ->default_str(std::to_string(v.mqtt_session_queue_limit));
  serve
      .add_option("--mqtt-keep-alive-max", v.mqtt_keep_alive_max_s,
                  "Longest MQTT keep-alive in seconds (0 = the client's)")
      ->default_str(std::to_string(v.mqtt_keep_alive_max_s));
  serve.add_option("--mqtt-tls-listen", v.mqtt_tls_listen,
                   "MQTT over TLS listen address HOST:PORT (off by default)");
  serve.add_option("--mqtt-tls-cert", v.mqtt_tls_cert_file, "PEM certificate chain for MQTT TLS");
  serve.add_option("--mqtt-tls-key", v.mqtt_tls_key_file, "PEM private key for MQTT TLS");
  serve.add_option("--mqtt-tls-client-ca", v.mqtt_tls_client_ca_file,
                   "PEM CAs of device client certificates (CN = device credential user name)");
  serve.add_flag("--mqtt-tls-require-client-cert", v.mqtt_tls_require_client_cert,
                 "Refuse MQTT TLS clients without a client certificate");
  serve.add_option("--coap-listen", v.coap_listen, "CoAP (UDP) listen address HOST:PORT, or off")
      ->default_str(v.coap_listen);
  serve.add_option("--coap-port-file", v.coap_port_file, "Write the CoAP port to this file");
  serve
      .add_option("--coap-max-pending", v.coap_max_pending,
                  "CoAP measurements awaiting storage before requests get 5.03")
      ->default_str(std::to_string(v.coap_max_pending));
  serve
      .add_option("--coap-max-payload-bytes", v.coap_max_payload_bytes,
                  "Largest CoAP request body (4.13 above)")
      ->default_str(std::to_string(v.coap_max_payload_bytes));
  serve
      .add_option("--coap-confirmable-responses", v.coap_confirmable_responses,
                  "Send the 2.04 of a Confirmable CoAP request as Confirmable (true) or not")
      ->default_str(v.coap_confirmable_responses ? "true" : "false");
  serve.add_option("--coap-dtls-listen", v.coap_dtls_listen,
                   "CoAP over DTLS listen address HOST:PORT (off by default)");
  serve.add_option("--coap-dtls-cert", v.coap_dtls_cert_file, "PEM certificate chain for DTLS");
  serve.add_option("--coap-dtls-key", v.coap_dtls_key_file, "PEM private key for DTLS");
  serve
      .add_option("--mqtt-anonymous", v.mqtt_anonymous,
                  "MQTT clients without credentials: auto, allow or deny")
      ->default_str(v.mqtt_anonymous);
  serve.add_option("--mqtt-rate-limit-per-s", v.mqtt_rate_limit_per_s,
                   "MQTT PUBLISH packets per second per connection (0: no limit)");
  serve.add_option("--mqtt-rate-burst", v.mqtt_rate_burst, "Burst above the per-connection rate");
  serve.add_option("--mqtt-device-rate-limit-per-s", v.mqtt_device_rate_limit_per_s,
                   "MQTT measures per second per device (0: no limit)");
  serve.add_option("--mqtt-device-rate-burst", v.mqtt_device_rate_burst,
                   "Burst above the per-device rate");
  serve.add_option("--http-device-rate-limit-per-s", v.http_device_rate_limit_per_s,
                   "HTTP measures per second per device (0: no limit)");
  serve.add_option("--http-device-rate-burst", v.http_device_rate_burst,
                   "Burst above the HTTP per-device rate");
  serve.add_option("--coap-device-rate-limit-per-s", v.coap_device_rate_limit_per_s,
                   "CoAP measures per second per device (0: no limit)");
  serve.add_option("--coap-device-rate-burst", v.coap_device_rate_burst,
                   "Burst above the CoAP per-device rate");
  serve.add_option("--mqtt-external-url", v.mqtt_external_url,
                   "Subscribe to device topics on this broker: mqtt://HOST[:PORT] or mqtts://...");
  serve.add_option("--mqtt-external-client-id", v.mqtt_external_client_id,
                   "MQTT client id at the external broker (unique per node)");
  serve.add_option("--mqtt-external-username", v.mqtt_external_username,
                   "User name at the external broker");
  serve.add_option("--mqtt-external-password", v.mqtt_external_password,
                   "Password at the external broker (prefer the config file)");
  serve
      .add_option("--mqtt-external-group", v.mqtt_external_group,
                  "Shared-subscription group; \"\" for unshared subscriptions")
      ->default_str(v.mqtt_external_group);
  serve.add_option("--mqtt-external-qos", v.mqtt_external_qos, "Subscription QoS, 0 or 1")
      ->default_str(std::to_string(v.mqtt_external_qos));
  serve.add_option("--mqtt-external-ca-file", v.mqtt_external_ca_file,
                   "PEM CA certificates for an mqtts:// broker");
  serve.add_option("--mqtt-external-cert", v.mqtt_external_cert_file,
                   "PEM client certificate for the external broker");
  serve.add_option("--mqtt-external-key", v.mqtt_external_key_file,
                   "PEM client key for the external broker");
  serve.add_option("--tls-cert", v.tls_cert,
                   "PEM certificate chain: serve HTTPS only (reloaded on SIGHUP)");
  serve.add_option("--tls-key", v.tls_key, "PEM private key of --tls-cert");
  serve.add_option("--outbound-allow", v.outbound_allow,
                   "Allow outgoing requests to this network, address or host:port "
                   "(repeatable; non-public addresses are refused otherwise)");
  serve.add_option("--rate-limit-per-s", v.rate_limit_per_s,
                   "Requests per second per API key (0 = no limit)");
  serve.add_option("--rate-burst", v.rate_burst, "Burst per API key (0 = one second's worth)");
  serve.add_option("--ip-rate-limit-per-s", v.ip_rate_limit_per_s,
                   "Requests per second per client IP address (0 = no limit)");
  serve.add_option("--ip-rate-burst", v.ip_rate_burst,
                   "Burst per client IP address (0 = one second's worth)");
  serve.add_option("--jwks-file", v.jwks_file,
                   "JSON Web Key Set file: accept OAuth2/OIDC bearer JWTs (RS256, ES256)");
  serve.add_option("--jwks-url", v.jwks_url,
                   "https URL of the identity provider's JWKS (cached, refetched on rotation)");
  serve.add_option("--jwks-ca-file", v.jwks_ca_file, "PEM CA certificates for --jwks-url");
  serve
      .add_option("--jwks-unknown-key-interval-s", v.jwks_unknown_key_interval_s,
                  "At most one JWKS fetch per this many seconds for tokens of unknown keys")
      ->default_str(std::to_string(v.jwks_unknown_key_interval_s));
  serve
      .add_option("--console-session-ttl-s", v.console_session_ttl_s,
                  "Lifetime of a web console login session, in seconds")
      ->default_str(std::to_string(v.console_session_ttl_s));
  serve.add_option("--jwt-issuer", v.jwt_issuer, "Required 'iss' of bearer JWTs");
  serve.add_option("--jwt-audience", v.jwt_audience, "Required 'aud' of bearer JWTs");
  serve.add_option("--jwt-roles-claim", v.jwt_roles_claim, "Claim naming the role")
      ->default_str(v.jwt_roles_claim);
  serve.add_option("--jwt-tenant-claim", v.jwt_tenant_claim, "Claim naming the tenant")
      ->default_str(v.jwt_tenant_claim);
}

// `citytwin keys create|list|revoke`.
struct KeysCommands {
  KeysOptions options;
  CLI::App* create = nullptr;
  CLI::App* list = nullptr;
  CLI::App* revoke = nullptr;
};

void add_keys_commands(CLI::App& keys, KeysCommands& commands) {
  KeysOptions& o = commands.options;
  keys.require_subcommand(1);
  commands.create = keys.add_subcommand("create", "Create an API key and print it (once)");
  commands.list = keys.add_subcommand("list", "List API keys (never their secrets)");
  commands.revoke = keys.add_subcommand("revoke", "Revoke an API key by id");
  for (CLI::App* command : {commands.create, commands.list, commands.revoke}) {
    command->add_option("--data", o.data_dir, "Data directory")->default_str(o.data_dir);
  }
  commands.create->add_option("--role", o.role, "admin, editor or viewer")->required();
  commands.create->add_option("--tenant", o.tenant,
                              "Tenant the key is valid for ('*' = every tenant, admins only; "
                              "default: the default tenant)");
  commands.create->add_option("--name", o.name, "A label for people");
  commands.create->add_option("--expires-at", o.expires_at,
                              "ISO 8601 date-time after which the key is refused");
  commands.revoke->add_option("id", o.id, "Key id (see citytwin keys list)")->required();
}

void add_export_flags(CLI::App& command, ExportOptions& o) {
  command.add_option("--data", o.data_dir, "Data directory")->default_str(o.data_dir);
  command.add_option("--tenant", o.tenant, "Tenant (default: the default tenant)");
  command.add_option("--type", o.type, "Entity type (NGSI-LD type expression)")->required();
  command.add_option("--id-pattern", o.id_pattern, "Regular expression on entity ids");
  command.add_option("--attrs", o.attrs, "Attributes to export (default: all)")->delimiter(',');
  command.add_option("--from", o.from, "Instances at or after this ISO 8601 instant");
  command.add_option("--to", o.to, "Instances before this ISO 8601 instant");
  command.add_option("--time-property", o.time_property, "observedAt, createdAt or modifiedAt")
      ->default_str(o.time_property);
  command.add_option("--format", o.format, "csv or jsonl")->default_str(o.format);
  command.add_option("-o,--output", o.output, "Output file (default: standard output)");
}

// Config file first, then every flag the user actually gave.
Result<ServeOptions> resolve_options(const CLI::App& serve, const ServeFlags& flags) {
  ServeOptions options;
  if (!flags.config.empty()) CT_RETURN_IF_ERROR(load_config_file(flags.config, options));
  const ServeOptions& v = flags.values;
  auto given = [&serve](const char* name) { return serve.count(name) > 0; };
  if (given("--data")) options.data_dir = v.data_dir;
  if (given("--listen")) options.listen = v.listen;
  if (given("--log-level")) options.log_level = v.log_level;
  if (given("--context-dir")) options.context_dir = v.context_dir;
  if (given("--port-file")) options.port_file = v.port_file;
  if (given("--http-io-threads")) options.http_io_threads = v.http_io_threads;
  if (given("--http-threads")) options.http_threads = v.http_threads;
  if (given("--max-body-bytes")) options.max_body_bytes = v.max_body_bytes;
  if (given("--request-timeout-ms")) options.request_timeout_ms = v.request_timeout_ms;
  if (given("--temporal-page-size")) options.temporal_page_size = v.temporal_page_size;
  if (given("--no-sync")) options.sync_writes = false;
  if (given("--auth")) options.auth = v.auth;
  if (given("--insecure-allow-remote")) options.insecure_allow_remote = true;
  if (given("--audit-max-records")) options.audit_max_records = v.audit_max_records;
  if (given("--tls-cert")) options.tls_cert = v.tls_cert;
  if (given("--tls-key")) options.tls_key = v.tls_key;
  if (given("--outbound-allow")) options.outbound_allow = v.outbound_allow;
  if (given("--rate-limit-per-s")) options.rate_limit_per_s = v.rate_limit_per_s;
  if (given("--rate-burst")) options.rate_burst = v.rate_burst;
  if (given("--ip-rate-limit-per-s")) options.ip_rate_limit_per_s = v.ip_rate_limit_per_s;
  if (given("--ip-rate-burst")) options.ip_rate_burst = v.ip_rate_burst;
  if (given("--jwks-file")) options.jwks_file = v.jwks_file;
  if (given("--jwks-url")) options.jwks_url = v.jwks_url;
  if (given("--jwks-ca-file")) options.jwks_ca_file = v.jwks_ca_file;
  if (given("--jwks-unknown-key-interval-s")) {
    options.jwks_unknown_key_interval_s = v.jwks_unknown_key_interval_s;
  }
  if (given("--console-session-ttl-s")) options.console_session_ttl_s = v.console_session_ttl_s;
  if (given("--jwt-issuer")) options.jwt_issuer = v.jwt_issuer;
  if (given("--jwt-audience")) options.jwt_audience = v.jwt_audience;
  if (given("--jwt-roles-claim")) options.jwt_roles_claim = v.jwt_roles_claim;
  if (given("--jwt-tenant-claim")) options.jwt_tenant_claim = v.jwt_tenant_claim;
  if (given("--notify-timeout-ms")) options.notify_timeout_ms = v.notify_timeout_ms;
  if (given("--notify-retry-initial-ms")) {
    options.notify_retry_initial_ms = v.notify_retry_initial_ms;
  }
  if (given("--notify-retry-max-ms")) options.notify_retry_max_ms = v.notify_retry_max_ms;
  if (given("--notify-max-attempts")) options.notify_max_attempts = v.notify_max_attempts;
  if (given("--notify-nice")) options.notify_nice = v.notify_nice;
  if (given("--notify-ca-file")) options.notify_ca_file = v.notify_ca_file;
  if (given("--live-max-streams")) options.live_max_streams = v.live_max_streams;
  if (given("--live-queue-limit")) options.live_queue_limit = v.live_queue_limit;
  if (given("--live-heartbeat-ms")) options.live_heartbeat_ms = v.live_heartbeat_ms;
  if (given("--mqtt-listen")) options.mqtt_listen = v.mqtt_listen;
  if (given("--mqtt-port-file")) options.mqtt_port_file = v.mqtt_port_file;
  if (given("--mqtt-threads")) options.mqtt_threads = v.mqtt_threads;
  if (given("--mqtt-max-packet-bytes")) options.mqtt_max_packet_bytes = v.mqtt_max_packet_bytes;
  if (given("--mqtt-max-inflight")) options.mqtt_max_inflight = v.mqtt_max_inflight;
  if (given("--mqtt-session-queue-limit")) {
    options.mqtt_session_queue_limit = v.mqtt_session_queue_limit;
  }
  if (given("--mqtt-keep-alive-max")) options.mqtt_keep_alive_max_s = v.mqtt_keep_alive_max_s;
  if (given("--mqtt-tls-listen")) options.mqtt_tls_listen = v.mqtt_tls_listen;
  if (given("--mqtt-tls-cert")) options.mqtt_tls_cert_file = v.mqtt_tls_cert_file;
  if (given("--mqtt-tls-key")) options.mqtt_tls_key_file = v.mqtt_tls_key_file;
  if (given("--mqtt-tls-client-ca")) options.mqtt_tls_client_ca_file = v.mqtt_tls_client_ca_file;
  if (given("--mqtt-tls-require-client-cert")) options.mqtt_tls_require_client_cert = true;
  if (given("--coap-listen")) options.coap_listen = v.coap_listen;
  if (given("--coap-port-file")) options.coap_port_file = v.coap_port_file;
  if (given("--coap-max-pending")) options.coap_max_pending = v.coap_max_pending;
  if (given("--coap-max-payload-bytes")) {
    options.coap_max_payload_bytes = v.coap_max_payload_bytes;
  }
  if (given("--coap-confirmable-responses")) {
    options.coap_confirmable_responses = v.coap_confirmable_responses;
  }
  if (given("--coap-dtls-listen")) options.coap_dtls_listen = v.coap_dtls_listen;
  if (given("--coap-dtls-cert")) options.coap_dtls_cert_file = v.coap_dtls_cert_file;
  if (given("--coap-dtls-key")) options.coap_dtls_key_file = v.coap_dtls_key_file;
  if (given("--mqtt-anonymous")) options.mqtt_anonymous = v.mqtt_anonymous;
  if (given("--mqtt-rate-limit-per-s")) options.mqtt_rate_limit_per_s = v.mqtt_rate_limit_per_s;
  if (given("--mqtt-rate-burst")) options.mqtt_rate_burst = v.mqtt_rate_burst;
  if (given("--mqtt-device-rate-limit-per-s")) {
    options.mqtt_device_rate_limit_per_s = v.mqtt_device_rate_limit_per_s;
  }
  if (given("--mqtt-device-rate-burst")) options.mqtt_device_rate_burst = v.mqtt_device_rate_burst;
  if (given("--http-device-rate-limit-per-s")) {
    options.http_device_rate_limit_per_s = v.http_device_rate_limit_per_s;
  }
  if (given("--http-device-rate-burst")) options.http_device_rate_burst = v.http_device_rate_burst;
  if (given("--coap-device-rate-limit-per-s")) {
    options.coap_device_rate_limit_per_s = v.coap_device_rate_limit_per_s;
  }
  if (given("--coap-device-rate-burst")) options.coap_device_rate_burst = v.coap_device_rate_burst;
  if (given("--mqtt-external-url")) options.mqtt_external_url = v.mqtt_external_url;
  if (given("--mqtt-external-client-id")) {
    options.mqtt_external_client_id = v.mqtt_external_client_id;
  }
  if (given("--mqtt-external-username")) options.mqtt_external_username = v.mqtt_external_username;
  if (given("--mqtt-external-password")) options.mqtt_external_password = v.mqtt_external_password;
  if (given("--mqtt-external-group")) options.mqtt_external_group = v.mqtt_external_group;
  if (given("--mqtt-external-qos")) options.mqtt_external_qos = v.mqtt_external_qos;
  if (given("--mqtt-external-ca-file")) options.mqtt_external_ca_file = v.mqtt_external_ca_file;
  if (given("--mqtt-external-cert")) options.mqtt_external_cert_file = v.mqtt_external_cert_file;
  if (given("--mqtt-external-key")) options.mqtt_external_key_file = v.mqtt_external_key_file;
  if (given("--device-check-interval-ms")) {
    options.device_check_interval_ms = v.device_check_interval_ms;
  }
  if (given("--command-expiry-s")) options.command_expiry_s = v.command_expiry_s;
  if (given("--batch-linger-us")) options.ingest_batch_linger_us = v.ingest_batch_linger_us;
  if (given("--device-report-interval-ms")) {
    options.device_report_interval_ms = v.device_report_interval_ms;
  }
  return options;
}

bool configure_logging(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return false;
  spdlog::set_level(parsed);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  return true;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"CityTwin: a city's smart-city data hub (NGSI-LD)"};
  app.set_version_flag("--version", std::string("citytwin ") + std::string(kVersion));
  app.require_subcommand(1);

  ServeFlags serve_flags;
  CLI::App* serve = app.add_subcommand("serve", "Run the server");
  add_serve_flags(*serve, serve_flags);
  ExportOptions export_options;
  CLI::App* exporter = app.add_subcommand(
      "export", "Write the recorded history of entities as CSV or JSON Lines (server stopped)");
  add_export_flags(*exporter, export_options);
  KeysCommands keys_commands;
  CLI::App* keys = app.add_subcommand(
      "keys", "Create, list and revoke API keys of a data directory (server stopped)");
  add_keys_commands(*keys, keys_commands);
  KpiCommands kpi_commands;
  CLI::App* kpi = app.add_subcommand(
      "kpi",
      "U4SSC KPIs: import inputs, verify the integrity log, write the report (server stopped)");
  add_kpi_commands(*kpi, kpi_commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (serve->parsed()) {
    auto options = resolve_options(*serve, serve_flags);
    if (!options) {
      std::cerr << "citytwin: " << options.error().detail << "\n";
      return 2;
    }
    if (!configure_logging(options->log_level)) {
      std::cerr << "citytwin: unknown log level '" << options->log_level << "'\n";
      return 2;
    }
    return citytwin::server::serve(*options);
  }
  if (exporter->parsed()) return export_history(export_options);
  if (keys_commands.create->parsed()) return keys_create(keys_commands.options);
  if (keys_commands.list->parsed()) return keys_list(keys_commands.options);
  if (keys_commands.revoke->parsed()) return keys_revoke(keys_commands.options);
  if (auto code = run_kpi_command(kpi_commands)) return *code;
  return 0;
}

}  // namespace citytwin::server
