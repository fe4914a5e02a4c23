#include "citytwin/security/key_service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <mutex>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/json_text.hpp"
#include "secret_crypto.hpp"

namespace citytwin::security {
namespace {

constexpr std::string_view kNamespace = "security.api_keys";
constexpr std::string_view kPrefix = "ct_";
constexpr std::size_t kIdBytes = 6;       // 12 hex digits: a public handle, not a secret
constexpr std::size_t kSecretBytes = 32;  // 256 bits from the CSPRNG
constexpr std::size_t kIdChars = kIdBytes * 2;
constexpr std::size_t kSecretChars = 43;  // base64url of 32 bytes, no padding
constexpr std::size_t kMaxNameChars = 200;

Error unauthorized() {
  return make_error(ErrorKind::kUnauthorized, "invalid, expired or revoked API key");
}

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_base64url(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string encode(const ApiKey& key, const std::string& hash) {
  boost::json::object doc{{"id", key.id},
                          {"name", key.name},
                          {"role", role_name(key.role)},
                          {"tenant", key.tenant},
                          {"sha256", hash},
                          {"createdAt", key.created_at.micros},
                          {"createdBy", key.created_by}};
  if (key.expires_at) doc["expiresAt"] = key.expires_at->micros;
  if (key.revoked_at) doc["revokedAt"] = key.revoked_at->micros;
  if (!key.revoked_by.empty()) doc["revokedBy"] = key.revoked_by;
  return to_json_text(doc);
}

Result<std::pair<ApiKey, std::string>> decode(std::string_view text) {
  auto bad = [] { return make_error(ErrorKind::kInternalError, "corrupt API key record"); };
  boost::system::error_code ec;
  auto value = citytwin::parse_json(text, ec);
  if (ec || !value.is_object()) return bad();
  const auto& doc = value.as_object();
  auto string_of = [&doc](std::string_view name) -> const boost::json::string* {
    const auto* field = doc.if_contains(name);
    return field != nullptr && field->is_string() ? &field->as_string() : nullptr;
  };
  auto instant_of = [&doc](std::string_view name) -> std::optional<Instant> {
    const auto* field = doc.if_contains(name);
    if (field == nullptr || !field->is_int64()) return std::nullopt;
    return Instant{field->as_int64()};
  };
  const auto *id = string_of("id"), *role = string_of("role"), *tenant = string_of("tenant"),
             *hash = string_of("sha256");
  if (id == nullptr || role == nullptr || tenant == nullptr || hash == nullptr) return bad();
  auto parsed_role = parse_role(*role);
  auto created = instant_of("createdAt");
  if (!parsed_role || !created) return bad();
  ApiKey key;
  key.id = std::string(*id);
  if (const auto* name = string_of("name")) key.name = std::string(*name);
  key.role = *parsed_role;
  key.tenant = std::string(*tenant);
  key.created_at = *created;
  key.expires_at = instant_of("expiresAt");
  key.revoked_at = instant_of("revokedAt");
  if (const auto* by = string_of("createdBy")) key.created_by = std::string(*by);
  if (const auto* by = string_of("revokedBy")) key.revoked_by = std::string(*by);
  return std::pair{std::move(key), std::string(*hash)};
}

Principal principal_of(const ApiKey& key) {
  return Principal{key.id, key.role, key.tenant};
}

}  // namespace

std::optional<std::string_view> key_id_of(std::string_view secret) {
  if (secret.size() != kPrefix.size() + kIdChars + 1 + kSecretChars) return std::nullopt;
  if (!secret.starts_with(kPrefix) || secret[kPrefix.size() + kIdChars] != '.') {
    return std::nullopt;
  }
  std::string_view id = secret.substr(kPrefix.size(), kIdChars);
  if (!is_hex(id) || !is_base64url(secret.substr(kPrefix.size() + kIdChars + 1))) {
    return std::nullopt;
  }
  return id;
}

KeyService::KeyService(store::EntityStore& store, const Clock& clock, KeyServiceOptions options)
    : store_(store), clock_(clock), options_(options) {}

Result<std::optional<std::pair<ApiKey, std::string>>> KeyService::load(std::string_view id) const {
  auto text = store_.get_document(kNamespace, id);
  if (!text) return std::move(text).error();
  if (!*text) return std::optional<std::pair<ApiKey, std::string>>();
  auto decoded = decode(**text);
  if (!decoded) return std::move(decoded).error();
  return std::optional<std::pair<ApiKey, std::string>>(std::move(*decoded));
}

Status KeyService::save(const ApiKey& key, const std::string& hash) {
  return store_.put_document(kNamespace, key.id, encode(key, hash));
}

Result<CreatedKey> KeyService::create(const KeySpec& spec) {
  if (spec.tenant == kAllTenants && spec.role != Role::kAdmin) {
    return make_error(ErrorKind::kBadRequestData,
                      "only admin keys may be scoped to every tenant (\"*\")");
  }
  if (spec.tenant != kAllTenants && !valid_tenant_scope(spec.tenant)) {
    return make_error(ErrorKind::kBadRequestData,
                      "tenant must be \"*\", empty (the default tenant) or 1-64 characters of "
                      "letters, digits, '_', '-' or '.'");
  }
  if (spec.name.size() > kMaxNameChars) {
    return make_error(ErrorKind::kBadRequestData, "name is longer than 200 characters");
  }
  Instant now = clock_.now();
  if (spec.expires_at && *spec.expires_at <= now) {
    return make_error(ErrorKind::kBadRequestData, "expiresAt must be in the future");
  }
  CreatedKey created;
  ApiKey& key = created.key;
  // A clash of 48-bit random ids is unlikely; retry rather than overwrite a key.
  for (int attempt = 0; attempt < 8 && key.id.empty(); ++attempt) {
    auto id_bytes = crypto::random_bytes(kIdBytes);
    if (!id_bytes) return std::move(id_bytes).error();
    std::string id = crypto::hex(*id_bytes);
    auto existing = store_.get_document(kNamespace, id);
    if (!existing) return std::move(existing).error();
    if (!*existing) key.id = std::move(id);
  }
  if (key.id.empty()) return make_error(ErrorKind::kInternalError, "cannot pick a free key id");
  auto secret_bytes = crypto::random_bytes(kSecretBytes);
  if (!secret_bytes) return std::move(secret_bytes).error();
  created.secret = std::string(kPrefix) + key.id + "." + crypto::base64url(*secret_bytes);
  key.name = spec.name;
  key.role = spec.role;
  key.tenant = spec.tenant;
  key.created_at = now;
  key.expires_at = spec.expires_at;
  key.created_by = spec.created_by;
  CT_RETURN_IF_ERROR(save(key, crypto::sha256_hex(created.secret)));
  return created;
}

Result<std::vector<ApiKey>> KeyService::list() const {
  auto documents = store_.list_documents(kNamespace);
  if (!documents) return std::move(documents).error();
  std::vector<ApiKey> keys;
  for (const auto& [id, text] : *documents) {
    auto decoded = decode(text);
    if (!decoded) return std::move(decoded).error();
    keys.push_back(std::move(decoded->first));
  }
  std::sort(keys.begin(), keys.end(), [](const ApiKey& a, const ApiKey& b) { return a.id < b.id; });
  return keys;
}

Result<ApiKey> KeyService::get(std::string_view id) const {
  auto loaded = load(id);
  if (!loaded) return std::move(loaded).error();
  if (!*loaded) return make_error(ErrorKind::kResourceNotFound, "no API key " + std::string(id));
  return std::move((*loaded)->first);
}

Result<ApiKey> KeyService::revoke(std::string_view id, std::string_view revoked_by) {
  auto loaded = load(id);
  if (!loaded) return std::move(loaded).error();
  if (!*loaded) return make_error(ErrorKind::kResourceNotFound, "no API key " + std::string(id));
  auto& [key, hash] = **loaded;
  if (!key.revoked_at) {
    key.revoked_at = clock_.now();
    key.revoked_by = std::string(revoked_by);
    CT_RETURN_IF_ERROR(save(key, hash));
  }
  std::unique_lock lock(mutex_);
  ++generation_;
  cache_.erase(std::string(id));
  return key;
}

Result<bool> KeyService::has_usable_global_admin() const {
  auto keys = list();
  if (!keys) return std::move(keys).error();
  Instant now = clock_.now();
  return std::any_of(keys->begin(), keys->end(), [now](const ApiKey& key) {
    return key.role == Role::kAdmin && key.tenant == kAllTenants && !key.revoked_at &&
           (!key.expires_at || *key.expires_at > now);
  });
}

Result<Principal> KeyService::accept(const std::optional<Instant>& expires_at,
                                     Principal principal) const {
  if (expires_at && *expires_at <= clock_.now()) return unauthorized();
  return principal;
}

Result<Principal> KeyService::authenticate(std::string_view secret) {
  auto id = key_id_of(secret);
  if (!id) return unauthorized();
  auto now = std::chrono::steady_clock::now();
  std::uint64_t generation = 0;
  {
    std::shared_lock lock(mutex_);
    auto it = cache_.find(std::string(*id));
    if (it != cache_.end() && now - it->second.verified_at < options_.cache_ttl &&
        crypto::constant_time_equal(it->second.secret, secret)) {
      return accept(it->second.expires_at, it->second.principal);
    }
    generation = generation_;
  }
  auto loaded = load(*id);
  if (!loaded) return std::move(loaded).error();
  if (!*loaded) return unauthorized();
  const auto& [key, hash] = **loaded;
  if (!crypto::constant_time_equal(crypto::sha256_hex(secret), hash) || key.revoked_at) {
    return unauthorized();
  }
  Principal principal = principal_of(key);
  {
    std::unique_lock lock(mutex_);
    if (generation == generation_) {
      if (cache_.size() >= options_.cache_capacity) cache_.clear();
      cache_[key.id] = CacheEntry{std::string(secret), principal, key.expires_at, now};
    }
  }
  return accept(key.expires_at, std::move(principal));
}

}  // namespace citytwin::security
