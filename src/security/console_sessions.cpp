#include "citytwin/security/console_sessions.hpp"

#include "secret_crypto.hpp"

namespace citytwin::security {

ConsoleSessions::ConsoleSessions(const Clock& clock, ConsoleSessionOptions options)
    : clock_(clock), options_(options) {}

void ConsoleSessions::drop_expired(Instant now) {
  for (auto it = by_hash_.begin(); it != by_hash_.end();) {
    it = it->second.expires_at.micros <= now.micros ? by_hash_.erase(it) : std::next(it);
  }
}

Result<NewConsoleSession> ConsoleSessions::create(std::string credential) {
  auto id_bytes = crypto::random_bytes(32);
  if (!id_bytes) return std::move(id_bytes).error();
  auto csrf_bytes = crypto::random_bytes(32);
  if (!csrf_bytes) return std::move(csrf_bytes).error();
  NewConsoleSession created;
  created.id = crypto::base64url(*id_bytes);
  created.session.credential = std::move(credential);
  created.session.csrf_token = crypto::base64url(*csrf_bytes);
  Instant now = clock_.now();
  created.session.expires_at =
      Instant{now.micros + std::chrono::microseconds(options_.lifetime).count()};
  std::lock_guard lock(mutex_);
  if (by_hash_.size() >= options_.max_sessions) drop_expired(now);
  if (by_hash_.size() >= options_.max_sessions) {
    return make_error(ErrorKind::kTooManyRequests, "too many console sessions open");
  }
  by_hash_.emplace(crypto::sha256_hex(created.id), created.session);
  return created;
}

std::optional<ConsoleSession> ConsoleSessions::find(std::string_view id) const {
  std::string hash = crypto::sha256_hex(id);
  std::lock_guard lock(mutex_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end() || it->second.expires_at.micros <= clock_.now().micros) {
    return std::nullopt;
  }
  return it->second;
}

bool ConsoleSessions::revoke(std::string_view id) {
  std::string hash = crypto::sha256_hex(id);
  std::lock_guard lock(mutex_);
  return by_hash_.erase(hash) > 0;
}

bool ConsoleSessions::csrf_matches(const ConsoleSession& session, std::string_view token) {
  return !token.empty() && crypto::constant_time_equal(session.csrf_token, token);
}

Result<Principal> authenticate_credential(KeyService& keys, const JwtVerifierSlot* tokens,
                                          std::string_view credential) {
  // A token of a key the set lacks may make the slot fetch the set again (bounded wait).
  if (tokens != nullptr && JwtVerifier::looks_like_jwt(credential)) {
    return tokens->verify(credential);
  }
  return keys.authenticate(credential);
}

}  // namespace citytwin::security
