#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "citytwin/common/token_bucket.hpp"
#include "citytwin/http/server.hpp"

namespace citytwin::http {

// Token buckets, one per client (an API key id or a client address): each holds up to
// `burst` tokens, refilled at `per_second`; a request takes one. Thread-safe.
//
// Memory is bounded: at most `max_clients` buckets. When a new client arrives and the map is
// full, buckets already refilled to the brim (idle clients, whose state is the same as a
// fresh bucket) are dropped; if none is, the map is emptied, so under a flood of distinct
// addresses the limit is approximate rather than memory unbounded.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(RateLimit limit, std::size_t max_clients = 100000);

  // Takes a token for `client`: nullopt when it had one, otherwise how long until it will.
  std::optional<std::chrono::milliseconds> acquire(std::string_view client, Clock::time_point now);

 private:
  void make_room(Clock::time_point now);

  double per_second_;
  double burst_;
  std::size_t max_clients_;
  std::mutex mutex_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

}  // namespace citytwin::http
