#include "citytwin/http/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace citytwin::http {
namespace {

using std::chrono::milliseconds;
using Clock = RateLimiter::Clock;

TEST(RateLimiter, AllowsTheBurstThenRefillsAtTheRate) {
  RateLimiter limiter(RateLimit{2, 3});  // 2 per second, bursts of 3
  Clock::time_point t0{};
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.acquire("k", t0)) << i;
  auto wait = limiter.acquire("k", t0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, milliseconds(500));
  EXPECT_TRUE(limiter.acquire("k", t0 + milliseconds(499)));
  EXPECT_FALSE(limiter.acquire("k", t0 + milliseconds(500)));
  EXPECT_TRUE(limiter.acquire("k", t0 + milliseconds(500)));
  // A long pause refills to the burst, never beyond.
  Clock::time_point later = t0 + std::chrono::seconds(60);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.acquire("k", later)) << i;
  EXPECT_TRUE(limiter.acquire("k", later));
}

TEST(RateLimiter, ClientsHaveTheirOwnBuckets) {
  RateLimiter limiter(RateLimit{1, 1});
  Clock::time_point t0{};
  EXPECT_FALSE(limiter.acquire("a", t0));
  EXPECT_TRUE(limiter.acquire("a", t0));
  EXPECT_FALSE(limiter.acquire("b", t0));
}

TEST(RateLimiter, BurstDefaultsToOneSecondOfRate) {
  RateLimiter limiter(RateLimit{5, 0});
  Clock::time_point t0{};
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.acquire("k", t0)) << i;
  EXPECT_TRUE(limiter.acquire("k", t0));
}

TEST(RateLimiter, BoundedMemoryDropsIdleClientsFirst) {
  RateLimiter limiter(RateLimit{1, 1}, 2);
  Clock::time_point t0{};
  EXPECT_FALSE(limiter.acquire("a", t0));
  EXPECT_FALSE(limiter.acquire("b", t0 + std::chrono::seconds(5)));
  // "a" is idle and full again: dropped to make room; "b" keeps its empty bucket.
  EXPECT_FALSE(limiter.acquire("c", t0 + std::chrono::seconds(5)));
  EXPECT_TRUE(limiter.acquire("b", t0 + std::chrono::seconds(5)));
}

}  // namespace
}  // namespace citytwin::http
