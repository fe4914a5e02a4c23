#include "citytwin/security/stream_tickets.hpp"

#include "secret_crypto.hpp"

namespace citytwin::security {

StreamTickets::StreamTickets(const Clock& clock, StreamTicketOptions options)
    : clock_(clock), options_(options) {}

void StreamTickets::drop_expired(Instant now) {
  for (auto it = by_hash_.begin(); it != by_hash_.end();) {
    it = it->second.expires.micros <= now.micros ? by_hash_.erase(it) : std::next(it);
  }
}

Result<std::string> StreamTickets::mint(StreamGrant grant) {
  auto bytes = crypto::random_bytes(32);
  if (!bytes) return std::move(bytes).error();
  std::string ticket = crypto::base64url(*bytes);
  Instant now = clock_.now();
  std::lock_guard lock(mutex_);
  if (by_hash_.size() >= options_.max_outstanding) drop_expired(now);
  if (by_hash_.size() >= options_.max_outstanding) {
    return make_error(ErrorKind::kTooManyRequests, "too many stream tickets outstanding");
  }
  Instant expires{now.micros + std::chrono::microseconds(options_.lifetime).count()};
  by_hash_.emplace(crypto::sha256_hex(ticket), Entry{std::move(grant), expires});
  return ticket;
}

Result<StreamGrant> StreamTickets::redeem(std::string_view ticket) {
  std::string hash = crypto::sha256_hex(ticket);
  std::lock_guard lock(mutex_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) {
    return make_error(ErrorKind::kUnauthorized, "unknown, used or expired stream ticket");
  }
  Entry entry = std::move(it->second);
  by_hash_.erase(it);
  if (entry.expires.micros <= clock_.now().micros) {
    return make_error(ErrorKind::kUnauthorized, "unknown, used or expired stream ticket");
  }
  return std::move(entry.grant);
}

}  // namespace citytwin::security
