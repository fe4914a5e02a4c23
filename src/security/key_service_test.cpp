#include "citytwin/security/key_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "citytwin/store/memory_store.hpp"
#include "secret_crypto.hpp"

namespace citytwin::security {
namespace {

class ManualClock final : public Clock {
 public:
  Instant now() const override { return now_; }
  void set(std::int64_t micros) { now_.micros = micros; }

 private:
  Instant now_{1'800'000'000'000'000};
};

class KeyServiceTest : public ::testing::Test {
 protected:
  std::unique_ptr<store::EntityStore> store_ = store::make_memory_store();
  ManualClock clock_;
  KeyService keys_{*store_, clock_};

  CreatedKey create(Role role, std::string tenant, std::optional<Instant> expires = {}) {
    KeySpec spec;
    spec.role = role;
    spec.tenant = std::move(tenant);
    spec.expires_at = expires;
    auto created = keys_.create(spec);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().detail);
    return std::move(*created);
  }
};

TEST(Crypto, Base64UrlAndSha256KnownAnswers) {
  EXPECT_EQ(crypto::base64url(""), "");
  EXPECT_EQ(crypto::base64url("f"), "Zg");
  EXPECT_EQ(crypto::base64url("fo"), "Zm8");
  EXPECT_EQ(crypto::base64url("foo"), "Zm9v");
  EXPECT_EQ(crypto::base64url("\xfb\xff"), "-_8");
  EXPECT_EQ(crypto::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2
  EXPECT_TRUE(crypto::constant_time_equal("abc", "abc"));
  EXPECT_FALSE(crypto::constant_time_equal("abc", "abd"));
  EXPECT_FALSE(crypto::constant_time_equal("abc", "abcd"));
}

TEST_F(KeyServiceTest, CreatedKeyAuthenticatesAndIsStoredOnlyAsHash) {
  auto created = create(Role::kEditor, "city");
  ASSERT_EQ(key_id_of(created.secret), created.key.id);
  EXPECT_EQ(created.secret.size(), 3u + 12 + 1 + 43);
  auto principal = keys_.authenticate(created.secret);
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->key_id, created.key.id);
  EXPECT_EQ(principal->role, Role::kEditor);
  EXPECT_EQ(principal->tenant, "city");
  auto documents = store_->list_documents("security.api_keys");
  ASSERT_TRUE(documents.ok());
  ASSERT_EQ(documents->size(), 1u);
  const std::string& stored = (*documents)[0].second;
  std::string secret_part = created.secret.substr(created.secret.find('.') + 1);
  EXPECT_EQ(stored.find(secret_part), std::string::npos);
  EXPECT_NE(stored.find(crypto::sha256_hex(created.secret)), std::string::npos);
}

TEST_F(KeyServiceTest, KeysAreRandom) {
  std::set<std::string> secrets;
  for (int i = 0; i < 20; ++i) secrets.insert(create(Role::kViewer, "").secret);
  EXPECT_EQ(secrets.size(), 20u);
}

TEST_F(KeyServiceTest, WrongSecretUnknownIdAndMalformedAreUnauthorized) {
  auto created = create(Role::kAdmin, "*");
  std::string wrong = created.secret;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  std::string unknown = created.secret;
  unknown[3] = unknown[3] == 'a' ? 'b' : 'a';
  // Before and after the right secret is cached: the cache must not accept a near miss.
  for (int round = 0; round < 2; ++round) {
    for (const std::string& bad : {wrong, unknown, std::string("ct_short"), std::string("")}) {
      auto result = keys_.authenticate(bad);
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().kind, ErrorKind::kUnauthorized);
    }
    ASSERT_TRUE(keys_.authenticate(created.secret).ok());
  }
}

TEST_F(KeyServiceTest, RevocationTakesEffectAtOnceDespiteTheCache) {
  auto created = create(Role::kViewer, "");
  ASSERT_TRUE(keys_.authenticate(created.secret).ok());  // now cached
  auto revoked = keys_.revoke(created.key.id, "admin");
  ASSERT_TRUE(revoked.ok());
  EXPECT_TRUE(revoked->revoked_at.has_value());
  EXPECT_EQ(revoked->revoked_by, "admin");
  auto result = keys_.authenticate(created.secret);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kUnauthorized);
  auto listed = keys_.list();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].revoked_at.has_value());
  EXPECT_EQ(keys_.revoke("0123456789ab", "admin").error().kind, ErrorKind::kResourceNotFound);
}

// Many threads verify the key (filling and hitting the cache) while it is revoked: no
// verification that starts after revoke() returned may succeed.
TEST_F(KeyServiceTest, NoVerificationSucceedsAfterRevokeReturns) {
  for (int round = 0; round < 20; ++round) {
    auto created = create(Role::kViewer, "");
    std::atomic<bool> revoked{false};
    std::atomic<int> late_successes{0};
    std::atomic<int> successes{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 300; ++i) {
          bool after = revoked.load();
          bool ok = keys_.authenticate(created.secret).ok();
          if (ok) ++successes;
          if (ok && after) ++late_successes;
        }
      });
    }
    for (int spins = 0; successes.load() == 0 && spins < 10'000'000; ++spins) {
      std::this_thread::yield();
    }
    EXPECT_GT(successes.load(), 0);
    ASSERT_TRUE(keys_.revoke(created.key.id, "admin").ok());
    revoked = true;
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(late_successes.load(), 0) << "round " << round;
    EXPECT_FALSE(keys_.authenticate(created.secret).ok());
  }
}

TEST_F(KeyServiceTest, ExpiryIsCheckedOnEveryRequest) {
  Instant start = clock_.now();
  auto created = create(Role::kViewer, "", Instant{start.micros + 60'000'000});
  ASSERT_TRUE(keys_.authenticate(created.secret).ok());  // cached
  clock_.set(start.micros + 60'000'000);
  EXPECT_EQ(keys_.authenticate(created.secret).error().kind, ErrorKind::kUnauthorized);
}

TEST_F(KeyServiceTest, InvalidSpecsAreRefused) {
  KeySpec spec;
  spec.role = Role::kEditor;
  spec.tenant = "*";
  EXPECT_EQ(keys_.create(spec).error().kind, ErrorKind::kBadRequestData);
  spec.tenant = "bad tenant";
  EXPECT_EQ(keys_.create(spec).error().kind, ErrorKind::kBadRequestData);
  spec.tenant = "ok";
  spec.expires_at = clock_.now();
  EXPECT_EQ(keys_.create(spec).error().kind, ErrorKind::kBadRequestData);
  auto listed = keys_.list();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_F(KeyServiceTest, GlobalAdminPresence) {
  EXPECT_FALSE(*keys_.has_usable_global_admin());
  create(Role::kAdmin, "city");
  EXPECT_FALSE(*keys_.has_usable_global_admin());
  auto admin = create(Role::kAdmin, "*");
  EXPECT_TRUE(*keys_.has_usable_global_admin());
  ASSERT_TRUE(keys_.revoke(admin.key.id, "cli").ok());
  EXPECT_FALSE(*keys_.has_usable_global_admin());
}

}  // namespace
}  // namespace citytwin::security
