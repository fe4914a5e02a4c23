#pragma once

// Sessions of the web console (docs/security.md, "Console sessions"): a login exchanges an
// API key or a bearer token for a session id the browser keeps in an HttpOnly cookie, and a
// CSRF token (synchronizer token, OWASP CSRF Prevention Cheat Sheet) the console keeps in
// memory and sends in a header with every state-changing request. The server keeps, in memory
// only and under the SHA-256 of the id, the credential the session stands for, so every
// request is authenticated with it exactly as if the credential had been sent (a revoked key
// or an expired token ends its sessions at once). Sessions end at logout, at their expiry or
// when the server restarts.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/security/access.hpp"
#include "citytwin/security/jwt_verifier.hpp"
#include "citytwin/security/key_service.hpp"

namespace citytwin::security {

struct ConsoleSessionOptions {
  // How long a session lasts from its login, whatever the activity. Default 8 h.
  std::chrono::seconds lifetime{8 * 3600};
  // Sessions kept at once; logins beyond are refused (429) until some expire. Default 10000.
  std::size_t max_sessions = 10000;
};

struct ConsoleSession {
  std::string credential;  // the API key or token given at login; never logged
  std::string csrf_token;
  Instant expires_at;
};

struct NewConsoleSession {
  std::string id;  // for the cookie; only its hash is kept
  ConsoleSession session;
};

class ConsoleSessions {
 public:
  explicit ConsoleSessions(const Clock& clock, ConsoleSessionOptions options = {});

  // A session standing for `credential` (already authenticated by the caller), with a fresh
  // id and CSRF token of 256 random bits each. kTooManyRequests when max_sessions are alive.
  Result<NewConsoleSession> create(std::string credential);
  // The live session of `id`; nullopt when unknown, logged out or expired.
  std::optional<ConsoleSession> find(std::string_view id) const;
  // Ends the session of `id` (logout); false when there was none.
  bool revoke(std::string_view id);

  std::chrono::seconds lifetime() const { return options_.lifetime; }

  // Whether `token` is the session's CSRF token (compared in constant time).
  static bool csrf_matches(const ConsoleSession& session, std::string_view token);

 private:
  void drop_expired(Instant now);

  const Clock& clock_;
  ConsoleSessionOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, ConsoleSession> by_hash_;
};

// The principal of a credential as sent in Authorization or X-API-Key: a JWT-shaped one is
// checked as a bearer token when `tokens` is given, anything else as an API key. Shared by
// the HTTP dispatcher and the console login, so a session is never wider than its
// credential.
Result<Principal> authenticate_credential(KeyService& keys, const JwtVerifierSlot* tokens,
                                          std::string_view credential);

}  // namespace citytwin::security
