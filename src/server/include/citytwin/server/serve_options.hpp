#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "citytwin/common/result.hpp"

namespace citytwin::server {

// Everything `citytwin serve` can be told. The TOML config file (--config) and the command
// line fill this same struct; a command-line flag wins over the file, the file over these
// defaults. docs/configuration.md lists every key.
// A tenant's open-data types in the config file (`[[security.open_data]]`, docs/security.md,
// "Settings in the config file"); names as in the API, expanded with the core @context.
struct OpenDataSetting {
  std::string tenant;  // "" = the default tenant
  std::vector<std::string> types;
};

// One personal-data rule in the config file (`[[security.personal_data]]`).
struct PersonalDataSetting {
  std::string tenant;  // "" = the default tenant
  std::string type;
  std::vector<std::string> attributes;
  std::string retention;  // ISO 8601 duration; "" = none
};

struct ServeOptions {
  // Directory of the embedded database; created when missing.
  std::string data_dir = "./citytwin-data";
  // Address the HTTP API listens on, HOST:PORT ([v6]:PORT for IPv6). Port 0 picks a free port.
  std::string listen = "127.0.0.1:1026";
  // trace, debug, info, warn, error, critical or off.
  std::string log_level = "info";
  // Directory with a manifest.json (or manifest.txt) mapping @context URLs to local files,
  // pre-seeding the context cache so a deployment without internet still resolves them.
  std::string context_dir;
  // Write the chosen port to this file once listening (used by tests and scripts).
  std::string port_file;

  // HTTP server limits (see http::ServerOptions for what each does).
  unsigned http_io_threads = 0;
  unsigned http_threads = 0;
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_url_bytes = 8 * 1024;
  std::uint32_t request_timeout_ms = 30000;
  std::uint32_t idle_timeout_ms = 60000;

  // Storage: fsync the write-ahead log before acknowledging a write. Turning this off trades
  // the durability guarantee for throughput; only for throwaway data.
  bool sync_writes = true;
  // RocksDB block cache in MiB; 0: automatic (memory_budget.hpp: an eighth of the memory the
  // server may use, between 64 MiB and 1 GiB).
  std::size_t block_cache_mb = 0;
  // Documents of recently read entities in MiB, in front of RocksDB (0 disables the cache).
  std::size_t entity_cache_mb = 64;
  // Rendered bodies of GET /ngsi-ld/v1/entities/{id} in MiB, checked against the stored
  // document on every hit (docs/storage.md, "Rendered-entity cache"); 0 disables the cache.
  std::size_t rendered_cache_mb = 32;
  // History compaction (store::HistoryCompactionOptions, docs/storage.md): samples older than
  // this many seconds are moved into compressed chunks once an instance has
  // history_compact_min_samples of them, in chunks of at most history_chunk_samples; the
  // compactor looks for work every history_compact_interval_ms.
  std::uint64_t history_compact_after_s = 600;
  std::size_t history_compact_min_samples = 64;
  std::size_t history_chunk_samples = 2048;
  std::uint64_t history_compact_interval_ms = 60000;
  // A write appending at least 1024 samples (history_chunk_samples if fewer) to one attribute
  // instance (a history import) stores whole chunks of them compressed at once
  // (docs/storage.md, "Bulk appends") instead of raw rows for the compactor. Default true.
  bool history_pack_bulk_appends = true;
  // Once a burst of chunk writes has ended, the chunk families' newest files are compacted
  // down (store::HistoryCompactionOptions::settle_chunks_after_bursts).
  bool history_settle_chunks = true;
  // Seconds between history retention passes (core::RetentionService; the rules are set per
  // tenant through /citytwin/v1/retention). 0: no background passes. Default 3600.
  std::uint64_t retention_interval_s = 3600;
  // Seconds between rollup passes (core::HistoryRollups: rebuild the rollup rows writes
  // marked dirty, drop rows past rollupRetention). Queries work off their entity's markers
  // themselves, so this only bounds the backlog. 0: no background passes. Default 60.
  std::uint64_t rollup_interval_s = 60;

  // NGSI-LD paging (see http::NgsiApiOptions): entities per page without `limit`, the
  // largest `limit`, and instances of one attribute per temporal answer (206 past it).
  std::size_t default_limit = 20;
  std::size_t max_limit = 1000;
  std::size_t temporal_page_size = 10000;
  // Threads that read the entities of one temporal query page at once (the request's own
  // included); 0: one per CPU core, at most 4.
  std::size_t temporal_query_threads = 0;

  // Security (docs/security.md). "required": every route but GET /health and GET /version
  // needs an API key (made with `citytwin keys create`, or POST /citytwin/v1/keys by an admin).
  // "off": no authentication and no keys API, for tests and isolated machines. Default
  // "required".
  std::string auth = "required";
  // Let auth = "off" listen on an address other than loopback. Default false: the server
  // refuses to start, so an open API is never exposed to the network by accident.
  bool insecure_allow_remote = false;
  // HTTPS: PEM certificate chain and private key files. Both empty (default): plain HTTP.
  // Both set: the listener speaks TLS 1.2+ only; SIGHUP reads the files again.
  std::string tls_cert;
  std::string tls_key;
  // Outgoing requests (notifications, remote @contexts) to loopback, private, link-local and
  // other non-public addresses are refused unless one of these allows them: a network
  // ("10.0.0.0/8"), an address, or "host:port". Default: none (docs/security.md).
  std::vector<std::string> outbound_allow;
  // Rate limits (docs/security.md), token buckets answered 429 + Retry-After: requests per
  // second and burst per API key (or token subject), and per client IP address. 0 = off
  // (default for both); a burst of 0 means one second's worth of requests.
  unsigned rate_limit_per_s = 0;
  unsigned rate_burst = 0;
  unsigned ip_rate_limit_per_s = 0;
  unsigned ip_rate_burst = 0;
  // OAuth2 / OpenID Connect bearer tokens (security::JwtOptions says what each does): a JWKS
  // file turns them on (with auth required); issuer and audience are then required. Tokens
  // must name a role in jwt_roles_claim and may name a tenant in jwt_tenant_claim.
  std::string jwks_file;
  std::string jwt_issuer;
  std::string jwt_audience;
  std::string jwt_roles_claim = "roles";
  std::string jwt_tenant_claim = "tenant";
  std::uint32_t jwt_clock_skew_s = 60;
  // Most records the audit log keeps (docs/security.md, "Audit log"); older ones are erased.
  // 0 turns the audit log off (for benchmarks). Default 1,000,000.
  std::uint64_t audit_max_records = 1'000'000;
  // Or the provider's JWKS URL (https only; security::RemoteJwksOptions says what the cache
  // settings do), fetched through the outbound (SSRF) policy with certificate checks against
  // the system CA store or jwks_ca_file. Default: none.
  std::string jwks_url;
  std::string jwks_ca_file;
  std::uint32_t jwks_cache_default_s = 3600;
  std::uint32_t jwks_cache_min_s = 60;
  std::uint32_t jwks_cache_max_s = 86400;
  std::uint32_t jwks_unknown_key_interval_s = 30;
  // Time allowed for one fetch of jwks_url. Default 3 s.
  std::uint32_t jwks_fetch_timeout_ms = 3000;
  // Lifetime of a web console session from its login (docs/security.md, "Console
  // sessions"). Default 8 h.
  std::uint32_t console_session_ttl_s = 8 * 3600;

  // Remote @context download limits.
  std::uint32_t context_fetch_timeout_ms = 5000;
  std::size_t context_max_bytes = 1024 * 1024;

  // Notification delivery (docs/subscriptions.md; core::NotifierOptions says what each does).
  unsigned notify_threads = 16;
  std::uint32_t notify_timeout_ms = 5000;
  std::size_t notify_queue_limit = 1000;
  std::uint32_t notify_retry_initial_ms = 500;
  std::uint32_t notify_retry_max_ms = 30000;
  unsigned notify_max_attempts = 5;
  std::size_t notify_max_entities_per_notification = 1;
  // Nice value of the notification threads (docs/subscriptions.md, "Delivery"): writes first.
  unsigned notify_nice = 10;
  std::size_t notify_dispatch_backlog = 10000;
  // PEM file of CA certificates trusted for https:// receivers; empty: the system store.
  std::string notify_ca_file;

  // Console live updates (docs/console.md; http::LiveEventsOptions says what each does).
  std::size_t live_max_streams = 64;
  std::size_t live_queue_limit = 256;
  std::uint32_t live_heartbeat_ms = 15000;
  std::uint32_t live_max_age_s = 900;

  // Built-in MQTT broker (docs/mqtt.md; mqtt::BrokerOptions says what each limit does).
  // Listen address HOST:PORT; "" or "off" disables it. Port 0 picks a free port. Default
  // 127.0.0.1:1883.
  std::string mqtt_listen = "127.0.0.1:1883";
  // Write the MQTT port to this file once listening (tests and scripts, with port 0).
  std::string mqtt_port_file;
  unsigned mqtt_threads = 1;
  std::size_t mqtt_max_packet_bytes = 1024 * 1024;
  std::uint16_t mqtt_max_inflight = 64;
  std::size_t mqtt_session_queue_limit = 1000;
  std::uint16_t mqtt_keep_alive_max_s = 0;
  std::uint32_t mqtt_session_expiry_max_s = 7 * 24 * 3600;
  std::size_t mqtt_max_connections = 10000;
  // MQTT over TLS on a second address HOST:PORT (8883 by convention); "" (default) or "off":
  // none. Needs the PEM certificate chain and private key files.
  std::string mqtt_tls_listen;
  std::string mqtt_tls_cert_file;
  std::string mqtt_tls_key_file;
  // Client certificates on the MQTT TLS listener (mqtt::BrokerOptions says what each does):
  // a PEM file of trusted client CAs, and whether a certificate is required. Default: none.
  std::string mqtt_tls_client_ca_file;
  bool mqtt_tls_require_client_cert = false;
  // Built-in broker: whether clients without credentials may connect (docs/security.md,
  // "Device credentials"): "allow", "deny", or "auto" (default): allowed only with auth off
  // and every MQTT listener on loopback.
  std::string mqtt_anonymous = "auto";
  // Built-in broker rate limits (docs/mqtt.md, "Rate limits"): PUBLISH packets per second
  // per connection (over it the connection is read more slowly), and measures per second
  // per device (over it they are refused); the bursts default to the rates. 0: no limit.
  unsigned mqtt_rate_limit_per_s = 0;
  unsigned mqtt_rate_burst = 0;
  unsigned mqtt_device_rate_limit_per_s = 0;
  unsigned mqtt_device_rate_burst = 0;
  // External MQTT broker (docs/mqtt.md, "External broker"): CityTwin subscribes to the device
  // topics there. URL mqtt://HOST[:PORT] or mqtts://HOST[:PORT]; "" (default) or "off": none.
  std::string mqtt_external_url;
  // MQTT 5 client identifier, unique per node and stable across restarts; "" (default):
  // "citytwin-<host name>-<hash of the data directory>".
  std::string mqtt_external_client_id;
  std::string mqtt_external_username;
  std::string mqtt_external_password;
  // Shared-subscription group ($share/<group>/...): nodes in one group split the messages.
  // "" subscribes without sharing (every node gets every message). Default "citytwin".
  std::string mqtt_external_group = "citytwin";
  // Subscription QoS, 0 or 1. With 1 (default) a message is acknowledged once durable.
  unsigned mqtt_external_qos = 1;
  // mqtts://: PEM trust anchors ("" system store), and a client certificate and key if the
  // broker asks for one.
  std::string mqtt_external_ca_file;
  std::string mqtt_external_cert_file;
  std::string mqtt_external_key_file;
  // How long the broker keeps this node's session and unacknowledged messages while the node
  // is away. Default 300 s.
  std::uint32_t mqtt_external_session_expiry_s = 300;
  // Messages being stored at once (MQTT 5 Receive Maximum). Default 256.
  std::uint16_t mqtt_external_receive_maximum = 256;
  // Seconds a device command waits for its result before `<cmd>_status` is EXPIRED
  // (docs/ingest.md, "Commands"). Default 3600.
  std::uint32_t command_expiry_s = 3600;
  // How often devices with an expected period are checked for silence (docs/ingest.md).
  std::uint32_t device_check_interval_ms = 10000;
  // Longest wait of the measurement writer for a small batch to grow (docs/ingest.md,
  // "Batching"; ingest::IngestOptions::batch_linger). 0: none. Default 2000.
  std::uint32_t ingest_batch_linger_us = 2000;
  // Shortest interval between two writes of a Device entity's dateLastValueReported
  // (docs/ingest.md, "The Device entity"; ingest::IngestOptions::device_report_interval).
  // 0: with every measure. Default 10000.
  std::uint32_t device_report_interval_ms = 10000;

  // CoAP southbound of device measurements (docs/ingest.md, "CoAP"; CoapServerOptions says
  // what each limit does). UDP listen address HOST:PORT (5683 by convention); "" or "off"
  // (default): none. Port 0 picks a free port.
  std::string coap_listen = "off";
  // Write the CoAP port to this file once listening (tests and scripts, with port 0).
  std::string coap_port_file;
  std::size_t coap_max_pending = 1024;
  std::size_t coap_max_payload_bytes = 64 * 1024;
  // The 2.04 sent once a Confirmable request's measure is durable is Confirmable (true,
  // default) or Non-confirmable (CoapServerOptions::confirmable_responses says why).
  bool coap_confirmable_responses = true;
  // CoAP over DTLS ("coaps") on a second UDP address HOST:PORT (5684 by convention); "" or
  // "off" (default): none. Needs the PEM certificate chain and private key files, and
  // coap_listen on (both share one CoAP context).
  std::string coap_dtls_listen = "off";
  std::string coap_dtls_cert_file;
  std::string coap_dtls_key_file;
  // Per-device rate limits of HTTP (POST /iot/json, /iot/d) and CoAP measures, as MQTT's
  // (docs/ingest.md, "Rate limits"): measures per second per device (apikey + device id),
  // bursts default to the rates; over it HTTP answers 429 with Retry-After, CoAP 4.29 with
  // Max-Age (RFC 8516). 0: no limit.
  unsigned http_device_rate_limit_per_s = 0;
  unsigned http_device_rate_burst = 0;
  unsigned coap_device_rate_limit_per_s = 0;
  unsigned coap_device_rate_burst = 0;
  // Open-data types and personal-data rules of tenants, set from the config file at start-up
  // where the file changed them since the last start; the API's changes otherwise stand
  // (core::apply_configured_policies). Empty (default): the API's alone.
  std::vector<OpenDataSetting> open_data;
  std::vector<PersonalDataSetting> personal_data;
};

// Whether the built-in broker accepts clients without credentials (`mqtt_anonymous`);
// kInvalidRequest for a value other than auto, allow, deny.
Result<bool> mqtt_anonymous_allowed(const ServeOptions& options);

// Whether the MQTT broker is enabled by `mqtt_listen`.
bool mqtt_enabled(const ServeOptions& options);
bool mqtt_tls_enabled(const ServeOptions& options);
// Whether the CoAP listener is enabled by `coap_listen`.
bool coap_enabled(const ServeOptions& options);
bool coap_dtls_enabled(const ServeOptions& options);

// Reads a TOML file into `options`. Unknown keys are errors so typos do not pass silently.
Status load_config_file(const std::string& path, ServeOptions& options);

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};
Result<ListenAddress> parse_listen_address(const std::string& text);

// Whether a listen host only accepts connections from this machine (127.0.0.0/8, ::1,
// localhost). 0.0.0.0 and :: listen on every interface and are not loopback.
bool is_loopback_host(const std::string& host);

// The start-up checks of the security settings: a known auth mode, and no open API on a
// network address unless insecure_allow_remote. Fails with kInvalidRequest saying why.
Status check_security_options(const ServeOptions& options, const ListenAddress& address);

}  // namespace citytwin::server
