#include "citytwin/security/remote_jwks.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <deque>

#include "jwt_test_support.hpp"

namespace citytwin::security {
namespace {

using namespace testing;

class ManualClock final : public Clock {
 public:
  Instant now() const override { return Instant{seconds * 1'000'000}; }
  std::int64_t seconds = 1'800'000'000;
};

// Key sets made at test time; the fake provider answers from a queue of prepared replies.
class RemoteJwksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto& key : keys_) {
      key.reset(EVP_EC_gen("P-256"));
      ASSERT_TRUE(key);
    }
  }

  std::string set_of(std::initializer_list<int> which) const {
    json::array list;
    for (int index : which) list.push_back(ec_jwk(keys_[index].get(), "k" + std::to_string(index)));
    return json::serialize(json::object{{"keys", list}});
  }

  // A token naming key `kid`: only its header matters to knows_key().
  static std::string token_for(const std::string& kid) {
    return base64url(json::serialize(json::object{{"alg", "ES256"}, {"kid", kid}})) + "." +
           base64url("{}") + "." + base64url("sig");
  }

  std::unique_ptr<RemoteJwks> make(RemoteJwksOptions options = {}) {
    JwtOptions jwt;
    jwt.issuer = "https://idp.example";
    jwt.audience = "citytwin";
    auto jwks = std::make_unique<RemoteJwks>(
        options, jwt,
        [this]() -> Result<FetchedJwks> {
          ++fetches_;
          if (replies_.empty()) return make_error(ErrorKind::kServiceUnavailable, "down");
          auto reply = std::move(replies_.front());
          replies_.pop_front();
          return reply;
        },
        slot_, clock_, &metrics_);
    slot_.on_unknown_key([raw = jwks.get()] { return raw->refetch_for_unknown_key(); });
    return jwks;
  }

  Pkey keys_[3];
  std::deque<Result<FetchedJwks>> replies_;
  int fetches_ = 0;
  ManualClock clock_;
  MetricsRegistry metrics_;
  JwtVerifierSlot slot_;
};

TEST_F(RemoteJwksTest, CacheTimeHonoursMaxAgeWithinBounds) {
  RemoteJwksOptions options;
  options.default_ttl = std::chrono::seconds(3600);
  options.min_ttl = std::chrono::seconds(60);
  options.max_ttl = std::chrono::seconds(7200);
  auto jwks = make(options);
  EXPECT_EQ(jwks->cache_time(std::nullopt).count(), 3600);
  EXPECT_EQ(jwks->cache_time(std::chrono::seconds(600)).count(), 600);
  EXPECT_EQ(jwks->cache_time(std::chrono::seconds(0)).count(), 60);
  EXPECT_EQ(jwks->cache_time(std::chrono::seconds(5)).count(), 60);
  EXPECT_EQ(jwks->cache_time(std::chrono::seconds(999999)).count(), 7200);
}

TEST_F(RemoteJwksTest, StartUpFetchInstallsTheSet) {
  replies_.push_back(FetchedJwks{set_of({0, 1}), std::nullopt});
  auto jwks = make();
  ASSERT_TRUE(jwks->refresh().ok());
  ASSERT_NE(slot_.get(), nullptr);
  EXPECT_EQ(slot_.get()->key_count(), 2u);
  EXPECT_NE(metrics_.render().find(R"(citytwin_jwks_fetch_total{cause="start",result="ok"} 1)"),
            std::string::npos);
}

TEST_F(RemoteJwksTest, UnknownKidFetchesTheRotatedSet) {
  RemoteJwksOptions options;
  options.unknown_key_interval = std::chrono::seconds(30);
  replies_.push_back(FetchedJwks{set_of({0}), std::nullopt});
  replies_.push_back(FetchedJwks{set_of({0, 2}), std::nullopt});
  auto jwks = make(options);
  ASSERT_TRUE(jwks->refresh().ok());
  clock_.seconds += 31;
  EXPECT_FALSE(slot_.get()->knows_key(token_for("k2")));
  auto refused = slot_.verify(token_for("k2"));  // fetches, then verifies (bad signature)
  EXPECT_EQ(fetches_, 2);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().detail.find("bad signature"), std::string::npos);
  EXPECT_TRUE(slot_.get()->knows_key(token_for("k2")));
}

TEST_F(RemoteJwksTest, UnknownKidsAreRateLimited) {
  RemoteJwksOptions options;
  options.unknown_key_interval = std::chrono::seconds(30);
  replies_.push_back(FetchedJwks{set_of({0}), std::nullopt});
  auto jwks = make(options);
  ASSERT_TRUE(jwks->refresh().ok());
  for (int i = 0; i < 50; ++i) {
    auto refused = slot_.verify(token_for("forged" + std::to_string(i)));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::kUnauthorized);
  }
  EXPECT_EQ(fetches_, 1);
  EXPECT_NE(metrics_.render().find("citytwin_jwks_refetch_skipped_total 50"), std::string::npos);
  clock_.seconds += 31;  // the interval has passed: one more fetch (which fails: no reply)
  EXPECT_FALSE(slot_.verify(token_for("forged")).ok());
  EXPECT_FALSE(slot_.verify(token_for("forged")).ok());
  EXPECT_EQ(fetches_, 2);
}

TEST_F(RemoteJwksTest, FailedFetchKeepsTheKeysInUse) {
  replies_.push_back(FetchedJwks{set_of({0, 1}), std::nullopt});
  replies_.push_back(make_error(ErrorKind::kServiceUnavailable, "connection refused"));
  replies_.push_back(FetchedJwks{R"({"keys": []})", std::nullopt});
  auto jwks = make();
  ASSERT_TRUE(jwks->refresh().ok());
  auto first = slot_.get();
  auto failed = jwks->refresh();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().detail.find("connection refused"), std::string::npos);
  EXPECT_FALSE(jwks->refresh().ok());  // a set without usable keys is not installed either
  EXPECT_EQ(slot_.get(), first);
  EXPECT_TRUE(slot_.get()->knows_key(token_for("k1")));
  EXPECT_NE(metrics_.render().find(R"(citytwin_jwks_fetch_total{cause="start",result="failed"} 2)"),
            std::string::npos);
}

TEST_F(RemoteJwksTest, NoSetYetRefusesTokens) {
  auto jwks = make();
  EXPECT_FALSE(jwks->refresh().ok());
  auto refused = slot_.verify(token_for("k0"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(refused.error().detail.find("not loaded"), std::string::npos);
}

TEST_F(RemoteJwksTest, BackgroundThreadFetchesWhenTheSetExpires) {
  RemoteJwksOptions options;
  options.min_ttl = std::chrono::seconds(0);
  replies_.push_back(FetchedJwks{set_of({0}), std::chrono::seconds(0)});
  replies_.push_back(FetchedJwks{set_of({0, 1}), std::chrono::seconds(3600)});
  auto jwks = make(options);
  ASSERT_TRUE(jwks->refresh().ok());
  jwks->start();
  // The first set expired at once: the thread fetches the second, then sleeps an hour.
  for (int i = 0; i < 2000 && slot_.get()->key_count() != 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  jwks->stop();
  EXPECT_EQ(slot_.get()->key_count(), 2u);
  EXPECT_EQ(fetches_, 2);
}

}  // namespace
}  // namespace citytwin::security
