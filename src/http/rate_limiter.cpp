#include "rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace citytwin::http {

RateLimiter::RateLimiter(RateLimit limit, std::size_t max_clients)
    : per_second_(static_cast<double>(limit.per_second)),
      burst_(static_cast<double>(limit.effective_burst())),
      max_clients_(std::max<std::size_t>(max_clients, 1)) {}

std::optional<std::chrono::milliseconds> RateLimiter::acquire(std::string_view client,
                                                              Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(std::string(client));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) make_room(now);
    it = buckets_.emplace(std::string(client), Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  if (now > bucket.updated) {
    double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * per_second_);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  double wait_seconds = (1.0 - bucket.tokens) / per_second_;
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(wait_seconds * 1000.0)));
}

void RateLimiter::make_room(Clock::time_point now) {
  const double refill_seconds = burst_ / per_second_;
  std::erase_if(buckets_, [&](const auto& entry) {
    double idle = std::chrono::duration<double>(now - entry.second.updated).count();
    return entry.second.tokens + idle * per_second_ >= burst_ || idle >= refill_seconds;
  });
  if (buckets_.size() >= max_clients_) buckets_.clear();
}

}  // namespace citytwin::http
