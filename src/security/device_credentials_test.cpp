#include "citytwin/security/device_credentials.hpp"

#include <gtest/gtest.h>

#include "citytwin/store/memory_store.hpp"

namespace citytwin::security {
namespace {

class FixedClock final : public Clock {
 public:
  Instant now() const override { return Instant{1'800'000'000'000'000}; }
};

class DeviceCredentialsTest : public ::testing::Test {
 protected:
  std::unique_ptr<store::EntityStore> store_ = store::make_memory_store();
  FixedClock clock_;
  DeviceCredentialService credentials_{*store_, clock_};
};

TEST_F(DeviceCredentialsTest, CreatedPasswordAuthenticatesAndOnlyItsHashIsStored) {
  auto created = credentials_.create({"city", "key1", "dev1", ""});
  ASSERT_TRUE(created.ok()) << created.error().detail;
  EXPECT_EQ(created->credential.username, "dev1");  // the device id by default
  EXPECT_TRUE(created->password.starts_with("dp_"));
  auto who = credentials_.authenticate("dev1", created->password);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->tenant, "city");
  EXPECT_EQ(who->apikey, "key1");
  EXPECT_EQ(who->device_id, "dev1");
  auto stored = store_->get_document("security.device_credentials", "dev1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->find(created->password), std::string::npos);
}

TEST_F(DeviceCredentialsTest, PrincipalOfACredentialIsItsDeviceInItsTenant) {
  auto created = credentials_.create({"city", "key1", "dev1", "sensor-7"});
  ASSERT_TRUE(created.ok());
  Principal principal = device_principal(created->credential);
  EXPECT_EQ(principal.role, Role::kDevice);
  EXPECT_EQ(principal.key_id, "device:sensor-7");
  EXPECT_EQ(principal.tenant, "city");
  EXPECT_EQ(principal.device_apikey, "key1");
  EXPECT_EQ(principal.device_id, "dev1");
  EXPECT_FALSE(principal.anonymous);
}

TEST(DeviceLogin, SplitsAtTheLastColon) {
  auto plain = split_device_login("dev1:dp_secret");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->first, "dev1");
  EXPECT_EQ(plain->second, "dp_secret");
  auto colons = split_device_login("urn:dev:1:dp_secret");  // user names may hold ':'
  ASSERT_TRUE(colons);
  EXPECT_EQ(colons->first, "urn:dev:1");
  EXPECT_EQ(colons->second, "dp_secret");
  EXPECT_FALSE(split_device_login("ct_0123456789ab.secret"));  // an API key
  auto empty = split_device_login(":");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->first.empty() && empty->second.empty());
}

TEST_F(DeviceCredentialsTest, WrongPasswordOrUnknownUserIsUnauthorized) {
  auto created = credentials_.create({"", "key1", "", ""});
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->credential.username, "key1");  // a group credential: the apikey
  EXPECT_EQ(credentials_.authenticate("key1", "dp_wrong").error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(credentials_.authenticate("nobody", created->password).error().kind,
            ErrorKind::kUnauthorized);
  EXPECT_TRUE(*credentials_.exists("key1"));
  EXPECT_FALSE(*credentials_.exists("nobody"));
}

TEST_F(DeviceCredentialsTest, UserNamesAreUniqueAndNamesMustBeTopicLevels) {
  ASSERT_TRUE(credentials_.create({"", "key1", "dev1", ""}).ok());
  EXPECT_EQ(credentials_.create({"", "key2", "dev1", ""}).error().kind, ErrorKind::kAlreadyExists);
  EXPECT_EQ(credentials_.create({"", "", "dev2", ""}).error().kind, ErrorKind::kBadRequestData);
  EXPECT_EQ(credentials_.create({"", "k/1", "", ""}).error().kind, ErrorKind::kBadRequestData);
  EXPECT_EQ(credentials_.create({"", "key1", "d+", ""}).error().kind, ErrorKind::kBadRequestData);
}

TEST_F(DeviceCredentialsTest, ListAndRemoveStayInTheirTenant) {
  ASSERT_TRUE(credentials_.create({"a", "key1", "dev1", ""}).ok());
  ASSERT_TRUE(credentials_.create({"b", "key2", "dev2", ""}).ok());
  EXPECT_EQ(credentials_.list("a")->size(), 1u);
  EXPECT_EQ(credentials_.remove("a", "dev2").error().kind, ErrorKind::kResourceNotFound);
  EXPECT_TRUE(credentials_.remove("b", "dev2").ok());
  EXPECT_TRUE(credentials_.list("b")->empty());
}

}  // namespace
}  // namespace citytwin::security
