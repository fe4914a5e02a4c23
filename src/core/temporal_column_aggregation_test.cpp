// Aggregations computed from the store's history columns give exactly what aggregating the
// selected instances' JSON gives: the same service with lastN set past every history takes
// the JSON path (temporal_service.cpp), so it is the oracle. Histories live in a RocksDB
// store whose compaction turns them into chunks, checked before and after compaction, with
// numbers of both formats, booleans, strings with and without escapes, the null marker,
// objects, Relationships (whose value is no "value" member), datasetIds, instances without
// observedAt and deletions.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <random>

#include "citytwin/common/instant.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/core/temporal_service.hpp"
#include "citytwin/series/period_duration.hpp"
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
constexpr const char* kOn = "https://example.org/on";
constexpr const char* kNear = "https://example.org/near";
constexpr const char* kShape = "https://example.org/shape";
constexpr std::int64_t kStart = test_support::kTestStart;
constexpr std::int64_t kMinute = 60'000'000;

using test_support::SteppingClock;
using test_support::TempDir;

class ColumnAggregationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::RocksDbOptions options;
    options.path = dir.path();
    options.sync_writes = false;
    options.history_compaction.background = false;
    options.history_compaction.min_age = std::chrono::seconds(0);
    options.history_compaction.min_samples = 4;
    options.history_compaction.chunk_samples = 64;
    auto opened = store::open_rocksdb_store(options);
    ASSERT_TRUE(opened.ok()) << opened.error().detail;
    store = std::move(*opened);
    entities = std::make_unique<EntityService>(*store, clock);
    temporal = std::make_unique<TemporalService>(*store, clock);
  }

  void write_history(const std::string& id, int steps, std::uint64_t seed) {
    std::mt19937_64 random(seed);
    auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
    json::object entity{
        {"id", id},
        {"type", json::array{"https://example.org/Sensor"}},
        {"attrs",
         json::object{{kLevel, json::array{json::object{{"type", "Property"}, {"value", 1}}}}}}};
    ASSERT_TRUE(entities->create("", entity).ok());
    static const char* const kModes[] = {"eco", "boost", R"(quoted "fast")", "\u00e9t\u00e9",
                                         "tab\there"};
    for (int step = 0; step < steps; ++step) {
      clock.micros += kMinute + pick(1000);
      std::string observed = format_date_time(Instant{clock.micros - pick(3) * kMinute});
      json::object level{{"type", "Property"}};
      switch (pick(3)) {
        case 0:
          level["value"] = pick(100);
          break;
        case 1:
          level["value"] = pick(1000) / 8.0;
          break;
        default:
          level["value"] = -pick(50) * 1.1;
          break;
      }
      if (pick(6) != 0) level["observedAt"] = observed;
      if (pick(4) == 0) level["datasetId"] = "urn:ngsi-ld:Dataset:" + std::to_string(pick(2));
      json::object attrs{{kLevel, json::array{level}}};
      if (pick(2) == 0) {
        attrs[kMode] = json::array{json::object{
            {"type", "Property"}, {"value", kModes[pick(5)]}, {"observedAt", observed}}};
      }
      if (pick(3) == 0) {
        attrs[kOn] = json::array{json::object{{"type", "Property"}, {"value", pick(2) == 0}}};
      }
      if (pick(4) == 0) {
        attrs[kNear] = json::array{json::object{
            {"type", "Relationship"}, {"object", "urn:ngsi-ld:Place:" + std::to_string(pick(3))}}};
      }
      if (pick(5) == 0) {
        attrs[kShape] = json::array{json::object{
            {"type", "Property"},
            {"value", json::object{{"sides", pick(6)}, {"@value", pick(2) == 0 ? "x" : "y"}}}}};
      }
      auto appended = entities->append_attributes("", id, attrs, false);
      ASSERT_TRUE(appended.ok()) << appended.error().detail;
      if (pick(40) == 0) {
        clock.micros += 1000;
        (void)entities->delete_attribute("", id, kMode, std::nullopt, false);
      }
    }
  }

  // Readings one minute apart by observedAt, in order, so chunks hold sorted runs that
  // periods cut anywhere: decimal numbers (kind 0: the decimal column, the integer path),
  // doubles that are no short decimals (kind 1: the XOR column), or numbers, booleans and
  // strings in one instance (kind 2); every seventh of a second dataset, a few without
  // observedAt, and now and then a deletion of the default instance (gaps in a chunk's run).
  void write_readings(const std::string& id, int steps, int kind, std::uint64_t seed) {
    std::mt19937_64 random(seed);
    auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
    json::object entity{{"id", id}, {"type", json::array{"https://example.org/Sensor"}}};
    ASSERT_TRUE(entities->create("", entity).ok());
    for (int step = 0; step < steps; ++step) {
      clock.micros += kMinute;
      json::object level{{"type", "Property"}};
      // A few without observedAt: by observedAt with a relation, not selected (a gap).
      if (step % 97 != 50) level["observedAt"] = format_date_time(Instant{kStart + step * kMinute});
      switch (kind == 2 ? pick(4) : kind) {
        case 0:
          level["value"] = (pick(4000) - 2000) / 100.0;
          break;
        case 1:
          level["value"] = std::sqrt(2.0) * pick(1000);
          break;
        case 2:
          level["value"] = pick(2) == 0;
          break;
        default:
          level["value"] = pick(2) == 0 ? "low" : "high";
      }
      if (step % 7 == 3) level["datasetId"] = "urn:ngsi-ld:Dataset:b";
      auto appended =
          entities->append_attributes("", id, json::object{{kLevel, json::array{level}}}, false);
      ASSERT_TRUE(appended.ok()) << appended.error().detail;
      if (pick(150) == 0) {
        clock.micros += 1000;
        (void)entities->delete_attribute("", id, kLevel, std::nullopt, false);
      }
    }
  }

  // Queries whose windows and periods start on a sample's instant, just after one, or
  // anywhere: every relation and both time properties, all methods, all but distinctCount
  // (the integer path) and each alone.
  void check_period_edges(const std::string& id, std::uint64_t seed) {
    std::mt19937_64 random(seed);
    auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
    const std::vector<AggregationMethod>& all = test_support::kAllAggregationMethods;
    const auto& kPeriods = test_support::kTestPeriods;
    for (int round = 0; round < 150; ++round) {
      std::vector<AggregationMethod> methods = all;
      if (pick(3) == 0) methods.erase(methods.begin() + 1);
      if (pick(3) == 0) methods = {all[static_cast<std::size_t>(pick(8))]};
      TemporalQuery query = aggregated(methods, kPeriods[pick(6)]);
      query.property = pick(4) == 0 ? TimeProperty::kModifiedAt : TimeProperty::kObservedAt;
      query.relation = static_cast<Relation>(pick(4));
      std::int64_t base = query.property == TimeProperty::kObservedAt ? kStart : clock.micros;
      if (query.property == TimeProperty::kModifiedAt) base -= 700 * kMinute;
      std::int64_t shift = pick(3) == 0 ? 0 : pick(2) == 0 ? 1 : pick(60'000'000);
      query.time_at = base + pick(700) * kMinute + shift;
      query.end_time_at = query.time_at + (1 + pick(300)) * kMinute - (pick(2) == 0 ? 0 : 1);
      if (pick(2) == 0) query.attrs = {kLevel};
      SCOPED_TRACE("round " + std::to_string(round));
      expect_paths_agree(id, query);
    }
  }

  static TemporalQuery aggregated(std::vector<AggregationMethod> methods, const char* period) {
    TemporalQuery query;
    query.aggregation.emplace();
    query.aggregation->methods = std::move(methods);
    query.aggregation->period = *series::parse_period_duration(period);
    return query;
  }

  // Aggregated from the columns and from the instances' JSON, which must agree.
  void expect_paths_agree(const std::string& id, TemporalQuery query) {
    auto from_columns = temporal->retrieve("", id, query);
    TemporalQuery by_instances = query;
    by_instances.last_n = std::size_t{1} << 40;
    auto from_instances = temporal->retrieve("", id, by_instances);
    ASSERT_EQ(from_columns.ok(), from_instances.ok())
        << (from_columns.ok() ? "" : from_columns.error().detail)
        << (from_instances.ok() ? "" : from_instances.error().detail);
    if (!from_columns.ok()) {
      EXPECT_EQ(from_columns.error().kind, from_instances.error().kind);
      return;
    }
    expect_same(*from_columns, *from_instances, "");
  }

  // Equal JSON, numbers within rounding: sums depend on the order values are added in.
  static void expect_same(const json::value& a, const json::value& b, const std::string& path) {
    if (a.is_number() && b.is_number()) {
      double x = a.to_number<double>();
      double y = b.to_number<double>();
      EXPECT_LE(std::abs(x - y), 1e-9 * std::max({1.0, std::abs(x), std::abs(y)})) << path;
      return;
    }
    ASSERT_EQ(a.kind(), b.kind()) << path << ": " << a << " vs " << b;
    if (a.is_object()) {
      ASSERT_EQ(a.as_object().size(), b.as_object().size()) << path << ": " << a << " vs " << b;
      for (const auto& [key, value] : a.as_object()) {
        const auto* other = b.as_object().if_contains(key);
        ASSERT_NE(other, nullptr) << path << "/" << key;
        expect_same(value, *other, path + "/" + std::string(key));
      }
    } else if (a.is_array()) {
      ASSERT_EQ(a.as_array().size(), b.as_array().size()) << path;
      for (std::size_t i = 0; i < a.as_array().size(); ++i) {
        expect_same(a.as_array()[i], b.as_array()[i], path + "/" + std::to_string(i));
      }
    } else {
      EXPECT_EQ(a, b) << path;
    }
  }

  void check_many_queries(const std::string& id) {
    const std::vector<AggregationMethod>& all = test_support::kAllAggregationMethods;
    std::int64_t middle = kStart + 200 * kMinute;
    for (TimeProperty property : {TimeProperty::kObservedAt, TimeProperty::kModifiedAt}) {
      for (const char* period : {"PT0S", "PT7M", "PT1H", "P1D"}) {
        for (Relation relation :
             {Relation::kNone, Relation::kBefore, Relation::kAfter, Relation::kBetween}) {
          TemporalQuery query = aggregated(all, period);
          query.property = property;
          query.relation = relation;
          query.time_at = middle;
          query.end_time_at = middle + 97 * kMinute;
          SCOPED_TRACE(std::string(period) + " relation " +
                       std::to_string(static_cast<int>(relation)) + " property " +
                       std::to_string(static_cast<int>(property)));
          expect_paths_agree(id, query);
          TemporalQuery one = query;
          one.attrs = {kMode};
          one.aggregation->methods = {AggregationMethod::kTotalCount,
                                      AggregationMethod::kDistinctCount, AggregationMethod::kMin,
                                      AggregationMethod::kMax};
          one.aggregation->attrs_named = true;
          expect_paths_agree(id, one);
          TemporalQuery named_sum = query;
          named_sum.attrs = {kMode, kLevel};
          named_sum.aggregation->attrs_named = true;
          expect_paths_agree(id, named_sum);  // sum of text named: both are the same error
        }
      }
    }
  }

  TempDir dir{"citytwin-core"};
  SteppingClock clock;
  std::unique_ptr<store::EntityStore> store;
  std::unique_ptr<EntityService> entities;
  std::unique_ptr<TemporalService> temporal;
};

TEST_F(ColumnAggregationTest, RawHistoryAggregatesAsItsInstances) {
  write_history("urn:ngsi-ld:Sensor:raw", 600, 7);
  check_many_queries("urn:ngsi-ld:Sensor:raw");
}

TEST_F(ColumnAggregationTest, CompactedAndMixedHistoryAggregatesAsItsInstances) {
  write_history("urn:ngsi-ld:Sensor:c", 600, 11);
  ASSERT_TRUE(store->compact_history().ok());
  check_many_queries("urn:ngsi-ld:Sensor:c");
  // Later writes stay raw rows beside the chunks.
  write_history("urn:ngsi-ld:Sensor:c2", 300, 13);
  ASSERT_TRUE(store->compact_history().ok());
  clock.micros = kStart + 150 * kMinute;  // inside the compacted span
  for (int i = 0; i < 20; ++i) {
    clock.micros += 7 * kMinute;
    ASSERT_TRUE(entities
                    ->patch_attribute("", "urn:ngsi-ld:Sensor:c2", kLevel,
                                      json::object{{"value", 1000 + i}})
                    .ok());
  }
  check_many_queries("urn:ngsi-ld:Sensor:c2");
}

// Chunks handed to the aggregator as columns (one selected run of plain values) give what
// the instances' JSON gives: decimal chunks (exact integer sums), XOR chunks and mixed kinds,
// cut by windows and periods at and beside the samples' instants; raw rows as well.
TEST_F(ColumnAggregationTest, ColumnRunsAggregateAsTheirInstances) {
  for (int kind = 0; kind < 3; ++kind) {
    std::string id = "urn:ngsi-ld:Sensor:run" + std::to_string(kind);
    SCOPED_TRACE(id);
    write_readings(id, 700, kind, 21 + static_cast<std::uint64_t>(kind));
    check_period_edges(id, 3);
    ASSERT_TRUE(store->compact_history().ok());
    check_period_edges(id, 4);
  }
}

// The sample budget bounds instances held for an answer; aggregating from columns holds
// none, so a history far past it still aggregates (the JSON path refuses it).
TEST_F(ColumnAggregationTest, HistoriesPastTheSampleBudgetStillAggregate) {
  write_history("urn:ngsi-ld:Sensor:big", 400, 5);
  ASSERT_TRUE(store->compact_history().ok());
  TemporalQuery query =
      aggregated({AggregationMethod::kTotalCount, AggregationMethod::kAvg}, "PT0S");
  query.property = TimeProperty::kModifiedAt;
  query.attrs = {kLevel};
  query.max_samples = 50;
  auto entity = temporal->retrieve("", "urn:ngsi-ld:Sensor:big", query);
  ASSERT_TRUE(entity.ok()) << entity.error().detail;
  std::uint64_t counted = 0;
  for (const auto& dataset : entity->at("attrs").at(kLevel).as_array()) {
    counted += dataset.at("totalCount").at(0).at(0).to_number<std::uint64_t>();
  }
  EXPECT_EQ(counted, 401u);  // the created value and 400 appends
  TemporalQuery by_instances = query;
  by_instances.last_n = 1000;
  auto refused = temporal->retrieve("", "urn:ngsi-ld:Sensor:big", by_instances);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kTooManyResults);
}

}  // namespace
}  // namespace citytwin::core
