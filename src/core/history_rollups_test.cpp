// Rollups (docs/timeseries.md, "Rollups") answer aggregated queries exactly as the raw
// history does. The oracle is the memory store without rollups; the RocksDB store (history
// compacted into small chunks) keeps rollups and answers aligned queries from them. Random
// histories with late (out-of-order) observedAt, instances without observedAt, datasetIds and
// a text attribute (answered from raw history); random edits (late appends, PATCH and DELETE
// of instances, deletion of an attribute's history); then retention trims the RocksDB store's
// raw history only, and the rollups must still answer as the untrimmed oracle does.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <random>

#include "citytwin/common/instant.hpp"
#include "citytwin/core/history_rollups.hpp"
#include "citytwin/core/retention_service.hpp"
#include "citytwin/core/temporal_service.hpp"
#include "citytwin/series/period_duration.hpp"
#include "citytwin/store/memory_store.hpp"
#include "citytwin/store/rocksdb_store.hpp"
#include "temporal_test_support.hpp"

namespace citytwin::core {
namespace {

namespace json = boost::json;
using Relation = TemporalQuery::Relation;
using TimeProperty = TemporalQuery::TimeProperty;
using series::AggregationMethod;

constexpr const char* kLevel = "https://example.org/level";
constexpr const char* kMode = "https://example.org/mode";
constexpr const char* kSensor = "urn:ngsi-ld:Sensor:rollup";
constexpr std::int64_t kStart = test_support::kTestStart;
constexpr std::int64_t kMinute = 60'000'000;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
constexpr const char* kSensorType = "https://example.org/Sensor";

using test_support::expect_same;
using test_support::SteppingClock;
using test_support::TempDir;

json::value as_json(const AggregatedAttrs& attrs) {
  auto parsed = aggregated_attrs_json(attrs);
  EXPECT_TRUE(parsed.ok()) << parsed.error().detail;
  return parsed.ok() ? json::value(std::move(*parsed)) : json::value();
}

class RollupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chunked = test_support::open_chunked_store(dir.path());
    ASSERT_NE(chunked, nullptr);
    raw = store::make_memory_store();
    rollups = std::make_unique<HistoryRollups>(*chunked, clock);
    retention = std::make_unique<RetentionService>(*chunked, clock);
    retention->set_rollups(rollups.get());
    fast = std::make_unique<TemporalService>(*chunked, clock);
    fast->set_rollups(rollups.get());
    slow = std::make_unique<TemporalService>(*raw, clock);
  }

  void configure(const std::string& keep, const std::vector<std::string>& periods) {
    auto policy = make_retention_policy(
        std::vector<RetentionRuleSpec>{RetentionRuleSpec{kSensorType, keep, periods, ""}});
    ASSERT_TRUE(policy.ok()) << policy.error().detail;
    ASSERT_TRUE(retention->set_policy("", *policy).ok());
  }

  // Batches of instances through the temporal API: numbers observed around a drifting
  // instant, some late (hours back), some without observedAt, some of a second dataset; and a
  // text attribute now and then.
  void write_random(int batches, std::uint64_t seed, std::int64_t observed) {
    std::mt19937_64 random(seed);
    auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
    for (int batch = 0; batch < batches; ++batch) {
      json::array levels;
      json::array modes;
      for (int i = 0; i < 20; ++i) {
        observed += pick(2) == 0 ? kMinute : 9 * kMinute;
        json::object level{{"type", "Property"}};
        level["value"] = pick(3) == 0 ? json::value(pick(100)) : json::value(pick(10000) / 16.0);
        std::int64_t at = observed - (pick(8) == 0 ? pick(2000) * kMinute : 0);
        if (pick(20) != 0) level["observedAt"] = format_date_time(Instant{at});
        if (pick(5) == 0) level["datasetId"] = "urn:ngsi-ld:Dataset:b";
        levels.push_back(std::move(level));
        if (pick(6) == 0) {
          modes.push_back(json::object{{"type", "Property"},
                                       {"value", pick(2) == 0 ? "eco" : "boost"},
                                       {"observedAt", format_date_time(Instant{at})}});
        }
      }
      json::object attrs{{kLevel, std::move(levels)}};
      if (!modes.empty()) attrs[kMode] = std::move(modes);
      json::object entity{
          {"id", kSensor}, {"type", json::array{kSensorType}}, {"attrs", std::move(attrs)}};
      clock.micros += kMinute;
      auto a = fast->add_history("", entity);
      auto b = slow->add_history("", entity);
      ASSERT_TRUE(a.ok()) << a.error().detail;
      ASSERT_TRUE(b.ok()) << b.error().detail;
    }
  }

  // Random aligned aggregations: whole hours (or days) from a whole hour (or UTC midnight),
  // every method but distinctCount alone or together. With `numbers_only`, only the numeric
  // attribute (the text one is answered from raw history, which a trim changes).
  void check_random_queries(std::uint64_t seed, int rounds, bool numbers_only) {
    std::mt19937_64 random(seed);
    auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
    const std::vector<AggregationMethod> methods = {
        AggregationMethod::kTotalCount, AggregationMethod::kSum, AggregationMethod::kAvg,
        AggregationMethod::kMin,        AggregationMethod::kMax, AggregationMethod::kStddev,
        AggregationMethod::kSumsq};
    static const char* const kPeriods[] = {"PT1H", "PT2H", "PT3H", "P1D", "PT0S"};
    for (int round = 0; round < rounds; ++round) {
      TemporalQuery query;
      query.relation = Relation::kBetween;
      std::int64_t base = kStart - kStart % kDay - 2 * kDay;
      query.time_at = base + pick(24 * 6) * kHour;
      query.end_time_at = query.time_at + (1 + pick(24 * 4)) * kHour;
      query.aggregation.emplace();
      query.aggregation->period = *series::parse_period_duration(kPeriods[pick(5)]);
      if (pick(3) == 0) {
        query.aggregation->methods = methods;
      } else {
        query.aggregation->methods = {methods[static_cast<std::size_t>(pick(7))]};
      }
      if (pick(4) == 0) {
        query.time_at -= query.time_at % kDay;
        query.end_time_at = query.time_at + (1 + pick(3)) * kDay;
      }
      if (numbers_only || pick(2) == 0) query.attrs = {kLevel};
      SCOPED_TRACE("round " + std::to_string(round));
      auto rolled = rollups->aggregate("", kSensor, json::array{kSensorType}, query);
      ASSERT_TRUE(rolled.ok()) << rolled.error().detail;
      ASSERT_TRUE(rolled->has_value()) << "an aligned query is answered from the rollups";
      auto oracle = slow->retrieve("", kSensor, query);
      ASSERT_TRUE(oracle.ok()) << oracle.error().detail;
      expect_same(as_json(**rolled), oracle->at("attrs"), "");
      auto served = fast->retrieve("", kSensor, query);  // through the temporal service
      ASSERT_TRUE(served.ok()) << served.error().detail;
      expect_same(served->at("attrs"), oracle->at("attrs"), "");
    }
  }

  // The same recorded sample in both services: the k-th kLevel instance (by modifiedAt) of
  // the RocksDB history, and the oracle's instance with its modifiedAt and datasetId.
  std::pair<std::string, std::string> same_instance(std::size_t k) {
    TemporalQuery query;
    query.property = TimeProperty::kModifiedAt;
    query.attrs = {kLevel};
    auto a = fast->retrieve("", kSensor, query);
    auto b = slow->retrieve("", kSensor, query);
    EXPECT_TRUE(a.ok() && b.ok());
    if (!a.ok() || !b.ok()) return {};
    const auto& mine = a->at("attrs").at(kLevel).as_array();
    const auto& chosen = mine.at(k % mine.size()).as_object();
    auto stamp = [](const json::object& instance) {
      std::string id(instance.at("instanceId").as_string());
      const auto* dataset = instance.if_contains("datasetId");
      return id.substr(0, id.rfind('-')) + "|" +
             (dataset != nullptr ? std::string(dataset->as_string()) : "");
    };
    for (const auto& other : b->at("attrs").at(kLevel).as_array()) {
      if (stamp(other.as_object()) == stamp(chosen)) {
        return {std::string(chosen.at("instanceId").as_string()),
                std::string(other.at("instanceId").as_string())};
      }
    }
    ADD_FAILURE() << "no oracle instance for " << stamp(chosen);
    return {};
  }

  void edit_randomly(std::uint64_t seed, int edits) {
    std::mt19937_64 random(seed);
    for (int edit = 0; edit < edits; ++edit) {
      auto [a, b] = same_instance(random() % 1000);
      if (edit % 3 == 0) {
        ASSERT_TRUE(fast->delete_instance("", kSensor, kLevel, a).ok());
        ASSERT_TRUE(slow->delete_instance("", kSensor, kLevel, b).ok());
      } else {
        json::object changed{{"type", "Property"}, {"value", 5000.25 + edit}};
        if (edit % 2 == 0) {  // moved to another hour
          changed["observedAt"] = format_date_time(Instant{kStart - (edit * 7) * kHour});
        }
        ASSERT_TRUE(fast->modify_instance("", kSensor, kLevel, a, changed).ok());
        ASSERT_TRUE(slow->modify_instance("", kSensor, kLevel, b, changed).ok());
      }
    }
  }

  TempDir dir{"citytwin-rollup"};
  SteppingClock clock;
  std::unique_ptr<store::EntityStore> chunked;
  std::unique_ptr<store::EntityStore> raw;
  std::unique_ptr<HistoryRollups> rollups;
  std::unique_ptr<RetentionService> retention;
  std::unique_ptr<TemporalService> fast;
  std::unique_ptr<TemporalService> slow;
};

// Queries of an entity whose rows are known current skip the builders' checks; history
// written while the tenant had no rollups (no markers) must still be built when they return.
TEST_F(RollupTest, HistoryWrittenWithoutRollupsIsBuiltWhenTheyReturn) {
  configure("P10Y", {"PT1H"});
  write_random(10, 40, kStart);
  check_random_queries(41, 40, true);  // rows built, and known so
  configure("P10Y", {});               // the tenant keeps no rollups: writes leave no marker
  write_random(10, 42, kStart);
  configure("P10Y", {"PT1H"});
  check_random_queries(43, 60, true);
}

TEST_F(RollupTest, AnswersAsRawHistoryThroughEditsAndCompaction) {
  write_random(30, 3, kStart);  // history before the rule: built in full on first use
  configure("P10Y", {"PT1H", "P1D"});
  check_random_queries(1, 120, false);
  write_random(30, 4, kStart + kDay);  // marked as written
  check_random_queries(2, 120, false);
  ASSERT_TRUE(chunked->compact_history().ok());
  edit_randomly(5, 15);
  check_random_queries(3, 150, false);
  ASSERT_TRUE(rollups->run_pass().ok());  // the background pass works markers off too
  write_random(10, 6, kStart - kDay);     // late data, a day back
  ASSERT_TRUE(fast->delete_attribute_history("", kSensor, kMode, std::nullopt, true).ok());
  ASSERT_TRUE(slow->delete_attribute_history("", kSensor, kMode, std::nullopt, true).ok());
  check_random_queries(7, 150, false);
}

TEST_F(RollupTest, DailyRowsAnswerDailyPeriodsOnly) {
  configure("P10Y", {"P1D"});
  write_random(40, 11, kStart);
  TemporalQuery query;
  query.relation = Relation::kBetween;
  query.time_at = kStart - kStart % kDay;
  query.end_time_at = query.time_at + 2 * kDay;
  query.attrs = {kLevel};
  query.aggregation.emplace();
  query.aggregation->methods = {AggregationMethod::kAvg, AggregationMethod::kMax};
  query.aggregation->period = *series::parse_period_duration("P1D");
  auto daily = rollups->aggregate("", kSensor, json::array{kSensorType}, query);
  ASSERT_TRUE(daily.ok() && daily->has_value());
  auto oracle = slow->retrieve("", kSensor, query);
  ASSERT_TRUE(oracle.ok());
  expect_same(as_json(**daily), oracle->at("attrs"), "");
  query.aggregation->period = *series::parse_period_duration("PT1H");
  auto hourly = rollups->aggregate("", kSensor, json::array{kSensorType}, query);
  ASSERT_TRUE(hourly.ok());
  EXPECT_FALSE(hourly->has_value()) << "daily rows cannot answer hours";
  query.aggregation->period = *series::parse_period_duration("P1D");
  query.aggregation->methods = {AggregationMethod::kDistinctCount};
  auto distinct = rollups->aggregate("", kSensor, json::array{kSensorType}, query);
  ASSERT_TRUE(distinct.ok());
  EXPECT_FALSE(distinct->has_value()) << "distinctCount needs the values";
}

TEST_F(RollupTest, RollupsOutliveRawRetention) {
  configure("PT40M", {"PT1H"});
  write_random(40, 21, kStart);
  ASSERT_TRUE(chunked->compact_history().ok());
  check_random_queries(22, 60, true);
  clock.micros += 20 * kMinute;
  // Raw history recorded over 40 minutes ago goes; the rollups keep what it summarized.
  auto pass = retention->run_pass();
  ASSERT_TRUE(pass.ok()) << pass.error().detail;
  ASSERT_EQ(pass->entities, 1u);
  TemporalQuery everything;
  everything.property = TimeProperty::kModifiedAt;
  everything.attrs = {kLevel};
  auto left = fast->retrieve("", kSensor, everything);
  auto all = slow->retrieve("", kSensor, everything);
  ASSERT_TRUE(left.ok() && all.ok());
  ASSERT_LT(left->at("attrs").at(kLevel).as_array().size(),
            all->at("attrs").at(kLevel).as_array().size())
      << "the trim erased raw samples";
  check_random_queries(23, 120, true);
  // Late data into trimmed days, and edits of samples left beside trimmed ones.
  write_random(10, 24, kStart - kDay);
  edit_randomly(25, 9);
  check_random_queries(26, 120, true);
  clock.micros += 20 * kMinute;  // a second trim, of partly rebuilt days
  ASSERT_TRUE(retention->run_pass().ok());
  check_random_queries(27, 120, true);
  // Deleting one instance's history (a datasetId) drops its rollups, not its sibling's.
  const std::optional<std::string> dataset = "urn:ngsi-ld:Dataset:b";
  ASSERT_TRUE(fast->delete_attribute_history("", kSensor, kLevel, dataset, false).ok());
  ASSERT_TRUE(slow->delete_attribute_history("", kSensor, kLevel, dataset, false).ok());
  auto still = rollups->aggregate("", kSensor, json::array{kSensorType}, [] {
    TemporalQuery query;
    query.relation = Relation::kBetween;
    query.time_at = kStart - kStart % kDay - 2 * kDay;
    query.end_time_at = query.time_at + 6 * kDay;
    query.attrs = {kLevel};
    query.aggregation.emplace();
    query.aggregation->methods = {AggregationMethod::kTotalCount};
    query.aggregation->period = *series::parse_period_duration("P1D");
    return query;
  }());
  ASSERT_TRUE(still.ok() && still->has_value());
  EXPECT_EQ(as_json(**still).as_object().at(kLevel).as_array().size(), 1u)
      << "only the default instance is left";
  check_random_queries(28, 80, true);
}

TEST_F(RollupTest, RollupRetentionDropsOldRowsAndFallsBack) {
  auto policy = make_retention_policy(
      std::vector<RetentionRuleSpec>{RetentionRuleSpec{kSensorType, "", {"PT1H"}, "P2D"}});
  ASSERT_TRUE(policy.ok()) << policy.error().detail;
  ASSERT_TRUE(retention->set_policy("", *policy).ok());
  write_random(20, 31, kStart - 5 * kDay);
  write_random(20, 32, kStart);
  clock.micros = kStart + kDay;
  // Rows are built on first use: a query makes them, the next pass drops the old ones.
  TemporalQuery query;
  query.relation = Relation::kBetween;
  query.time_at = kStart - kStart % kDay;
  query.end_time_at = query.time_at + kDay;
  query.attrs = {kLevel};
  query.aggregation.emplace();
  query.aggregation->methods = {AggregationMethod::kSum};
  query.aggregation->period = *series::parse_period_duration("PT1H");
  auto recent = rollups->aggregate("", kSensor, json::array{kSensorType}, query);
  ASSERT_TRUE(recent.ok() && recent->has_value());
  auto built = *rollups->stored_bytes("");
  EXPECT_GT(built, 0u);
  auto pass = rollups->run_pass();  // drops the days before now - P2D
  ASSERT_TRUE(pass.ok());
  EXPECT_GT(pass->expired_rows, 0u);
  EXPECT_LT(*rollups->stored_bytes(""), built);
  query.time_at -= 5 * kDay;  // before the rollups' retention: raw history answers
  query.end_time_at -= 5 * kDay;
  auto old = rollups->aggregate("", kSensor, json::array{kSensorType}, query);
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->has_value());
  auto served = fast->retrieve("", kSensor, query);
  auto oracle = slow->retrieve("", kSensor, query);
  ASSERT_TRUE(served.ok() && oracle.ok());
  expect_same(served->at("attrs"), oracle->at("attrs"), "");
}

}  // namespace
}  // namespace citytwin::core
