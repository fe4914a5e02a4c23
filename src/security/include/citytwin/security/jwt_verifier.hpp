#pragma once

// OAuth2 / OpenID Connect bearer tokens (docs/security.md, "Bearer tokens"): JWTs (RFC 7519)
// signed with RS256 or ES256 (RFC 7518 clauses 3.3 and 3.4) by a key of a JSON Web Key Set
// (RFC 7517) read from a file, checked for issuer, audience, expiry and not-before with a
// clock-skew tolerance, and mapped to the same Principal (role, tenant) an API key gives, so
// the same Permission checks apply.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/security/access.hpp"

namespace citytwin::security {

struct JwtOptions {
  // Required: the exact "iss" the identity provider writes (OIDC Core clause 2).
  std::string issuer;
  // Required: a value "aud" must be or contain (RFC 7519 clause 4.1.3).
  std::string audience;
  // Claim holding the role: a string or an array of strings naming viewer, editor or admin
  // (the highest wins; other values are ignored). Dots walk into objects:
  // "realm_access.roles" reads Keycloak's realm roles. Default "roles".
  std::string roles_claim = "roles";
  // Claim holding the tenant ("*" = every tenant, admins only); absent: the default tenant.
  // Default "tenant".
  std::string tenant_claim = "tenant";
  // Tolerance for the difference between the provider's clock and ours on exp and nbf.
  // Default 60 s.
  std::chrono::seconds clock_skew{60};
};

class JwtVerifier {
 public:
  // `jwks` is the JSON text of a JWK Set. RSA keys (2048 bits or more) and EC P-256 keys
  // with "use" absent or "sig" are taken, others skipped; fails with kInvalidRequest when
  // the options are incomplete or no key is usable.
  static Result<std::unique_ptr<JwtVerifier>> create(JwtOptions options, std::string_view jwks,
                                                     const Clock& clock);
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // The principal of a valid token: key_id "jwt:<sub>", the role and tenant from its claims.
  // kUnauthorized with the reason (malformed, unsupported alg such as none or HS256, unknown
  // key, bad signature, expired, not yet valid, wrong issuer or audience); kForbidden when
  // the token is valid but grants no CityTwin role or an unusable tenant.
  Result<Principal> verify(std::string_view token) const;

  // Number of usable keys loaded (for the start-up log).
  std::size_t key_count() const;

  // False when `token` is a well-formed JWS whose alg and kid no loaded key matches: a key
  // the provider may have added since the set was read (RemoteJwks then fetches it again).
  // True for anything else, malformed tokens included, which a new set would not help.
  bool knows_key(std::string_view token) const;

  // Whether a bearer credential has the shape of a JWS compact serialization (three
  // base64url parts) rather than of a CityTwin API key.
  static bool looks_like_jwt(std::string_view credential);

 private:
  struct Keys;
  JwtVerifier(JwtOptions options, std::unique_ptr<Keys> keys, const Clock& clock);
  JwtOptions options_;
  std::unique_ptr<Keys> keys_;
  const Clock& clock_;
};

// The verifier in use, swapped when the JWKS file is read again (SIGHUP) or fetched again
// from the provider's URL (RemoteJwks): requests already verifying keep the one they took.
// Thread-safe once the refetch callback is set (before requests arrive).
class JwtVerifierSlot {
 public:
  // Called when a token names a key the current set lacks (or no set is loaded yet); may
  // block for a bounded time while it fetches the set again, and returns whether the set
  // changed. Without it such tokens are refused at once.
  void on_unknown_key(std::function<bool()> refetch) { refetch_ = std::move(refetch); }

  // The principal of `token` (JwtVerifier::verify), asking for the set again once when the
  // token's key is not in it; kUnauthorized when no set is loaded.
  Result<Principal> verify(std::string_view token) const;

  void set(std::shared_ptr<const JwtVerifier> verifier) {
    std::lock_guard lock(mutex_);
    current_ = std::move(verifier);
  }
  std::shared_ptr<const JwtVerifier> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const JwtVerifier> current_;
  std::function<bool()> refetch_;
};

}  // namespace citytwin::security
