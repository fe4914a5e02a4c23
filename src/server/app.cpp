#include "citytwin/server/app.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>
#include <tuple>

#include "allocator_stats.hpp"
#include "bearer_keys.hpp"
#include "citytwin/common/clock.hpp"
#include "citytwin/common/metrics.hpp"
#include "citytwin/core/context_documents.hpp"
#include "citytwin/core/discovery.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/core/notification_router.hpp"
#include "citytwin/core/retention_service.hpp"
#include "citytwin/core/subscription_service.hpp"
#include "citytwin/core/temporal_service.hpp"
#include "citytwin/http/audit_routes.hpp"
#include "citytwin/http/console_routes.hpp"
#include "citytwin/http/console_session_routes.hpp"
#include "citytwin/http/device_credential_routes.hpp"
#include "citytwin/http/http_context_loader.hpp"
#include "citytwin/http/http_notification_sender.hpp"
#include "citytwin/http/iot_command_routes.hpp"
#include "citytwin/http/iot_routes.hpp"
#include "citytwin/http/key_routes.hpp"
#include "citytwin/http/kpi_routes.hpp"
#include "citytwin/http/live_routes.hpp"
#include "citytwin/http/metered_context_loader.hpp"
#include "citytwin/http/ngsi_routes.hpp"
#include "citytwin/http/ops_routes.hpp"
#include "citytwin/http/outbound_checked_sender.hpp"
#include "citytwin/http/router.hpp"
#include "citytwin/http/server.hpp"
#include "citytwin/ingest/command_dispatcher.hpp"
#include "citytwin/ingest/device_monitor.hpp"
#include "citytwin/ingest/device_registry.hpp"
#include "citytwin/ingest/ingest_service.hpp"
#include "citytwin/kpi/kpi_service.hpp"
#include "citytwin/model/context_dir.hpp"
#include "citytwin/model/context_registry.hpp"
#include "citytwin/model/context_resolver.hpp"
#include "citytwin/mqtt/broker.hpp"
#include "citytwin/mqtt/mqtt_notification_sender.hpp"
#include "citytwin/security/jwt_verifier.hpp"
#include "citytwin/security/key_service.hpp"
#include "citytwin/security/stream_tickets.hpp"
#include "citytwin/store/rocksdb_store.hpp"
#include "citytwin/web/console_assets.hpp"
#include "coap_server.hpp"
#include "data_policy_config.hpp"
#include "device_commands.hpp"
#include "external_broker.hpp"
#include "memory_budget.hpp"
#include "mqtt_hooks.hpp"
#include "mqtt_sessions.hpp"
#include "store_location.hpp"
#include "store_write_barrier.hpp"
#include "version.hpp"

namespace citytwin::server {
namespace {

// ngsi.temporal_query_threads, 0 resolved: a page's entities are read on every core (at most
// four: past that, one query would hold too many of the HTTP workers' cores).
unsigned temporal_query_threads(const ServeOptions& options) {
  if (options.temporal_query_threads != 0) {
    return static_cast<unsigned>(std::min<std::size_t>(options.temporal_query_threads, 64));
  }
  return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
}

http::ServerOptions http_options(const ServeOptions& options, const ListenAddress& address) {
  http::ServerOptions out;
  out.host = address.host;
  out.port = address.port;
  out.io_threads = options.http_io_threads;
  out.threads = options.http_threads;
  out.max_body_bytes = options.max_body_bytes;
  out.max_header_bytes = options.max_header_bytes;
  out.max_url_bytes = options.max_url_bytes;
  out.request_timeout = std::chrono::milliseconds(options.request_timeout_ms);
  out.idle_timeout = std::chrono::milliseconds(options.idle_timeout_ms);
  out.tls_cert_file = options.tls_cert;
  out.tls_key_file = options.tls_key;
  out.key_rate_limit = {options.rate_limit_per_s, options.rate_burst};
  out.ip_rate_limit = {options.ip_rate_limit_per_s, options.ip_rate_burst};
  return out;
}

mqtt::BrokerOptions mqtt_options(const ServeOptions& options, const ListenAddress& address) {
  mqtt::BrokerOptions out;
  out.host = address.host;
  out.port = address.port;
  out.threads = std::max(1u, options.mqtt_threads);
  out.max_packet_bytes = options.mqtt_max_packet_bytes;
  out.max_inflight = std::max<std::uint16_t>(1, options.mqtt_max_inflight);
  out.session_queue_limit = options.mqtt_session_queue_limit;
  out.keep_alive_max = options.mqtt_keep_alive_max_s;
  out.session_expiry_max_s = options.mqtt_session_expiry_max_s;
  out.max_connections = options.mqtt_max_connections;
  out.publish_rate_per_s = options.mqtt_rate_limit_per_s;
  out.publish_burst = options.mqtt_rate_burst;
  if (mqtt_tls_enabled(options)) {
    auto tls_address = parse_listen_address(options.mqtt_tls_listen);  // checked at start-up
    out.tls_host = tls_address->host;
    out.tls_port = tls_address->port;
    out.tls_cert_file = options.mqtt_tls_cert_file;
    out.tls_key_file = options.mqtt_tls_key_file;
    out.tls_client_ca_file = options.mqtt_tls_client_ca_file;
    out.tls_require_client_cert = options.mqtt_tls_require_client_cert;
  }
  return out;
}

void describe_metrics(MetricsRegistry& metrics) {
  metrics.describe("citytwin_http_requests_total", "counter",
                   "HTTP requests by route, method and status");
  metrics.describe("citytwin_http_request_duration_seconds", "histogram",
                   "HTTP request latency by route and method");
  metrics.describe("citytwin_http_rate_limited_total", "counter",
                   "Requests refused with 429, by limit (key or ip)");
}

// Blocks SIGINT/SIGTERM (and SIGHUP, which reloads the TLS pair) in every thread started
// after this call, so that only the waiter thread below receives them (with sigwait), never
// an arbitrary worker.
sigset_t block_shutdown_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

Status write_port_file(const std::string& path, std::uint16_t port) {
  if (path.empty()) return ok_status();
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary);
    out << port << "\n";
    if (!out) return make_error(ErrorKind::kInternalError, "cannot write port file " + path);
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return make_error(ErrorKind::kInternalError, "cannot write port file " + path);
  return ok_status();
}

void add_store_gauges(MetricsRegistry& metrics, const store::EntityStore& store) {
  metrics.add_gauge("citytwin_entities", "Entities stored, by tenant", [&store] {
    std::vector<std::pair<Labels, double>> samples;
    for (const auto& tenant : store.stats().per_tenant) {
      samples.push_back({Labels{{"tenant", tenant.term}}, static_cast<double>(tenant.count)});
    }
    return samples;
  });
  // Counters of the history compactor: one unlabelled sample each.
  auto add_compactor_gauge = [&metrics, &store](const std::string& name, const std::string& help,
                                                std::uint64_t store::StoreStats::*counter) {
    metrics.add_gauge(name, help, [&store, counter] {
      return std::vector<std::pair<Labels, double>>{
          {Labels{}, static_cast<double>(store.stats().*counter)}};
    });
  };
  add_compactor_gauge("citytwin_history_compaction_passes",
                      "History compaction passes completed since start (docs/storage.md)",
                      &store::StoreStats::history_compaction_passes);
  add_compactor_gauge(
      "citytwin_history_compaction_walks",
      "History compaction passes that walked the raw history (the others found it unchanged "
      "since a pass with nothing to do)",
      &store::StoreStats::history_compaction_walks);
  add_compactor_gauge(
      "citytwin_history_raw_reclaims",
      "Compactions of the raw history family once the rows packed into chunks since the last "
      "one were at least half of it (docs/storage.md)",
      &store::StoreStats::history_raw_reclaims);
  metrics.add_gauge("citytwin_storage_bytes", "Bytes on disk used by the embedded database",
                    [&store] {
                      return std::vector<std::pair<Labels, double>>{
                          {Labels{}, static_cast<double>(store.stats().bytes_on_disk)}};
                    });
  metrics.add_gauge("citytwin_storage_memory_bytes",
                    "Memory held by the embedded database, by component (bounded by configuration)",
                    [&store] {
                      const store::StoreMemory memory = store.stats().memory;
                      auto sample = [](const char* component, std::uint64_t bytes) {
                        return std::pair<Labels, double>{Labels{{"component", component}},
                                                         static_cast<double>(bytes)};
                      };
                      return std::vector<std::pair<Labels, double>>{
                          sample("memtables", memory.memtables),
                          sample("pinned_memtables", memory.pinned_memtables),
                          sample("block_cache", memory.block_cache),
                          sample("pinned_blocks", memory.pinned_blocks),
                          sample("table_readers", memory.table_readers),
                          sample("entity_cache", memory.entity_cache)};
                    });
}

// The rendered-entity cache (docs/storage.md): its size, and lookups that found a body
// rendered from the current document or not.
void add_rendered_cache_gauges(MetricsRegistry& metrics, const http::RenderedEntityCache& cache) {
  metrics.add_gauge("citytwin_rendered_entity_cache_bytes",
                    "Rendered GET-by-id bodies held (docs/storage.md, Rendered-entity cache)",
                    [&cache] {
                      return std::vector<std::pair<Labels, double>>{
                          {Labels{}, static_cast<double>(cache.bytes())}};
                    });
  metrics.add_gauge("citytwin_rendered_entity_cache_lookups",
                    "Rendered-entity cache lookups since start, by result", [&cache] {
                      return std::vector<std::pair<Labels, double>>{
                          {Labels{{"result", "hit"}}, static_cast<double>(cache.hits())},
                          {Labels{{"result", "miss"}}, static_cast<double>(cache.misses())}};
                    });
}

void add_allocator_gauges(MetricsRegistry& metrics) {
  metrics.add_gauge(
      "citytwin_allocator_bytes", "The memory allocator's view of the process heap, by state", [] {
        const AllocatorStats stats = read_allocator_stats();
        auto sample = [&stats](const char* state, std::uint64_t bytes) {
          return std::pair<Labels, double>{Labels{{"allocator", stats.allocator}, {"state", state}},
                                           static_cast<double>(bytes)};
        };
        return std::vector<std::pair<Labels, double>>{sample("allocated", stats.allocated),
                                                      sample("resident", stats.resident),
                                                      sample("retained", stats.retained)};
      });
}

Result<std::unique_ptr<store::EntityStore>> open_store(const ServeOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return make_error(ErrorKind::kInternalError,
                      "cannot create data directory " + options.data_dir + ": " + ec.message());
  }
  store::RocksDbOptions store_options = store_options_for(options.data_dir);
  store_options.sync_writes = options.sync_writes;
  const std::size_t block_cache_mb = options.block_cache_mb != 0
                                         ? options.block_cache_mb
                                         : automatic_block_cache_mb(usable_memory_bytes());
  spdlog::info("block cache: {} MiB{}", block_cache_mb,
               options.block_cache_mb != 0 ? "" : " (automatic: storage.block_cache_mb = 0)");
  store_options.block_cache_bytes = block_cache_mb << 20;
  store_options.entity_cache_bytes = options.entity_cache_mb << 20;
  store::HistoryCompactionOptions& compaction = store_options.history_compaction;
  compaction.min_age = std::chrono::seconds(options.history_compact_after_s);
  compaction.min_samples = options.history_compact_min_samples;
  compaction.chunk_samples = std::max<std::size_t>(options.history_chunk_samples, 1);
  compaction.interval = std::chrono::milliseconds(options.history_compact_interval_ms);
  compaction.pack_bulk_appends = options.history_pack_bulk_appends;
  compaction.settle_chunks_after_bursts = options.history_settle_chunks;
  return store::open_rocksdb_store(store_options);
}

// Per-subscription delivery figures (docs/subscriptions.md), computed at scrape time.
void add_subscription_gauges(MetricsRegistry& metrics, const core::SubscriptionService& service) {
  using Figure = double (*)(const core::DeliveryStats&);
  const std::pair<const char*, Figure> kFigures[] = {
      {"sent", [](const core::DeliveryStats& s) { return static_cast<double>(s.times_sent); }},
      {"failed", [](const core::DeliveryStats& s) { return static_cast<double>(s.times_failed); }},
      {"dropped", [](const core::DeliveryStats& s) { return static_cast<double>(s.dropped); }},
      {"queued", [](const core::DeliveryStats& s) { return static_cast<double>(s.queued); }},
  };
  for (const auto& [what, figure_of] : kFigures) {
    auto figure = figure_of;  // a copy: clang 14 cannot capture a structured binding
    metrics.add_gauge(
        std::string("citytwin_subscription_notifications_") + what,
        std::string("Notifications ") + what + " per subscription", [&service, figure] {
          std::vector<std::pair<Labels, double>> samples;
          for (const auto& delivery : service.deliveries()) {
            samples.push_back({Labels{{"tenant", delivery.tenant}, {"subscription", delivery.id}},
                               figure(delivery.stats)});
          }
          return samples;
        });
  }
  using Backlog = core::SubscriptionService::DispatchBacklog;
  using BacklogFigure = double (*)(const Backlog&);
  const std::tuple<const char*, const char*, BacklogFigure> kBacklog[] = {
      {"citytwin_notify_dispatch_backlog",
       "Changes written and not yet matched against the subscriptions",
       [](const Backlog& b) { return static_cast<double>(b.changes); }},
      {"citytwin_notify_dispatch_writer_waits",
       "Writes that waited for the notification dispatcher (notify.dispatch_backlog)",
       [](const Backlog& b) { return static_cast<double>(b.writer_waits); }},
      {"citytwin_notify_dispatch_writer_wait_seconds",
       "Time writes spent waiting for the notification dispatcher",
       [](const Backlog& b) { return b.writer_wait_seconds; }},
  };
  for (const auto& [name, help, figure_of] : kBacklog) {
    auto figure = figure_of;  // a copy: clang 14 cannot capture a structured binding
    metrics.add_gauge(name, help, [&service, figure] {
      return std::vector<std::pair<Labels, double>>{{Labels{}, figure(service.dispatch_backlog())}};
    });
  }
}

std::string display_host(const std::string& host) {
  if (host == "0.0.0.0" || host == "::") return "localhost";
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

int serve(const ServeOptions& options) {
  auto address = parse_listen_address(options.listen);
  if (!address) {
    spdlog::error("{}", address.error().detail);
    return 2;
  }
  if (auto status = check_security_options(options, *address); !status.ok()) {
    spdlog::error("{}", status.error().detail);
    return 2;
  }
  sigset_t signals = block_shutdown_signals();

  MetricsRegistry metrics;
  describe_metrics(metrics);
  std::atomic<bool> ready{false};
  // Subscribed to the external MQTT broker, when there is one (docs/mqtt.md).
  std::atomic<bool> external_broker_up{!external_broker_enabled(options)};

  auto started = std::chrono::steady_clock::now();
  auto store = open_store(options);
  if (!store) {
    spdlog::error("cannot open storage: {}", store.error().detail);
    return 1;
  }
  add_store_gauges(metrics, **store);
  add_allocator_gauges(metrics);
  spdlog::info("storage opened in {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - started)
                                              .count());

  SystemClock clock;
  // Authentication (docs/security.md): with auth required the dispatcher checks every
  // non-public route's permission; with auth off the keys API is not served either, so no
  // one can mint a key while the door is open that would still work once it is closed.
  const bool auth_required = options.auth == "required";
  security::KeyService keys(**store, clock);
  if (auth_required) {
    auto has_admin = keys.has_usable_global_admin();
    if (!has_admin) {
      spdlog::error("cannot read API keys: {}", has_admin.error().detail);
      return 1;
    }
    if (!*has_admin) {
      spdlog::warn(
          "authentication is required and no usable admin key exists: stop the server and run "
          "'citytwin keys create --data {} --role admin --tenant \"*\"'",
          options.data_dir);
    }
  } else {
    spdlog::warn("authentication is off: anyone who can connect may read and change every tenant");
  }

  // Bearer JWTs (docs/security.md): only with auth required, from a JWKS file read at start.
  security::JwtVerifierSlot tokens;
  if (!options.jwks_file.empty()) {
    auto verifier = load_jwt_verifier(options, clock);
    if (!verifier) {
      spdlog::error("{}", verifier.error().detail);
      return 2;
    }
    tokens.set(std::move(*verifier));
    if (!auth_required) spdlog::warn("authentication is off: bearer tokens are not checked");
  }

  http::Router router;
  http::add_ops_routes(router,
                       http::OpsInfo{std::string(kVersion),
                                     // Not ready while starting, stopping, or when the disk refused
                                     // a write (the store then refuses all writes until restarted).
                                     [&ready, &store, &external_broker_up] {
                                       return ready.load() && external_broker_up.load() &&
                                              (*store)->write_health().ok();
                                     },
                                     &metrics});
  StoreWriteBarrier write_barrier(**store);
  if (auth_required) http::add_key_routes(router, keys);
  // The console logs in for a session cookie with a CSRF token (docs/security.md).
  security::ConsoleSessions console_sessions(
      clock, {std::chrono::seconds(std::max<std::uint32_t>(1, options.console_session_ttl_s))});
  const bool any_tokens = !options.jwks_file.empty() || !options.jwks_url.empty();
  if (auth_required) {
    http::add_console_session_routes(
        router,
        {console_sessions, keys, any_tokens ? &tokens : nullptr, !options.tls_cert.empty()});
  }
  // The web console's shell and files (docs/console.md), embedded at build time.
  http::add_console_routes(router, web::console_assets());
  http::Server server(http_options(options, *address), router, metrics, &write_barrier,
                      auth_required ? &keys : nullptr,
                      auth_required && any_tokens ? &tokens : nullptr);
  if (auth_required) server.use_console_sessions(console_sessions);
  // Devices' own credentials (MQTT, HTTP Basic, CoAP; docs/security.md, "Device credentials").
  security::DeviceCredentialService device_credentials(**store, clock);
  if (auth_required) server.accept_device_credentials(device_credentials);
  // Open data and personal data per tenant (docs/security.md).
  core::DataPolicies data_policies(**store);
  if (auth_required) server.allow_open_data(&data_policies);
  // The audit log of writes and administrative actions (docs/security.md, "Audit log").
  security::AuditOptions audit_options;
  audit_options.max_records = options.audit_max_records;
  security::AuditLog audit(**store, clock, audit_options);
  if (auto status = audit.restore(); !status.ok()) {
    spdlog::error("cannot read the audit log: {}", status.error().detail);
    return 1;
  }
  if (options.audit_max_records > 0) {
    audit.start([](const Error& error) {
      spdlog::warn("audit records not written yet (kept in memory): {}", error.detail);
    });
    server.record_writes(&audit);
  } else {
    spdlog::warn("the audit log is off (security.audit_max_records = 0)");
  }
  http::add_audit_routes(router, audit);
  if (auto status = server.start(); !status.ok()) {
    spdlog::error("{}", status.error().detail);
    return 1;
  }

  // Hosted-context URLs are made from each request's Host header; the address actually bound
  // (port 0 picks one) is the fallback, so the NGSI-LD routes are added after binding and
  // before the event loop runs.
  core::StoreContextPersistence context_persistence(**store);
  jsonld::ContextRegistryOptions registry_options;
  registry_options.max_document_bytes = options.context_max_bytes;
  jsonld::ContextRegistry registry(registry_options, clock, &context_persistence);
  if (auto status = registry.restore(); !status.ok()) {
    spdlog::error("cannot restore cached @contexts: {}", status.error().detail);
    return 1;
  }
  if (!options.context_dir.empty()) {
    if (auto status = jsonld::load_context_dir(registry, options.context_dir); !status.ok()) {
      spdlog::error("--context-dir: {}", status.error().detail);
      return 1;
    }
  }
  // SSRF protection for every URL the server fetches or calls (docs/security.md).
  auto outbound = http::OutboundPolicy::from_allowlist(options.outbound_allow);
  if (!outbound) {
    spdlog::error("{}", outbound.error().detail);
    return 2;
  }
  // Bearer JWTs with keys from the provider's URL (docs/security.md), through the same policy.
  std::unique_ptr<security::RemoteJwks> remote_jwks;
  if (auth_required && !options.jwks_url.empty()) {
    auto started_jwks = start_remote_jwks(options, *outbound, tokens, clock, metrics);
    if (!started_jwks) {
      spdlog::error("{}", started_jwks.error().detail);
      return 2;
    }
    remote_jwks = std::move(*started_jwks);
  }
  http::HttpContextLoaderOptions loader_options;
  loader_options.outbound = *outbound;
  loader_options.timeout = std::chrono::milliseconds(options.context_fetch_timeout_ms);
  loader_options.max_body_bytes = options.context_max_bytes;
  http::HttpContextLoader http_loader(loader_options);
  http::MeteredContextLoader loader(http_loader, metrics);
  auto resolver = jsonld::ContextResolver::create(registry, loader);
  if (!resolver) {
    spdlog::error("{}", resolver.error().detail);
    return 1;
  }
  // The console's live updates (docs/console.md): fed by the subscription service's ordered
  // change feed, named with the core @context; declared after the server so that sessions
  // still waiting on a stream are gone before the server is.
  auto live_terms = (*resolver)->resolve(boost::json::value());
  if (!live_terms) {
    spdlog::error("{}", live_terms.error().detail);
    return 1;
  }
  http::LiveEventsOptions live_options;
  live_options.max_streams = options.live_max_streams;
  live_options.queue_limit = options.live_queue_limit;
  live_options.heartbeat =
      std::chrono::milliseconds(std::max<std::uint32_t>(options.live_heartbeat_ms, 1));
  live_options.max_age = std::chrono::seconds(options.live_max_age_s);
  http::LiveEvents live_events(**live_terms, live_options, &metrics);
  security::StreamTickets stream_tickets(clock);
  http::add_live_routes(router, live_events, stream_tickets, auth_required);
  live_events.start();
  // Subscriptions are told about entity writes once durable and notify on their own threads.
  http::HttpNotificationSenderOptions sender_options;
  sender_options.timeout = std::chrono::milliseconds(options.notify_timeout_ms);
  sender_options.ca_file = options.notify_ca_file;
  sender_options.outbound = *outbound;
  http::HttpNotificationSender http_notification_sender(sender_options);
  // mqtt:// and mqtts:// endpoints (clause 7.2): same timeout and trust store; a broker that
  // cannot be reached is dialled again with the notification retry backoff.
  mqtt::MqttNotificationSenderOptions mqtt_sender_options;
  mqtt_sender_options.timeout = sender_options.timeout;
  mqtt_sender_options.ca_file = options.notify_ca_file;
  mqtt_sender_options.reconnect_initial =
      std::chrono::milliseconds(options.notify_retry_initial_ms);
  mqtt_sender_options.reconnect_max = std::chrono::milliseconds(options.notify_retry_max_ms);
  mqtt::MqttNotificationSender mqtt_notification_sender(mqtt_sender_options);
  core::NotificationRouter notification_sender;
  notification_sender.route("http", http_notification_sender);
  notification_sender.route("https", http_notification_sender);
  // The MQTT client connects by host name: the outbound policy is applied before it does.
  http::OutboundCheckedSender checked_mqtt_sender(*outbound, mqtt_notification_sender);
  notification_sender.route("mqtt", checked_mqtt_sender);
  notification_sender.route("mqtts", checked_mqtt_sender);
  core::NotifierOptions notifier_options;
  notifier_options.threads = options.notify_threads;
  notifier_options.queue_limit = options.notify_queue_limit;
  notifier_options.retry_initial = std::chrono::milliseconds(options.notify_retry_initial_ms);
  notifier_options.retry_max = std::chrono::milliseconds(options.notify_retry_max_ms);
  notifier_options.max_attempts = options.notify_max_attempts;
  notifier_options.join_limit = options.notify_max_entities_per_notification;
  notifier_options.nice = options.notify_nice;
  notifier_options.dispatch_backlog = options.notify_dispatch_backlog;
  jsonld::ContextResolver& context_resolver = **resolver;
  core::SubscriptionService subscriptions(
      **store, clock,
      [&context_resolver](const boost::json::value& context) {
        return context_resolver.resolve(context);
      },
      notification_sender, notifier_options);
  auto restored = subscriptions.restore();
  if (!restored) {
    spdlog::error("cannot restore subscriptions: {}", restored.error().detail);
    return 1;
  }
  for (const auto& problem : *restored) spdlog::warn("{}", problem);
  add_subscription_gauges(metrics, subscriptions);
  subscriptions.set_observer(&live_events);
  // Handlers order their writes and the server acknowledges them once durable (the write
  // barrier above), so event loops never wait for an fsync.
  core::EntityService entities(**store, clock, core::EntityService::Durability::kDeferToCaller,
                               &subscriptions);
  // Downsampled rollups (docs/timeseries.md, "Rollups"): entity and temporal writes mark
  // what they change in the same store write; the retention rules configure them.
  core::HistoryRollups rollups(**store, clock);
  entities.set_rollups(&rollups);
  subscriptions.set_entity_source(
      [&entities](std::string_view tenant,
                  const core::EntityQuery& query) -> Result<std::vector<boost::json::object>> {
        auto result = entities.query(tenant, query);
        if (!result) return std::move(result).error();
        return std::move(result->entities);
      });
  subscriptions.start();
  core::Discovery discovery(**store);
  core::TemporalService temporal(**store, clock);
  temporal.set_rollups(&rollups);
  temporal.set_query_threads(temporal_query_threads(options));
  http::NgsiApiOptions api_options;
  api_options.default_limit = options.default_limit;
  api_options.max_limit = options.max_limit;
  api_options.temporal_page_size = options.temporal_page_size;
  const char* scheme = options.tls_cert.empty() ? "http://" : "https://";
  api_options.base_url = scheme + display_host(address->host) + ":" + std::to_string(server.port());
  // History retention (docs/timeseries.md): rules per tenant and type, applied by passes.
  core::RetentionService retention(**store, clock, &data_policies);
  retention.set_rollups(&rollups);
  if (Status restored = retention.restore_rollups(); !restored.ok()) {
    spdlog::error("cannot restore rollup rules: {}", restored.error().detail);
    return 1;
  }
  if (options.rollup_interval_s > 0) {
    rollups.start(std::chrono::seconds(options.rollup_interval_s));
  }
  if (options.retention_interval_s > 0) {
    retention.start(std::chrono::seconds(options.retention_interval_s),
                    [](const Result<core::RetentionPassReport>& report) {
                      if (!report) {
                        spdlog::warn("retention pass failed: {}", report.error().detail);
                      } else if (report->tenants > 0 || report->personal_entities > 0) {
                        spdlog::info(
                            "retention pass: {} entities of {} tenants trimmed, {} entities' "
                            "personal data",
                            report->entities, report->tenants, report->personal_entities);
                      }
                    });
  }
  http::RenderedEntityCache rendered(options.rendered_cache_mb << 20);
  add_rendered_cache_gauges(metrics, rendered);
  http::NgsiApi ngsi{
      entities,       discovery,
      temporal,       subscriptions,
      **resolver,     registry,
      loader,         api_options,
      &retention,     [&outbound](std::string_view url) { return outbound->check_url(url); },
      &data_policies, &rendered};
  http::add_ngsi_routes(router, ngsi);
  // Devices in (docs/ingest.md): IoT Agent provisioning and the HTTP southbound; measures
  // are named with the NGSI-LD core @context.
  ingest::DeviceRegistry devices(**store);
  auto restored_devices = devices.restore();
  if (!restored_devices) {
    spdlog::error("cannot restore IoT provisioning: {}", restored_devices.error().detail);
    return 1;
  }
  for (const auto& problem : *restored_devices) spdlog::warn("{}", problem);
  auto core_terms = context_resolver.resolve(boost::json::value());
  if (!core_terms) {
    spdlog::error("{}", core_terms.error().detail);
    return 1;
  }
  // Open-data and personal-data settings of the config file, where it changed them
  // (docs/security.md, "Settings in the config file").
  if (auto status = apply_data_policy_config(options, **core_terms, data_policies, **store);
      !status.ok()) {
    spdlog::error("{}", status.error().detail);
    return 2;
  }
  ingest::IngestOptions ingest_options;
  ingest_options.batch_linger = std::chrono::microseconds(options.ingest_batch_linger_us);
  ingest_options.device_report_interval =
      std::chrono::milliseconds(options.device_report_interval_ms);
  ingest::IngestService ingest_service(devices, entities, *core_terms, clock, &metrics,
                                       ingest_options);
  // Device commands (docs/ingest.md, "Commands"): a change of a command attribute is queued
  // in the same durable write (the entity service's write hook) and sent by the dispatcher.
  ingest::CommandOptions command_options;
  command_options.expiry_s = std::max<std::uint32_t>(options.command_expiry_s, 1);
  DeviceCommands device_commands(devices, entities, *core_terms, clock, metrics,
                                 http_notification_sender, command_options);
  if (auto status = device_commands.open(); !status.ok()) {
    spdlog::error("cannot restore queued commands: {}", status.error().detail);
    return 1;
  }
  ingest::CommandDispatcher& commands = device_commands.dispatcher();
  // Per-device rate limit of HTTP measures (docs/ingest.md, "Rate limits").
  std::unique_ptr<http::RateLimiter> http_device_limiter;
  if (options.http_device_rate_limit_per_s > 0) {
    http_device_limiter = std::make_unique<http::RateLimiter>(
        http::RateLimit{options.http_device_rate_limit_per_s, options.http_device_rate_burst});
  }
  http::add_iot_routes(router, devices, ingest_service, &commands,
                       http::IotMeasureLimits{http_device_limiter.get(), &metrics});
  http::add_iot_command_routes(router, commands);
  http::add_device_credential_routes(router, device_credentials);
  ingest::DeviceMonitor device_monitor(devices, entities, *core_terms, clock, &metrics);
  device_monitor.start(
      std::chrono::milliseconds(std::max<std::uint32_t>(options.device_check_interval_ms, 1)));

  // U4SSC KPIs (docs/kpi.md): results are written through `entities`, so NGSI-LD queries and
  // subscriptions see them; the catalogue is compiled into the binary.
  auto kpi_catalogue = kpi::Catalogue::embedded();
  if (!kpi_catalogue) {
    spdlog::error("KPI catalogue: {}", kpi_catalogue.error().detail);
    return 1;
  }
  kpi::KpiService kpis(**store, entities, clock, std::move(*kpi_catalogue));
  http::add_kpi_routes(router, kpis);

  // The built-in MQTT broker (docs/mqtt.md): device topics are measurements, ingested and
  // acknowledged once durable (mqtt_hooks.hpp).
  auto allow_anonymous = mqtt_anonymous_allowed(options);
  if (!allow_anonymous) {
    spdlog::error("{}", allow_anonymous.error().detail);
    return 2;
  }
  MqttHooks mqtt_hooks(auth_required ? &keys : nullptr, ingest_service,
                       MqttAccess{&device_credentials, *allow_anonymous,
                                  http::RateLimit{options.mqtt_device_rate_limit_per_s,
                                                  options.mqtt_device_rate_burst},
                                  &metrics, options.audit_max_records > 0 ? &audit : nullptr});
  mqtt_hooks.set_commands(&commands);
  // Persistent sessions survive a restart (docs/mqtt.md, "Sessions").
  StoreSessionPersistence mqtt_sessions(**store);
  std::unique_ptr<mqtt::Broker> mqtt_broker;
  if (mqtt_enabled(options)) {
    auto mqtt_address = parse_listen_address(options.mqtt_listen);  // checked at start-up
    mqtt_broker = std::make_unique<mqtt::Broker>(mqtt_options(options, *mqtt_address), mqtt_hooks,
                                                 metrics, &mqtt_sessions);
    if (auto status = mqtt_broker->start(); !status.ok()) {
      spdlog::error("{}", status.error().detail);
      return 1;
    }
    if (auto status = write_port_file(options.mqtt_port_file, mqtt_broker->port()); !status.ok()) {
      spdlog::error("{}", status.error().detail);
      return 1;
    }
    spdlog::info("MQTT broker listening on {}:{}", display_host(mqtt_address->host),
                 mqtt_broker->port());
    if (mqtt_broker->tls_port() != 0) {
      spdlog::info("MQTT over TLS listening on port {}", mqtt_broker->tls_port());
    }
    device_commands.use_broker(*mqtt_broker);
  }
  // The CoAP southbound (docs/ingest.md, "CoAP"): measurements answered once durable.
  std::unique_ptr<CoapServer> coap_server;
  if (coap_enabled(options)) {
    auto coap_address = parse_listen_address(options.coap_listen);  // checked at start-up
    CoapServerOptions coap_options;
    coap_options.host = coap_address->host;
    coap_options.port = coap_address->port;
    coap_options.max_pending = std::max<std::size_t>(1, options.coap_max_pending);
    coap_options.max_payload_bytes = options.coap_max_payload_bytes;
    coap_options.confirmable_responses = options.coap_confirmable_responses;
    coap_options.device_rate =
        http::RateLimit{options.coap_device_rate_limit_per_s, options.coap_device_rate_burst};
    coap_options.metrics = &metrics;
    coap_options.device_credentials = &device_credentials;
    coap_options.audit = options.audit_max_records > 0 ? &audit : nullptr;
    if (coap_dtls_enabled(options)) {
      auto dtls_address = parse_listen_address(options.coap_dtls_listen);  // checked at start-up
      coap_options.dtls_host = dtls_address->host;
      coap_options.dtls_port = dtls_address->port;
      coap_options.dtls_cert_file = options.coap_dtls_cert_file;
      coap_options.dtls_key_file = options.coap_dtls_key_file;
    }
    coap_server =
        std::make_unique<CoapServer>(coap_options, ingest_service, auth_required ? &keys : nullptr);
    if (auto status = coap_server->start(); !status.ok()) {
      spdlog::error("{}", status.error().detail);
      return 1;
    }
    if (auto status = write_port_file(options.coap_port_file, coap_server->port()); !status.ok()) {
      spdlog::error("{}", status.error().detail);
      return 1;
    }
    spdlog::info("CoAP listening on {}:{} (UDP)", display_host(coap_address->host),
                 coap_server->port());
    if (coap_server->dtls_port() != 0) {
      spdlog::info("CoAP over DTLS listening on port {}", coap_server->dtls_port());
    }
  }
  // External broker mode (docs/mqtt.md): device topics of an existing broker, ingested the
  // same way, acknowledged once durable; not ready while unsubscribed.
  std::unique_ptr<ExternalBroker> external_broker;
  if (external_broker_enabled(options)) {
    auto external_options = external_broker_options(options);
    if (!external_options) {
      spdlog::error("{}", external_options.error().detail);
      return 2;
    }
    external_broker = std::make_unique<ExternalBroker>(
        std::move(*external_options), ingest_service, *outbound, metrics,
        [&external_broker_up](bool connected) { external_broker_up = connected; },
        options.audit_max_records > 0 ? &audit : nullptr);
    external_broker->set_commands(&commands);
    if (auto status = external_broker->start(); !status.ok()) {
      spdlog::error("{}", status.error().detail);
      return 2;
    }
  }
  if (auto status = write_port_file(options.port_file, server.port()); !status.ok()) {
    spdlog::error("{}", status.error().detail);
    return 1;
  }
  device_commands.start();
  ready = true;
  spdlog::info("citytwin {} listening on {}{}:{} (data in {}, auth {})", kVersion, scheme,
               display_host(address->host), server.port(), options.data_dir, options.auth);

  std::atomic<bool> finished{false};
  std::thread signal_waiter([&] {
    // Polls so that it also ends when the server stops for another reason.
    timespec poll_interval{0, 200 * 1000 * 1000};
    while (!finished) {
      int signal_number = sigtimedwait(&signals, nullptr, &poll_interval);
      if (signal_number == SIGHUP) {
        // docs/security.md: new handshakes use the new pair, open connections stay.
        if (auto status = server.reload_tls(); !status.ok()) {
          spdlog::error("SIGHUP: TLS reload failed, keeping the old certificate: {}",
                        status.error().detail);
        } else if (!options.tls_cert.empty()) {
          spdlog::info("SIGHUP: TLS certificate and key reloaded");
        }
        if (!options.jwks_file.empty()) {
          // Key rotation at the identity provider: tokens signed with the new keys are
          // accepted from now on; a bad file keeps the old keys.
          if (auto verifier = load_jwt_verifier(options, clock); verifier) {
            tokens.set(std::move(*verifier));
          } else {
            spdlog::error("SIGHUP: JWKS reload failed, keeping the old keys: {}",
                          verifier.error().detail);
          }
        }
        continue;
      }
      if (signal_number > 0) {
        spdlog::info("received signal {}, shutting down", signal_number);
        ready = false;
        server.stop();
        return;
      }
    }
  });
  server.run();
  finished = true;
  signal_waiter.join();
  device_monitor.stop();   // its writes must be ordered before the drain below
  device_commands.stop();  // so must the command dispatcher's

  if (external_broker) external_broker->stop();
  if (mqtt_broker) mqtt_broker->stop();
  if (coap_server) coap_server->stop();
  // The store reports durability to the subscription service from its commit thread: wait for
  // the last write's report before the service goes away.
  std::promise<void> drained;
  (**store).when_durable((**store).write_mark(), [&drained](Status) { drained.set_value(); });
  drained.get_future().wait();
  retention.stop();
  rollups.stop();
  audit.stop();  // writes the records still in memory
  subscriptions.stop();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace citytwin::server
