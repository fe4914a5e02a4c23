// Settings from the config file and from the API: the latest change wins (docs/security.md,
// "Settings in the config file").
#include "citytwin/core/configured_data_policies.hpp"

#include <gtest/gtest.h>

#include "citytwin/store/memory_store.hpp"

namespace citytwin::core {
namespace {

using Types = std::vector<std::string>;

class ConfiguredDataPoliciesTest : public ::testing::Test {
 protected:
  // A restart with `configured` in the file: what it applied.
  std::vector<std::string> start(const ConfiguredDataPolicies& configured) {
    auto applied = apply_configured_policies(policies, *store, configured);
    EXPECT_TRUE(applied.ok()) << applied.error().detail;
    return applied.ok() ? *applied : std::vector<std::string>{};
  }
  Types open(const std::string& tenant) { return *policies.open_types(tenant); }

  std::unique_ptr<store::EntityStore> store = store::make_memory_store();
  DataPolicies policies{*store};
};

PersonalDataRule rule(std::string type, std::string attribute, std::string retention = "") {
  return *make_personal_data_rule(std::move(type), {std::move(attribute)}, std::move(retention));
}

TEST_F(ConfiguredDataPoliciesTest, TheFileSeedsTheSettingsOfTheTenantsItNames) {
  ConfiguredDataPolicies file;
  file.open_types["city"] = {"urn:B", "urn:A"};
  file.personal_data[""] = {rule("urn:Bike", "urn:rider", "P30D")};
  auto applied = start(file);
  EXPECT_EQ(applied,
            (std::vector<std::string>{"open data of tenant 'city'", "personal data of tenant ''"}));
  EXPECT_EQ(open("city"), (Types{"urn:A", "urn:B"}));
  EXPECT_TRUE(open("").empty());
  auto rules = *policies.personal_data("");
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].retention, "P30D");
  // The same file again (in another order) changes nothing.
  file.open_types["city"] = {"urn:A", "urn:B", "urn:A"};
  EXPECT_TRUE(start(file).empty());
}

TEST_F(ConfiguredDataPoliciesTest, AnApiChangeSurvivesRestartsUntilTheFileChanges) {
  ConfiguredDataPolicies file;
  file.open_types["city"] = {"urn:A"};
  start(file);
  ASSERT_TRUE(policies.set_open_types("city", {}).ok());  // closed through the API
  EXPECT_TRUE(start(file).empty());
  EXPECT_TRUE(open("city").empty());
  file.open_types["city"] = {"urn:A", "urn:C"};  // the file is edited: it wins again
  EXPECT_EQ(start(file).size(), 1u);
  EXPECT_EQ(open("city"), (Types{"urn:A", "urn:C"}));
}

TEST_F(ConfiguredDataPoliciesTest, TenantsTheFileDoesNotNameAreTheApis) {
  ASSERT_TRUE(policies.set_open_types("other", {"urn:X"}).ok());
  ConfiguredDataPolicies file;
  file.open_types["city"] = {"urn:A"};
  start(file);
  EXPECT_EQ(open("other"), (Types{"urn:X"}));
  // Dropped from the file: the setting stays; named again with the same value, it applies.
  start(ConfiguredDataPolicies{});
  EXPECT_EQ(open("city"), (Types{"urn:A"}));
  ASSERT_TRUE(policies.set_open_types("city", {"urn:Z"}).ok());
  EXPECT_EQ(start(file).size(), 1u);
  EXPECT_EQ(open("city"), (Types{"urn:A"}));
}

TEST_F(ConfiguredDataPoliciesTest, AnInvalidSettingIsRefusedAndNotRemembered) {
  ConfiguredDataPolicies file;
  file.personal_data["city"] = {rule("urn:Bike", "urn:rider"), rule("urn:Bike", "urn:name")};
  auto applied = apply_configured_policies(policies, *store, file);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().kind, ErrorKind::kBadRequestData);
  EXPECT_TRUE(policies.personal_data("city")->empty());
  file.personal_data["city"].pop_back();
  EXPECT_EQ(start(file).size(), 1u);
}

}  // namespace
}  // namespace citytwin::core
