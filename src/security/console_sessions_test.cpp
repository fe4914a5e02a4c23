#include "citytwin/security/console_sessions.hpp"

#include <gtest/gtest.h>

namespace citytwin::security {
namespace {

class ManualClock final : public Clock {
 public:
  Instant now() const override { return Instant{seconds * 1'000'000}; }
  std::int64_t seconds = 1'800'000'000;
};

TEST(ConsoleSessions, FindsALiveSessionByItsIdOnly) {
  ManualClock clock;
  ConsoleSessions sessions(clock);
  auto created = sessions.create("ct_abc.secret");
  ASSERT_TRUE(created.ok());
  EXPECT_GE(created->id.size(), 43u);  // 256 bits in base64url
  EXPECT_NE(created->id, created->session.csrf_token);
  auto found = sessions.find(created->id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->credential, "ct_abc.secret");
  EXPECT_EQ(found->csrf_token, created->session.csrf_token);
  EXPECT_FALSE(sessions.find(created->session.csrf_token).has_value());
  EXPECT_FALSE(sessions.find("").has_value());
}

TEST(ConsoleSessions, ExpireAfterTheirLifetime) {
  ManualClock clock;
  ConsoleSessions sessions(clock, ConsoleSessionOptions{std::chrono::seconds(60), 10});
  auto created = sessions.create("key");
  ASSERT_TRUE(created.ok());
  clock.seconds += 59;
  EXPECT_TRUE(sessions.find(created->id).has_value());
  clock.seconds += 1;
  EXPECT_FALSE(sessions.find(created->id).has_value());
}

TEST(ConsoleSessions, RevokeEndsTheSession) {
  ManualClock clock;
  ConsoleSessions sessions(clock);
  auto created = sessions.create("key");
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(sessions.revoke(created->id));
  EXPECT_FALSE(sessions.find(created->id).has_value());
  EXPECT_FALSE(sessions.revoke(created->id));
}

TEST(ConsoleSessions, BoundedUntilSomeExpire) {
  ManualClock clock;
  ConsoleSessions sessions(clock, ConsoleSessionOptions{std::chrono::seconds(60), 2});
  ASSERT_TRUE(sessions.create("a").ok());
  ASSERT_TRUE(sessions.create("b").ok());
  auto refused = sessions.create("c");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kTooManyRequests);
  clock.seconds += 61;
  EXPECT_TRUE(sessions.create("c").ok());
}

}  // namespace
}  // namespace citytwin::security
