#include "citytwin/http/rate_limiter.hpp"

#include <algorithm>

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
    it = buckets_.emplace(std::string(client), TokenBucket::full(burst_, now)).first;
  }
  return it->second.take(per_second_, burst_, now);
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
