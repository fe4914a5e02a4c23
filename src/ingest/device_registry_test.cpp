#include "citytwin/ingest/device_registry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <thread>

#include "citytwin/store/memory_store.hpp"

namespace citytwin::ingest {
namespace {

ServiceGroup group(std::string apikey, std::string resource, ServiceScope scope = {}) {
  boost::json::object json{{"apikey", apikey}, {"resource", resource}};
  return parse_service_group(json, std::move(scope)).value();
}

DeviceConfig device(std::string id, ServiceScope scope = {}) {
  return parse_device(boost::json::object{{"device_id", id}}, std::move(scope)).value();
}

class DeviceRegistryTest : public ::testing::Test {
 protected:
  std::unique_ptr<store::EntityStore> store_ = store::make_memory_store();
  DeviceRegistry registry_{*store_};
};

TEST_F(DeviceRegistryTest, GroupsAreUniqueByApikeyAndResourceAcrossTenants) {
  ASSERT_TRUE(registry_.add_groups({group("k", "/iot/d", {"a", "/"})}).ok());
  auto clash = registry_.add_groups({group("k", "/iot/d", {"b", "/x"})});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().kind, ErrorKind::kAlreadyExists);
  EXPECT_EQ(clash.error().title, kDuplicateGroup);
  // A list with a clash adds nothing.
  EXPECT_FALSE(registry_.add_groups({group("k2", ""), group("k2", "")}).ok());
  EXPECT_FALSE(registry_.find_group("k2", "").ok());
  EXPECT_TRUE(registry_.add_groups({group("k", "/iot/json", {"a", "/"})}).ok());
}

TEST_F(DeviceRegistryTest, FindGroupPrefersTheResourceThenTheOnlyCandidate) {
  ASSERT_TRUE(registry_.add_groups({group("k", "/iot/d"), group("k", "/iot/json")}).ok());
  EXPECT_EQ(registry_.find_group("k", "/iot/json")->resource, "/iot/json");
  EXPECT_FALSE(registry_.find_group("k", "/iot/other").ok());
  EXPECT_FALSE(registry_.find_group("k", "").ok());  // two candidates: ambiguous
  ASSERT_TRUE(registry_.add_groups({group("m", "")}).ok());
  EXPECT_TRUE(registry_.find_group("m", "/iot/d").ok());  // resource-less group matches any
  auto missing = registry_.find_group("zzz", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kResourceNotFound);
}

TEST_F(DeviceRegistryTest, DevicesAreScopedByTenantAndPath) {
  ASSERT_TRUE(registry_.add_devices({device("d1", {"a", "/x"})}).ok());
  EXPECT_TRUE(registry_.add_devices({device("d1", {"a", "/y"})}).ok());
  EXPECT_TRUE(registry_.add_devices({device("d1", {"b", "/x"})}).ok());
  auto clash = registry_.add_devices({device("d1", {"a", "/x"})});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().title, kDuplicateDevice);
  EXPECT_EQ(registry_.devices({"a", "/x"}).size(), 1u);
  EXPECT_EQ(registry_.devices({"a", "/*"}).size(), 2u);
  EXPECT_FALSE(registry_.device({"a", "/z"}, "d1").ok());
}

TEST_F(DeviceRegistryTest, UpdatesValidateAndKeepIdentity) {
  ASSERT_TRUE(registry_.add_groups({group("k", "/iot/d")}).ok());
  auto before = registry_.version();
  ASSERT_TRUE(
      registry_.update_group({}, "k", "/iot/d", boost::json::object{{"entity_type", "Room"}}).ok());
  EXPECT_GT(registry_.version(), before);
  EXPECT_EQ(registry_.find_group("k", "/iot/d")->mapping.entity_type, "Room");
  EXPECT_FALSE(
      registry_.update_group({}, "k", "/iot/d", boost::json::object{{"apikey", "other"}}).ok());
  EXPECT_FALSE(
      registry_.update_group({}, "k", "/iot/d", boost::json::object{{"autoprovision", 1}}).ok());
  EXPECT_EQ(registry_.update_group({}, "nope", "/iot/d", {}).error().kind,
            ErrorKind::kResourceNotFound);

  ASSERT_TRUE(registry_.add_devices({device("d1")}).ok());
  ASSERT_TRUE(registry_.update_device({}, "d1", boost::json::object{{"entity_name", "e1"}}).ok());
  EXPECT_EQ(registry_.device({}, "d1")->entity_name, "e1");
  EXPECT_FALSE(registry_.update_device({}, "d1", boost::json::object{{"device_id", "d2"}}).ok());
}

TEST_F(DeviceRegistryTest, RestoreReadsWhatWasPersisted) {
  ASSERT_TRUE(registry_.add_groups({group("k", "/iot/d", {"city", "/env"})}).ok());
  ASSERT_TRUE(registry_.add_devices({device("d1", {"city", "/env"}), device("d2")}).ok());
  ASSERT_TRUE(registry_.remove_device({}, "d2").ok());
  DeviceRegistry reopened(*store_);
  auto problems = reopened.restore();
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty());
  auto found = reopened.find_group("k", "/iot/d");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->scope.tenant, "city");
  EXPECT_EQ(found->scope.servicepath, "/env");
  EXPECT_TRUE(reopened.find_device({"city", "/env"}, "d1").has_value());
  EXPECT_FALSE(reopened.find_device({}, "d2").has_value());
  ASSERT_TRUE(reopened.remove_group({"city", "/env"}, "k", "/iot/d").ok());
  EXPECT_FALSE(reopened.find_group("k", "/iot/d").ok());
}

}  // namespace
}  // namespace citytwin::ingest

namespace citytwin::ingest {
namespace {

// Lookups (the measurement path) run while provisioning changes: every lookup sees a whole
// group, and the changes all land.
TEST_F(DeviceRegistryTest, LookupsRunWhileProvisioningChanges) {
  ASSERT_TRUE(registry_.add_groups({group("k", "/iot/d")}).ok());
  std::atomic<bool> done{false};
  std::atomic<int> lookups{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      do {
        auto found = registry_.find_group("k", "/iot/d");
        ASSERT_TRUE(found.ok());
        EXPECT_EQ(found->apikey, "k");
        registry_.settled("k", "/iot/d", "d1");
        registry_.watched_devices();
        ++lookups;
      } while (!done);
    });
  }
  while (lookups == 0) std::this_thread::yield();  // the changes below overlap lookups
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(registry_.add_devices({device("d" + std::to_string(i))}).ok());
    ASSERT_TRUE(
        registry_.update_group({}, "k", "/iot/d", boost::json::object{{"expectedPeriod", i + 1}})
            .ok());
  }
  done = true;
  for (auto& reader : readers) reader.join();
  EXPECT_GE(lookups.load(), 3);
  EXPECT_EQ(registry_.devices({}).size(), 50u);
  EXPECT_EQ(registry_.find_group("k", "/iot/d")->mapping.expected_period_s, 50);
}

}  // namespace
}  // namespace citytwin::ingest
