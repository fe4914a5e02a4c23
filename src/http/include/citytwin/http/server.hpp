#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "citytwin/common/metrics.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/core/data_policies.hpp"
#include "citytwin/http/router.hpp"
#include "citytwin/http/write_barrier.hpp"
#include "citytwin/security/audit_log.hpp"
#include "citytwin/security/console_sessions.hpp"
#include "citytwin/security/device_credentials.hpp"
#include "citytwin/security/jwt_verifier.hpp"
#include "citytwin/security/key_service.hpp"

namespace citytwin::http {

// A token-bucket rate limit (docs/security.md, "Rate limits"): `per_second` requests per
// second on average, bursts of `burst`. per_second 0 = no limit; burst 0 = per_second.
struct RateLimit {
  unsigned per_second = 0;
  unsigned burst = 0;

  bool enabled() const { return per_second > 0; }
  unsigned effective_burst() const { return burst != 0 ? burst : per_second; }
};

struct ServerOptions {
  // Address and port to listen on; port 0 picks a free port (see Server::port()).
  std::string host = "127.0.0.1";
  std::uint16_t port = 1026;
  // Event-loop threads, each with its own loop, doing the socket I/O and running the few
  // handlers that never block (GET of one entity, /health, /version). 0 = one per CPU core.
  unsigned io_threads = 0;
  // Worker threads running every other handler. 0 = 64. Write handlers wait for the WAL
  // fsync; RocksDB group-commits the writes of concurrent threads into one fsync, so write
  // throughput grows with the number of threads that can wait at once.
  unsigned threads = 0;
  // Largest request body accepted; larger bodies get 413 and the connection is closed.
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  // Largest request line plus headers; larger gets 431 and the connection is closed.
  std::size_t max_header_bytes = 16 * 1024;
  // Longest request target (path and query); longer gets 414.
  std::size_t max_url_bytes = 8 * 1024;
  // A client must send a complete request within this time once it starts (slow-client guard).
  std::chrono::milliseconds request_timeout{30000};
  // An idle keep-alive connection is closed after this time.
  std::chrono::milliseconds idle_timeout{60000};
  // On shutdown, in-flight requests get this long to finish.
  std::chrono::milliseconds shutdown_grace{10000};
  // Most simultaneous connections; more are accepted and closed at once.
  std::size_t max_connections = 10000;
  // HTTPS (docs/security.md): PEM certificate chain and private key. Both empty (default):
  // plain HTTP. Both set: TLS 1.2+ only on this port, plain HTTP refused, and every response
  // carries Strict-Transport-Security. Server::reload_tls() reads them again.
  std::string tls_cert_file;
  std::string tls_key_file;

  bool tls_enabled() const { return !tls_cert_file.empty(); }
  // Rate limits of non-public routes, answered 429 with Retry-After when exceeded: per
  // authenticated API key or token subject (after authentication) and per client IP address
  // (before it, so floods of bad keys are limited too). Default: both off.
  RateLimit key_rate_limit;
  RateLimit ip_rate_limit;
};

// An HTTP/1.1 server (Boost.Beast) dispatching to a Router. Records request counts and
// latencies per route into the metrics registry. With a `barrier`, the response to any
// request but GET/HEAD waits until the writes it made are durable (write_barrier.hpp). With
// `keys`, every route but the public ones needs an API key allowing its permission
// (docs/security.md); without, authentication is off. With `tokens` too, a bearer credential
// shaped like a JWT is checked as an OAuth2/OIDC token instead of as an API key.
class Server {
 public:
  Server(ServerOptions options, const Router& router, MetricsRegistry& metrics,
         WriteBarrier* barrier = nullptr, security::KeyService* keys = nullptr,
         const security::JwtVerifierSlot* tokens = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Accepts the web console's session cookie (made by the routes of
  // console_session_routes.hpp) as the credential it stands for, with a CSRF token on
  // state-changing requests. Call before run(); only with `keys`.
  void use_console_sessions(security::ConsoleSessions& sessions);

  // Accepts device credentials in HTTP Basic authentication on the device routes
  // (docs/security.md, "Device credentials"). Call before start(); only with `keys`.
  void accept_device_credentials(const security::DeviceCredentialService& devices);

  // Binds and listens; fails with a clear message when the address is in use or the TLS
  // certificate or key cannot be used.
  Status start();
  // With authentication on, requests without credentials may read the entity types a tenant
  // opened (docs/security.md, "Open data"). Call before start().
  void allow_open_data(const core::DataPolicies* policies);
  // Every request that may change something and reached its handler (not GET/HEAD, and not
  // a read with a body) is recorded in `audit` with who made it (docs/security.md, "Audit
  // log"). Call before start().
  void record_writes(security::AuditLog* audit);
  // Reads the TLS certificate and key files again: connections opened from now on handshake
  // with the new pair, established ones are not dropped. On failure the old pair stays.
  // No-op without TLS. Safe to call from any thread.
  Status reload_tls();
  std::uint16_t port() const;
  // Runs the worker threads until stop(); returns when all have finished.
  void run();
  // Stops accepting, lets in-flight requests finish (up to shutdown_grace), closes idle
  // connections and makes run() return. Safe to call from a signal-handling thread.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace citytwin::http
