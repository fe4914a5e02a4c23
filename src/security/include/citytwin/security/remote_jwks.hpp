#pragma once

// The identity provider's JWK Set fetched from its URL (OpenID Connect Discovery 1.0 clause 3,
// "jwks_uri") and kept fresh (docs/security.md, "Bearer tokens"). The set is cached for the
// Cache-Control max-age of the answer (RFC 9111 clause 5.2.2.1) kept within configured
// bounds, fetched again in the background when it expires, and fetched at once when a token
// names a key the set lacks (a key rotation), at most once per `unknown_key_interval` so that
// forged tokens cannot make the server hammer the provider. A failed fetch keeps the keys in
// use (logged, counted in /metrics) and is retried after `min_ttl`.
//
// How the set is fetched (HTTPS, certificate checks, SSRF policy) is the caller's: the
// `fetch` callback (src/server wires http::HttpGetter in).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/metrics.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/security/jwt_verifier.hpp"

namespace citytwin::security {

struct FetchedJwks {
  std::string body;
  // The answer's Cache-Control max-age, when it had one (0 for no-store / no-cache).
  std::optional<std::chrono::seconds> max_age;
};

struct RemoteJwksOptions {
  // The URL, for logs only.
  std::string url;
  // How long a set is used when its answer has no max-age. Default 1 h.
  std::chrono::seconds default_ttl{3600};
  // Lower bound of the cache time (a smaller max-age, no-store and no-cache count as this),
  // and the wait before retrying after a failed fetch. Default 60 s.
  std::chrono::seconds min_ttl{60};
  // Upper bound of the cache time. Default 24 h.
  std::chrono::seconds max_ttl{86400};
  // A token naming an unknown key prompts at most one fetch per this interval, counted from
  // the previous fetch of any cause; other such tokens are refused without one. Default 30 s.
  std::chrono::seconds unknown_key_interval{30};
  // How long a request whose token names an unknown key waits for a fetch already running.
  // Should exceed the fetch's own timeout. Default 5 s.
  std::chrono::milliseconds max_wait{5000};
};

class RemoteJwks {
 public:
  using Fetch = std::function<Result<FetchedJwks>()>;

  // Fills `slot` on every successful fetch with a verifier of `jwt` options. `clock` times the
  // unknown-key interval; `metrics` (may be null) receives citytwin_jwks_fetch_total{cause,
  // result} and citytwin_jwks_refetch_skipped_total.
  RemoteJwks(RemoteJwksOptions options, JwtOptions jwt, Fetch fetch, JwtVerifierSlot& slot,
             const Clock& clock, MetricsRegistry* metrics);
  ~RemoteJwks();
  RemoteJwks(const RemoteJwks&) = delete;
  RemoteJwks& operator=(const RemoteJwks&) = delete;

  // Fetches the set now (the first time, at start-up) and installs it. On failure the keys
  // in use stay and the error says why.
  Status refresh();

  // Starts the background thread that fetches again when the set expires; stop() (or the
  // destructor) ends it.
  void start();
  void stop();

  // JwtVerifierSlot::on_unknown_key: fetches unless one ran within unknown_key_interval, or
  // waits (up to max_wait) for one already running. Returns whether a new set was installed.
  bool refetch_for_unknown_key();

  // How long a set answered with `max_age` is cached: max_age (else default_ttl) within
  // [min_ttl, max_ttl].
  std::chrono::seconds cache_time(std::optional<std::chrono::seconds> max_age) const;

 private:
  // Runs one fetch with mutex_ held by `lock` (released while fetching). Returns whether a
  // new set was installed; schedules the next background fetch either way.
  bool fetch_locked(std::unique_lock<std::mutex>& lock, const char* cause, Status* outcome);
  void run();

  RemoteJwksOptions options_;
  JwtOptions jwt_;
  Fetch fetch_;
  JwtVerifierSlot& slot_;
  const Clock& clock_;
  MetricsRegistry* metrics_;

  std::mutex mutex_;
  std::condition_variable changed_;
  bool fetching_ = false;
  bool stopping_ = false;
  std::uint64_t installed_ = 0;        // sets installed so far
  std::optional<Instant> last_fetch_;  // start of the latest fetch, any cause
  std::chrono::steady_clock::time_point next_fetch_ = std::chrono::steady_clock::now();
  std::thread thread_;
};

}  // namespace citytwin::security
