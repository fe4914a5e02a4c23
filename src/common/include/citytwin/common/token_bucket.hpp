#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

namespace citytwin {

// One token bucket: holds up to `burst` tokens, refilled at `per_second`; an event takes one.
// Not thread-safe: its owner serializes (a mutex, or one event loop).
struct TokenBucket {
  using Clock = std::chrono::steady_clock;

  double tokens = 0;
  Clock::time_point updated;

  // A full bucket at `now`.
  static TokenBucket full(double burst, Clock::time_point now) { return TokenBucket{burst, now}; }

  // Takes a token: nullopt when there was one, otherwise how long until there will be.
  std::optional<std::chrono::milliseconds> take(double per_second, double burst,
                                                Clock::time_point now) {
    if (now > updated) {
      double elapsed = std::chrono::duration<double>(now - updated).count();
      tokens = std::min(burst, tokens + elapsed * per_second);
      updated = now;
    }
    if (tokens >= 1.0) {
      tokens -= 1.0;
      return std::nullopt;
    }
    double wait_seconds = (1.0 - tokens) / per_second;
    return std::chrono::milliseconds(static_cast<long long>(std::ceil(wait_seconds * 1000.0)));
  }
};

}  // namespace citytwin
