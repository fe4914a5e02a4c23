// The fast paths of temporal queries over compressed history (chunk statistics: chunks
// skipped by their observedAt/modifiedAt span, whole-chunk pre-aggregates, lastN read newest
// first) answer exactly what the slow path answers. The oracle is the memory store, which
// keeps history raw and has no chunks: every write goes to both stores through the same
// services and clock, and the RocksDB store's history is compacted into small chunks. Random
// histories with out-of-order observedAt, instances without observedAt, datasetIds, text
// values, and edits that explode chunks; every aggregation method, random periods, daily
// periods from midnight (per-day summaries).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <random>

#include "citytwin/common/instant.hpp"
#include "citytwin/core/entity_service.hpp"
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
constexpr const char* kSensor = "urn:ngsi-ld:Sensor:fast";
constexpr std::int64_t kStart = test_support::kTestStart;
constexpr std::int64_t kMinute = 60'000'000;

using test_support::expect_same;
// The page's entities with their histories' instances as JSON, as retrieve() gives them.
json::array page_entities(const TemporalPage& page) {
  json::array entities(page.entities.begin(), page.entities.end());
  for (std::size_t i = 0; i < page.histories.size(); ++i) {
    auto attrs = history_attrs_json(page.histories[i]);
    EXPECT_TRUE(attrs.ok());
    if (attrs) entities[i].as_object()["attrs"] = std::move(*attrs);
  }
  return entities;
}

using test_support::SteppingClock;
using test_support::TempDir;

class FastPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chunked = test_support::open_chunked_store(dir.path());
    ASSERT_NE(chunked, nullptr);
    raw = store::make_memory_store();
    fast = std::make_unique<TemporalService>(*chunked, clock);
    slow = std::make_unique<TemporalService>(*raw, clock);
  }

  void add(const json::object& entity) {
    auto a = fast->add_history("", entity);
    auto b = slow->add_history("", entity);
    ASSERT_TRUE(a.ok()) << a.error().detail;
    ASSERT_TRUE(b.ok()) << b.error().detail;
  }

  // Batches of instances through the temporal API: numbers (mostly) observed around a
  // drifting instant, out of order, some without observedAt, some of a second dataset; and a
  // text attribute now and then.
  void write_random(int batches, std::uint64_t seed) {
    std::mt19937_64 random(seed);
    auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
    std::int64_t observed = kStart;
    for (int batch = 0; batch < batches; ++batch) {
      json::array levels;
      json::array modes;
      for (int i = 0; i < 20; ++i) {
        observed += pick(2) == 0 ? kMinute : 9 * kMinute;  // about three days in all
        json::object level{{"type", "Property"}};
        level["value"] = pick(3) == 0 ? json::value(pick(100)) : json::value(pick(10000) / 16.0);
        std::int64_t at = observed + (pick(8) == 0 ? -pick(600) * kMinute : 0);
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
      json::object entity{{"id", kSensor},
                          {"type", json::array{"https://example.org/Sensor"}},
                          {"attrs", std::move(attrs)}};
      clock.micros += kMinute;
      add(entity);
    }
  }

  void expect_same_answer(const TemporalQuery& query) {
    auto a = fast->retrieve("", kSensor, query);
    auto b = slow->retrieve("", kSensor, query);
    ASSERT_EQ(a.ok(), b.ok()) << (a.ok() ? "" : a.error().detail)
                              << (b.ok() ? "" : b.error().detail);
    if (!a.ok()) {
      EXPECT_EQ(a.error().kind, b.error().kind);
      return;
    }
    expect_same(*a, *b, "");
  }

  // Random queries: every method alone, all but distinctCount (which disables
  // pre-aggregates), all eight; random periods, relations, windows and time properties;
  // then lastN.
  void check_random_queries(std::uint64_t seed, int rounds) {
    std::mt19937_64 random(seed);
    auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
    const std::vector<AggregationMethod>& all = test_support::kAllAggregationMethods;
    const auto& kPeriods = test_support::kTestPeriods;
    std::int64_t span = 6000 * kMinute;
    for (int round = 0; round < rounds; ++round) {
      TemporalQuery query;
      query.property = pick(4) == 0 ? TimeProperty::kModifiedAt : TimeProperty::kObservedAt;
      query.relation = static_cast<Relation>(pick(4));
      std::int64_t base = query.property == TimeProperty::kModifiedAt ? kStart : kStart - span / 4;
      query.time_at = base + static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(span));
      query.end_time_at = query.time_at + 1 +
                          static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(span));
      if (pick(3) == 0) query.attrs = {kLevel};
      SCOPED_TRACE("round " + std::to_string(round));
      if (pick(3) == 0) {
        static const std::size_t kLastN[] = {1, 2, 5, 60};
        query.last_n = kLastN[pick(4)];
        expect_same_answer(query);
        continue;
      }
      query.aggregation.emplace();
      switch (pick(3)) {
        case 0:
          query.aggregation->methods = {all[static_cast<std::size_t>(pick(8))]};
          break;
        case 1:
          query.aggregation->methods = all;
          query.aggregation->methods.erase(query.aggregation->methods.begin() + 1);
          break;
        default:
          query.aggregation->methods = all;
      }
      query.aggregation->period = *series::parse_period_duration(kPeriods[pick(6)]);
      if (pick(3) == 0) {
        // Daily periods from UTC midnight: the chunks' per-day summaries apply.
        constexpr std::int64_t kDay = 86'400'000'000;
        query.time_at -= query.time_at % kDay;
        query.end_time_at = query.time_at + (1 + pick(4)) * kDay;
        query.aggregation->period = *series::parse_period_duration(pick(2) == 0 ? "P1D" : "P2D");
      }
      expect_same_answer(query);
    }
  }

  // The instanceId of the k-th instance of kLevel by modifiedAt in one service's history.
  static std::string instance_id(const TemporalService& service, std::size_t k) {
    TemporalQuery query;
    query.property = TimeProperty::kModifiedAt;
    query.attrs = {kLevel};
    auto entity = service.retrieve("", kSensor, query);
    EXPECT_TRUE(entity.ok());
    if (!entity.ok()) return {};
    const auto& instances = entity->at("attrs").at(kLevel).as_array();
    return std::string(instances.at(k % instances.size()).at("instanceId").as_string());
  }

  TempDir dir{"citytwin-fast"};
  SteppingClock clock;
  std::unique_ptr<store::EntityStore> chunked;
  std::unique_ptr<store::EntityStore> raw;
  std::unique_ptr<TemporalService> fast;
  std::unique_ptr<TemporalService> slow;
};

TEST_F(FastPathTest, CompactedHistoryAnswersAsRawHistory) {
  write_random(60, 3);
  check_random_queries(1, 150);  // before compaction: both raw
  ASSERT_TRUE(chunked->compact_history().ok());
  check_random_queries(2, 400);
}

// Readings as most sensors send them: decimal numbers, each with observedAt, in order, two
// datasets. Aggregations read their chunks as observedAt and values only, and the newest
// chunk's type from one rebuilt sample (store::ChunkUse::kObservedDecimals).
TEST_F(FastPathTest, DecimalReadingsAnswerAsRawHistory) {
  std::mt19937_64 random(17);
  for (int batch = 0; batch < 40; ++batch) {
    json::array levels;
    for (int i = 0; i < 20; ++i) {
      const std::int64_t n = batch * 20 + i;
      json::object level{
          {"type", "Property"},
          {"value", static_cast<double>(static_cast<int>(random() % 4000) - 2000) / 100},
          {"unitCode", "CEL"},
          {"observedAt", format_date_time(Instant{kStart + n * kMinute})}};
      if (n % 5 == 0) level["datasetId"] = "urn:ngsi-ld:Dataset:b";
      levels.push_back(std::move(level));
    }
    clock.micros += kMinute;
    add(json::object{{"id", kSensor},
                     {"type", json::array{"https://example.org/Sensor"}},
                     {"attrs", json::object{{kLevel, std::move(levels)}}}});
  }
  ASSERT_TRUE(chunked->compact_history().ok());
  check_random_queries(4, 300);
}

TEST_F(FastPathTest, EditsThatExplodeChunksAreReflected) {
  write_random(50, 5);
  ASSERT_TRUE(chunked->compact_history().ok());
  std::mt19937_64 random(9);
  for (int edit = 0; edit < 12; ++edit) {
    std::size_t k = random() % 1000;
    std::string a = instance_id(*fast, k);
    std::string b = instance_id(*slow, k);
    if (edit % 3 == 0) {
      ASSERT_TRUE(fast->delete_instance("", kSensor, kLevel, a).ok());
      ASSERT_TRUE(slow->delete_instance("", kSensor, kLevel, b).ok());
    } else {
      json::object changed{{"value", 5000.25 + edit}};
      ASSERT_TRUE(fast->modify_instance("", kSensor, kLevel, a, changed).ok());
      ASSERT_TRUE(slow->modify_instance("", kSensor, kLevel, b, changed).ok());
    }
  }
  check_random_queries(4, 250);  // exploded chunks as raw rows beside the others
  ASSERT_TRUE(chunked->compact_history().ok());
  check_random_queries(6, 250);  // compacted again
  write_random(5, 8);            // later raw rows beside the chunks
  check_random_queries(7, 150);
}

// lastN decodes each instance's newest chunk by modifiedAt in its first walk. Histories where
// that chunk does not hold the newest instants: one written first with an observedAt far
// ahead of the rest (so it sits in the oldest chunk), the newest instance deleted, and raw
// rows written after compaction with older observedAt than the chunks hold.
TEST_F(FastPathTest, LastNWhenTheNewestInstantIsNotInTheNewestChunk) {
  auto level = [](double value, std::int64_t observed) {
    return json::object{{"type", "Property"},
                        {"value", value},
                        {"observedAt", format_date_time(Instant{observed})}};
  };
  auto write = [&](const json::array& levels) {
    clock.micros += kMinute;
    add(json::object{{"id", kSensor},
                     {"type", json::array{"https://example.org/Sensor"}},
                     {"attrs", json::object{{kLevel, levels}}}});
  };
  write(json::array{level(99.5, kStart + 100'000 * kMinute)});  // far ahead, written first
  for (int batch = 0; batch < 10; ++batch) {
    json::array levels;
    for (int i = 0; i < 20; ++i)
      levels.push_back(level(batch * 20 + i, kStart + (batch * 20 + i) * kMinute));
    write(levels);
  }
  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    for (std::size_t n : {1u, 2u, 3u, 25u, 300u}) {
      for (auto property : {TimeProperty::kObservedAt, TimeProperty::kModifiedAt}) {
        TemporalQuery query;
        query.last_n = n;
        query.property = property;
        expect_same_answer(query);
        query.relation = Relation::kBefore;
        query.time_at = kStart + 150 * kMinute;
        expect_same_answer(query);
      }
    }
  };
  check("raw");
  ASSERT_TRUE(chunked->compact_history().ok());
  check("compacted");
  // Delete the newest instance by modifiedAt (in the newest chunk: the chunk explodes).
  TemporalQuery by_modified;
  by_modified.property = TimeProperty::kModifiedAt;
  by_modified.last_n = 1;
  auto newest_id = [&](const TemporalService& service) {
    auto entity = service.retrieve("", kSensor, by_modified);
    EXPECT_TRUE(entity.ok());
    return std::string(
        entity->at("attrs").at(kLevel).as_array().at(0).at("instanceId").as_string());
  };
  ASSERT_TRUE(fast->delete_instance("", kSensor, kLevel, newest_id(*fast)).ok());
  ASSERT_TRUE(slow->delete_instance("", kSensor, kLevel, newest_id(*slow)).ok());
  check("newest deleted");
  ASSERT_TRUE(chunked->compact_history().ok());
  check("compacted again");
  write(json::array{level(-1, kStart - 5 * kMinute), level(-2, kStart + 30 * kMinute)});
  check("late raw rows beside the chunks");
}

// The RocksDB store's newest-sample cache (lastN=1 of one attribute over its whole history,
// EntityStore::find_newest) answers exactly as the walk, whatever wrote the history since it
// was filled: random temporal imports (small, and large enough to be packed into chunks as
// they are written), writes and deletions through the entity API (deletion samples), edits
// and deletions of recorded instances, erased attribute histories, retention trims and
// compactions. After each step lastN=1 is asked twice (the first may fill, the second is a
// hit) in both orders: the answer equals the memory store's, and its instanceId the newest
// of lastN=2, which the cache never answers.
TEST_F(FastPathTest, NewestSampleCacheAnswersAsTheWalk) {
  EntityService fast_entities(*chunked, clock);
  EntityService slow_entities(*raw, clock);
  std::mt19937_64 random(31);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
  auto both = [](const Status& a, const Status& b) {
    ASSERT_EQ(a.ok(), b.ok()) << (a.ok() ? "" : a.error().detail)
                              << (b.ok() ? "" : b.error().detail);
  };
  auto check = [&](const std::string& step) {
    SCOPED_TRACE(step);
    for (const char* attribute : {kLevel, kMode}) {
      for (auto property : {TimeProperty::kObservedAt, TimeProperty::kModifiedAt}) {
        TemporalQuery query;
        query.last_n = 1;
        query.property = property;
        query.attrs = {attribute};
        expect_same_answer(query);
        expect_same_answer(query);
        auto one = fast->retrieve("", kSensor, query);
        query.last_n = 2;
        auto two = fast->retrieve("", kSensor, query);
        ASSERT_EQ(one.ok(), two.ok());
        if (!one.ok()) continue;
        const auto* newest = one->at("attrs").as_object().if_contains(attribute);
        const auto* walked = two->at("attrs").as_object().if_contains(attribute);
        ASSERT_EQ(newest == nullptr, walked == nullptr);
        if (newest != nullptr) {
          EXPECT_EQ(newest->as_array().back(), walked->as_array().back());
        }
      }
    }
  };
  auto level = [](double value, std::optional<std::int64_t> observed, bool other_dataset) {
    json::object instance{{"type", "Property"}, {"value", value}};
    if (observed) instance["observedAt"] = format_date_time(Instant{*observed});
    if (other_dataset) instance["datasetId"] = "urn:ngsi-ld:Dataset:b";
    return instance;
  };
  write_random(3, 40);
  check("start");
  for (int step = 0; step < 160; ++step) {
    const int kind = pick(10);
    const std::string name = "step " + std::to_string(step) + " kind " + std::to_string(kind);
    switch (kind) {
      case 0:
        write_random(1, 100 + static_cast<std::uint64_t>(step));
        break;
      case 1: {  // an import packed into chunks as it is written
        json::array levels;
        std::int64_t observed = kStart + pick(4000) * kMinute;
        for (int i = 0; i < 60; ++i)
          levels.push_back(level(i + step, observed + i * kMinute, false));
        clock.micros += kMinute;
        add(json::object{{"id", kSensor},
                         {"type", json::array{"https://example.org/Sensor"}},
                         {"attrs", json::object{{kLevel, std::move(levels)}}}});
        break;
      }
      case 2: {  // the entity API: a new current value, or the attribute deleted
        clock.micros += kMinute;
        if (pick(3) == 0) {
          both(fast_entities.delete_attribute("", kSensor, kLevel, std::nullopt, false),
               slow_entities.delete_attribute("", kSensor, kLevel, std::nullopt, false));
          break;
        }
        json::object entity{{"id", kSensor}, {"type", json::array{"https://example.org/Sensor"}}};
        entity[kLevel] = level(pick(100), kStart + pick(5000) * kMinute, pick(4) == 0);
        auto a = fast_entities.replace("", kSensor, entity);
        auto b = slow_entities.replace("", kSensor, entity);
        if (!a.ok()) a = fast_entities.create("", entity);
        if (!b.ok()) b = slow_entities.create("", entity);
        both(a, b);
        break;
      }
      case 3:
      case 4: {  // an edit or a deletion of a recorded instance
        std::size_t k = random() % 1000;
        std::string a = instance_id(*fast, k);
        std::string b = instance_id(*slow, k);
        if (a.empty() || b.empty()) break;
        clock.micros += kMinute;
        if (kind == 3) {
          json::object changed{{"value", 7000.5 + step}};
          if (pick(2) == 0)
            changed["observedAt"] = format_date_time(Instant{kStart + 9000 * kMinute});
          both(fast->modify_instance("", kSensor, kLevel, a, changed),
               slow->modify_instance("", kSensor, kLevel, b, changed));
        } else {
          both(fast->delete_instance("", kSensor, kLevel, a),
               slow->delete_instance("", kSensor, kLevel, b));
        }
        break;
      }
      case 5:  // an attribute's whole history erased
        both(fast->delete_attribute_history("", kSensor, kMode, std::nullopt, true),
             slow->delete_attribute_history("", kSensor, kMode, std::nullopt, true));
        break;
      case 6: {  // retention: the samples recorded before a cutoff
        store::Change change = store::Change::history_only(kSensor);
        store::HistoryErase erase;
        erase.attribute = pick(2) == 0 ? std::string(kLevel) : std::string();
        erase.before = clock.micros - pick(40) * kMinute;
        change.erase_history.push_back(erase);
        std::vector<store::Change> changes{change};
        both(chunked->apply("", changes), raw->apply("", changes));
        break;
      }
      case 7:
        ASSERT_TRUE(chunked->compact_history().ok());
        break;
      default: {  // late instances, some without observedAt
        json::array levels;
        for (int i = 0; i < 3; ++i) {
          std::optional<std::int64_t> observed;
          if (pick(4) != 0) observed = kStart + pick(6000) * kMinute;
          levels.push_back(level(pick(50), observed, pick(3) == 0));
        }
        clock.micros += kMinute;
        add(json::object{{"id", kSensor},
                         {"type", json::array{"https://example.org/Sensor"}},
                         {"attrs", json::object{{kLevel, std::move(levels)}}}});
      }
    }
    check(name);
    if (HasFatalFailure()) return;
  }
}

// A page's entities read on several threads (TemporalService::set_query_threads) answer
// exactly as read one after another: the same entities in the same order, the same periods
// and instances, the same page cut, and the same TooManyResults where the sample budget of
// the whole page runs out (lastN's walk holds up to 2n + 64 instances of an entity before it
// trims them, so a page can fail on a budget larger than what it finally keeps).
TEST_F(FastPathTest, PagesReadInParallelAnswerAsOneByOne) {
  constexpr int kSensors = 80;
  std::mt19937_64 random(21);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
  std::vector<std::string> ids;
  for (int s = 0; s < kSensors; ++s) {
    char id[48];
    std::snprintf(id, sizeof id, "urn:ngsi-ld:Sensor:p%02d", s);
    ids.emplace_back(id);
    json::array levels;
    const int count = 40 + pick(120);
    for (int i = 0; i < count; ++i) {
      json::object level{{"type", "Property"}, {"value", pick(1000) / 4.0}};
      std::int64_t observed = kStart + (i + (pick(10) == 0 ? -pick(30) : 0)) * kMinute;
      if (pick(25) != 0) level["observedAt"] = format_date_time(Instant{observed});
      levels.push_back(std::move(level));
    }
    clock.micros += kMinute;
    auto added =
        fast->add_history("", json::object{{"id", ids.back()},
                                           {"type", json::array{"https://example.org/Sensor"}},
                                           {"attrs", json::object{{kLevel, levels}}}});
    ASSERT_TRUE(added.ok()) << added.error().detail;
  }
  ids.emplace_back("urn:ngsi-ld:Sensor:none");  // not found: left out of the page
  TemporalService parallel(*chunked, clock);
  parallel.set_query_threads(4);
  auto text = [](const Result<TemporalPage>& page) -> std::string {
    if (!page)
      return "error " + std::to_string(static_cast<int>(page.error().kind)) + " " +
             page.error().detail;
    std::string out = json::serialize(page_entities(*page));
    for (const AggregatedAttrs& attrs : page->aggregated) {
      for (const AggregatedAttribute& attribute : attrs) {
        out += " " + attribute.name;
        for (const std::string& dataset : attribute.datasets) out += " " + dataset;
      }
    }
    if (page->partial) {
      out += " partial " + std::to_string(page->partial->first) + "-" +
             std::to_string(page->partial->last);
    }
    return out;
  };
  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    int too_many = 0;
    for (int round = 0; round < 60; ++round) {
      TemporalQuery query;
      switch (round % 4) {
        case 0:
          query.last_n = static_cast<std::size_t>(1 + pick(3));
          query.max_samples = static_cast<std::size_t>(60 + pick(400));
          break;
        case 1:
          query.max_samples = static_cast<std::size_t>(2000 + pick(12000));
          query.page_size = static_cast<std::size_t>(pick(2) == 0 ? 0 : 20 + pick(100));
          break;
        case 2:
          query.aggregation.emplace();
          query.aggregation->methods = {AggregationMethod::kMax, AggregationMethod::kAvg};
          query.aggregation->period = *series::parse_period_duration("PT1H");
          break;
        default:
          query.last_n = 1;
          query.aggregation.emplace();
          query.aggregation->methods = {AggregationMethod::kSum};
          query.aggregation->period = *series::parse_period_duration("PT0S");
      }
      if (pick(2) == 0) {
        query.relation = Relation::kBetween;
        query.time_at = kStart + pick(60) * kMinute;
        query.end_time_at = query.time_at + (1 + pick(120)) * kMinute;
      }
      std::vector<std::string> page(ids.begin() + pick(20), ids.end());
      std::string one_by_one = text(fast->retrieve_page("", page, query));
      std::string at_once = text(parallel.retrieve_page("", page, query));
      EXPECT_EQ(one_by_one, at_once) << "round " << round;
      too_many += one_by_one.starts_with("error");
      if (!query.aggregation && !query.last_n && query.page_size == 0) {
        // Independently of the page's own budget accounting: the entities one request each,
        // every one with what the ones before it left of the budget (without lastN an
        // entity's charge is the instances it answers; lastN charges what its walk kept
        // before the final trim, which the answer does not show).
        std::size_t budget = query.max_samples;
        std::string expected;
        json::array entities;
        for (const std::string& id : page) {
          TemporalQuery one = query;
          one.max_samples = budget;
          auto answer = fast->retrieve_page("", {id}, one);
          if (!answer) {
            expected = "error " + std::to_string(static_cast<int>(answer.error().kind));
            break;
          }
          for (const auto& entity : page_entities(*answer)) {
            for (const auto& [name, instances] : entity.at("attrs").as_object()) {
              budget -= std::min(budget, instances.as_array().size());
            }
            entities.push_back(entity);
          }
        }
        if (expected.empty()) expected = json::serialize(entities);
        EXPECT_EQ(at_once.substr(0, expected.size()), expected) << "round " << round;
      }
    }
    EXPECT_GT(too_many, 0);  // the budget ran out in some rounds
  };
  check("raw");
  ASSERT_TRUE(chunked->compact_history().ok());
  check("compacted");
}

}  // namespace
}  // namespace citytwin::core
