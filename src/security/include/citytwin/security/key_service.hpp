#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/security/access.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::security {

// An API key as stored and listed: everything but the secret, which is never stored (only
// its SHA-256, see docs/security.md for why a fast hash suffices for 256-bit random keys).
struct ApiKey {
  std::string id;  // public, 12 hex digits; also the key's prefix, so it can be listed
  std::string name;
  Role role = Role::kViewer;
  std::string tenant;  // "" = the default tenant, "*" = every tenant (admin keys only)
  Instant created_at;
  std::optional<Instant> expires_at;
  std::optional<Instant> revoked_at;
  std::string created_by;  // id of the key that created it, "cli" when made offline
  std::string revoked_by;  // likewise for the revocation; "" while not revoked
};

// What an admin asks for.
struct KeySpec {
  std::string name;
  Role role = Role::kViewer;
  std::string tenant;
  std::optional<Instant> expires_at;
  std::string created_by = "cli";
};

// A key just created: the only moment its secret exists outside the client.
struct CreatedKey {
  ApiKey key;
  std::string secret;  // "ct_<id>.<43 base64url characters>"; show once, never log
};

struct KeyServiceOptions {
  // How long a verified key is answered from memory without reading the store. Revocation
  // on this node invalidates the entry at once; the TTL only bounds how long a change made
  // by another process (none today: the store admits one) could go unnoticed. Default 30 s.
  std::chrono::milliseconds cache_ttl{30000};
  // Most keys cached at once; when full the cache is emptied. Default 10000.
  std::size_t cache_capacity = 10000;
};

// Creates, lists, revokes and verifies API keys, kept as documents of the embedded store
// (namespace "security.api_keys", one per key id). Thread-safe.
class KeyService {
 public:
  KeyService(store::EntityStore& store, const Clock& clock, KeyServiceOptions options = {});

  // Fails with kBadRequestData for an invalid spec ("*" for a non-admin, a bad tenant name,
  // an expiry in the past).
  Result<CreatedKey> create(const KeySpec& spec);
  // Every key, revoked and expired ones included, ordered by id.
  Result<std::vector<ApiKey>> list() const;
  Result<ApiKey> get(std::string_view id) const;
  // Marks the key revoked (kept, so the id is never reused and the listing shows when it was
  // revoked); takes effect on this node before it returns. kResourceNotFound when unknown.
  Result<ApiKey> revoke(std::string_view id, std::string_view revoked_by);
  // Whether some admin key of every tenant is usable now (start-up hint).
  Result<bool> has_usable_global_admin() const;

  // The principal a presented secret stands for, or kUnauthorized (unknown, malformed,
  // revoked or expired: the detail does not tell an unknown id from a wrong secret).
  Result<Principal> authenticate(std::string_view secret);

 private:
  struct CacheEntry {
    std::string secret;  // the presented secret that matched the stored hash
    Principal principal;
    std::optional<Instant> expires_at;
    std::chrono::steady_clock::time_point verified_at;
  };

  Result<std::optional<std::pair<ApiKey, std::string>>> load(std::string_view id) const;
  Status save(const ApiKey& key, const std::string& hash);
  Result<Principal> accept(const std::optional<Instant>& expires_at, Principal principal) const;

  store::EntityStore& store_;
  const Clock& clock_;
  KeyServiceOptions options_;
  mutable std::shared_mutex mutex_;                    // guards cache_ and generation_
  std::unordered_map<std::string, CacheEntry> cache_;  // by key id
  // Bumped by every revocation: a verification that read the store before a revocation
  // must not cache what it read after it.
  std::uint64_t generation_ = 0;
};

// The id a secret claims ("ct_<id>.<...>"), or nullopt when it is not shaped like a key.
std::optional<std::string_view> key_id_of(std::string_view secret);

}  // namespace citytwin::security
