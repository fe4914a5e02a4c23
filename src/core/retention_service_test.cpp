#include "citytwin/core/retention_service.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "citytwin/store/memory_store.hpp"

namespace citytwin::core {
namespace {

using ::testing::ElementsAre;

constexpr const char* kAir = "https://example.org/AirQualityObserved";
constexpr const char* kMeter = "https://example.org/WaterMeter";
constexpr const char* kLight = "https://example.org/Streetlight";
constexpr std::int64_t kDay = 86'400'000'000;
constexpr std::int64_t kNow = 1'800'000'000'000'000;

class FixedClock final : public Clock {
 public:
  Instant now() const override { return Instant{kNow}; }
};

class RetentionServiceTest : public ::testing::Test {
 protected:
  // One sample a day for `days` days up to now, recorded under `types`.
  void history(std::string_view tenant, const std::string& id, std::vector<std::string> types,
               int days) {
    store::Change change = store::Change::history_only(id);
    change.history_types = std::move(types);
    for (int day = 0; day < days; ++day) {
      store::HistorySample sample;
      sample.attribute = "https://example.org/value";
      sample.modified_at = kNow - day * kDay - 1;
      sample.instance = R"({"type":"Property","value":)" + std::to_string(day) + "}";
      change.history.push_back(std::move(sample));
    }
    ASSERT_TRUE(store->apply(tenant, std::span<const store::Change>(&change, 1)).ok());
  }

  // Age in days of the oldest sample left.
  int oldest_day(std::string_view tenant, const std::string& id) {
    auto samples = store->history(tenant, id, "", {}, 100'000);
    EXPECT_TRUE(samples.ok());
    if (!samples.ok() || samples->empty()) return -1;
    return static_cast<int>((kNow - samples->front().modified_at) / kDay);
  }

  void set(std::string_view tenant, std::vector<std::pair<std::string, std::string>> rules) {
    auto policy = make_retention_policy(rules);
    ASSERT_TRUE(policy.ok()) << policy.error().detail;
    ASSERT_TRUE(retention.set_policy(tenant, *policy).ok());
  }

  std::unique_ptr<store::EntityStore> store = store::make_memory_store();
  FixedClock clock;
  RetentionService retention{*store, clock};
};

TEST_F(RetentionServiceTest, PoliciesAreValidatedAndKept) {
  for (auto bad :
       std::vector<std::vector<std::pair<std::string, std::string>>>{{{"", "2 years"}},
                                                                     {{"", "P0D"}},
                                                                     {{kAir, "P1D"}, {kAir, "P2D"}},
                                                                     {{"", "P1D"}, {"", "P2D"}}}) {
    auto policy = make_retention_policy(bad);
    ASSERT_FALSE(policy.ok());
    EXPECT_EQ(policy.error().kind, ErrorKind::kBadRequestData);
  }
  set("city", {{kAir, "P30D"}, {"", "P1Y"}});
  auto kept = retention.policy("city");
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->rules.size(), 2u);
  EXPECT_EQ(kept->rules[0].type, kAir);
  EXPECT_EQ(kept->rules[0].keep, "P30D");
  EXPECT_EQ(kept->rules[1].period.months, 12);
  EXPECT_TRUE(retention.policy("other")->rules.empty());
  ASSERT_TRUE(retention.set_policy("city", RetentionPolicy{}).ok());
  EXPECT_TRUE(retention.policy("city")->rules.empty());
}

TEST_F(RetentionServiceTest, APassTrimsEachEntityByItsRuleAndTheLongestKeepWins) {
  history("city", "urn:air:1", {kAir}, 60);
  history("city", "urn:meter:1", {kMeter}, 60);
  history("city", "urn:both:1", {kAir, kLight}, 60);  // P10D and P40D: P40D wins
  history("city", "urn:deleted:1", {kLight}, 60);     // history only, like a deleted entity
  history("other", "urn:air:1", {kAir}, 60);          // another tenant, no policy
  set("city", {{kAir, "P10D"}, {kLight, "P40D"}, {"", "P20D"}});
  auto report = retention.run_pass();
  ASSERT_TRUE(report.ok()) << report.error().detail;
  EXPECT_EQ(report->tenants, 1u);
  EXPECT_EQ(oldest_day("city", "urn:air:1"), 9);
  EXPECT_EQ(oldest_day("city", "urn:both:1"), 39);
  EXPECT_EQ(oldest_day("city", "urn:deleted:1"), 39);
  EXPECT_EQ(oldest_day("city", "urn:meter:1"), 19);  // the default
  EXPECT_EQ(oldest_day("other", "urn:air:1"), 59);
  // A second pass finds nothing more to erase.
  ASSERT_TRUE(retention.run_pass().ok());
  EXPECT_EQ(oldest_day("city", "urn:air:1"), 9);
}

TEST_F(RetentionServiceTest, WithoutADefaultUnnamedTypesAreKeptForEver) {
  history("", "urn:air:1", {kAir}, 30);
  history("", "urn:meter:1", {kMeter}, 30);
  set("", {{kAir, "P1W"}});
  ASSERT_TRUE(retention.run_pass().ok());
  EXPECT_EQ(oldest_day("", "urn:air:1"), 6);
  EXPECT_EQ(oldest_day("", "urn:meter:1"), 29);
}

TEST_F(RetentionServiceTest, TheBackgroundWorkerRunsPasses) {
  history("", "urn:air:1", {kAir}, 30);
  set("", {{"", "P2D"}});
  std::mutex mutex;
  std::condition_variable done;
  int passes = 0;
  retention.start(std::chrono::milliseconds(10), [&](const Result<RetentionPassReport>& report) {
    EXPECT_TRUE(report.ok());
    std::lock_guard lock(mutex);
    ++passes;
    done.notify_all();
  });
  {
    std::unique_lock lock(mutex);
    done.wait(lock, [&] { return passes >= 2; });
  }
  retention.stop();
  EXPECT_EQ(oldest_day("", "urn:air:1"), 1);
}

}  // namespace
}  // namespace citytwin::core
