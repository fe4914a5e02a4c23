#include "citytwin/core/temporal_service.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/store/memory_store.hpp"
#include "query_workers.hpp"

namespace citytwin::core {
namespace {

namespace json = boost::json;
using Relation = TemporalQuery::Relation;
using TimeProperty = TemporalQuery::TimeProperty;

constexpr const char* kTemperature = "https://example.org/temperature";
constexpr const char* kStatus = "https://uri.etsi.org/ngsi-ld/status";
constexpr const char* kId = "urn:ngsi-ld:S:1";

class FixedClock final : public Clock {
 public:
  Instant now() const override { return Instant{micros}; }
  std::int64_t micros = 1'800'000'000'000'000;
};

std::int64_t at(const char* text) {
  return parse_date_time(text)->micros;
}

class TemporalServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    json::object entity{
        {"id", kId},
        {"type", json::array{"https://example.org/S"}},
        {"attrs",
         json::object{
             {kTemperature,
              json::array{json::object{
                  {"type", "Property"}, {"value", 20}, {"observedAt", "2026-03-01T08:00:00Z"}}}},
             {kStatus, json::array{json::object{{"type", "Property"}, {"value", "ok"}}}}}}};
    ASSERT_TRUE(entities.create("", entity).ok());
    for (int step = 1; step <= 3; ++step) {
      clock.micros += 1'000'000;
      char observed[32];
      std::snprintf(observed, sizeof observed, "2026-03-01T%02d:00:00Z", 8 + step);
      ASSERT_TRUE(entities
                      .patch_attribute("", kId, kTemperature,
                                       json::object{{"value", 20 + step}, {"observedAt", observed}})
                      .ok());
    }
  }

  std::vector<std::int64_t> values(const TemporalQuery& query,
                                   const char* attribute = kTemperature) {
    auto entity = temporal.retrieve("", kId, query);
    EXPECT_TRUE(entity.ok()) << (entity.ok() ? "" : entity.error().detail);
    std::vector<std::int64_t> out;
    if (!entity.ok()) return out;
    const auto* list = entity->at("attrs").as_object().if_contains(attribute);
    if (list == nullptr) return out;
    for (const auto& instance : list->as_array()) {
      const auto& value = instance.as_object().at("value");
      out.push_back(value.is_string() ? -1 : value.to_number<std::int64_t>());
    }
    return out;
  }

  std::unique_ptr<store::EntityStore> store = store::make_memory_store();
  FixedClock clock;
  EntityService entities{*store, clock};
  TemporalService temporal{*store, clock};
};

TEST_F(TemporalServiceTest, WholeHistoryInTimeOrder) {
  EXPECT_THAT(values({}), ::testing::ElementsAre(20, 21, 22, 23));
}

TEST_F(TemporalServiceTest, TimeRelationsOnObservedAt) {
  TemporalQuery before;
  before.relation = Relation::kBefore;
  before.time_at = at("2026-03-01T10:00:00Z");
  EXPECT_THAT(values(before), ::testing::ElementsAre(20, 21));
  TemporalQuery after = before;
  after.relation = Relation::kAfter;
  EXPECT_THAT(values(after), ::testing::ElementsAre(23));
  TemporalQuery between = before;
  between.relation = Relation::kBetween;
  between.time_at = at("2026-03-01T09:00:00Z");
  between.end_time_at = at("2026-03-01T11:00:00Z");
  EXPECT_THAT(values(between), ::testing::ElementsAre(21, 22));
  EXPECT_THAT(values(between, kStatus), ::testing::IsEmpty());  // no observedAt
}

TEST_F(TemporalServiceTest, LastNAndAttributeSelection) {
  TemporalQuery query;
  query.last_n = 2;
  query.attrs = {kTemperature};
  EXPECT_THAT(values(query), ::testing::ElementsAre(22, 23));
  TemporalQuery status;
  status.attrs = {kStatus};
  EXPECT_EQ(values(status, kStatus).size(), 1u);
}

TEST_F(TemporalServiceTest, ModifiedAtRangesUseTheStoreOrder) {
  TemporalQuery query;
  query.property = TimeProperty::kModifiedAt;
  query.relation = Relation::kAfter;
  query.time_at = clock.micros - 2'000'000;  // after the first patch
  EXPECT_THAT(values(query), ::testing::ElementsAre(22, 23));
}

TEST_F(TemporalServiceTest, DeletionsAndDeletedEntities) {
  clock.micros += 1'000'000;
  ASSERT_TRUE(entities.remove("", kId).ok());
  TemporalQuery deletions;
  deletions.property = TimeProperty::kDeletedAt;
  EXPECT_THAT(values(deletions), ::testing::ElementsAre(-1));  // the null marker
  auto entity = temporal.retrieve("", kId, {});
  ASSERT_TRUE(entity.ok());
  EXPECT_EQ(entity->at("type").as_array().front().as_string(), "https://example.org/S");
}

TEST_F(TemporalServiceTest, TooManySamplesIsAnErrorNotACut) {
  TemporalQuery query;
  query.max_samples = 2;
  auto entity = temporal.retrieve("", kId, query);
  ASSERT_FALSE(entity.ok());
  EXPECT_EQ(entity.error().kind, ErrorKind::kTooManyResults);
}

TEST_F(TemporalServiceTest, UnknownEntityIsNotFound) {
  auto entity = temporal.retrieve("", "urn:ngsi-ld:S:none", {});
  ASSERT_FALSE(entity.ok());
  EXPECT_EQ(entity.error().kind, ErrorKind::kResourceNotFound);
}

// Aggregated queries (clause 4.5.19) over temperature 20, 21, 22, 23 observed hourly from
// 08:00, and status "ok".
class TemporalAggregationTest : public TemporalServiceTest {
 protected:
  Result<json::object> aggregate(std::vector<series::AggregationMethod> methods,
                                 series::PeriodDuration period = {}, bool attrs_named = false) {
    query.aggregation = TemporalAggregation{std::move(methods), period, 100'000, attrs_named};
    auto entity = temporal.retrieve("", kId, query);
    if (!entity) return std::move(entity).error();
    return entity->at("attrs").as_object();
  }

  // [[value, start, end], ...] of one method of the attribute's only dataset.
  static json::array periods(const json::object& attrs, const char* attribute, const char* method) {
    return attrs.at(attribute).as_array().front().as_object().at(method).as_array();
  }

  TemporalQuery query;
};

TEST_F(TemporalAggregationTest, HourlyPeriodsStartAtTimeAt) {
  query.relation = Relation::kBetween;
  query.time_at = at("2026-03-01T08:00:00Z");
  query.end_time_at = at("2026-03-01T12:00:00Z");
  auto attrs =
      aggregate({series::AggregationMethod::kAvg}, series::PeriodDuration{0, 7'200'000'000});
  ASSERT_TRUE(attrs.ok()) << attrs.error().detail;
  auto avg = periods(*attrs, kTemperature, "avg");
  ASSERT_EQ(avg.size(), 2u);
  EXPECT_EQ(avg[0], (json::array{20.5, "2026-03-01T08:00:00.000Z", "2026-03-01T10:00:00.000Z"}));
  EXPECT_EQ(avg[1], (json::array{22.5, "2026-03-01T10:00:00.000Z", "2026-03-01T12:00:00.000Z"}));
}

TEST_F(TemporalAggregationTest, ZeroPeriodIsTheWholeSelection) {
  using M = series::AggregationMethod;
  query.attrs = {kTemperature};
  auto attrs = aggregate(
      {M::kTotalCount, M::kDistinctCount, M::kSum, M::kSumsq, M::kMin, M::kMax, M::kStddev});
  ASSERT_TRUE(attrs.ok()) << attrs.error().detail;
  auto first = [&](const char* method) {
    return periods(*attrs, kTemperature, method)[0].as_array();
  };
  EXPECT_EQ(first("totalCount")[0], json::value(4u));
  EXPECT_EQ(first("distinctCount")[0], json::value(4u));
  EXPECT_EQ(first("sum")[0].to_number<double>(), 86.0);
  EXPECT_EQ(first("sumsq")[0].to_number<double>(), 400.0 + 441 + 484 + 529);
  EXPECT_EQ(first("min")[0].to_number<double>(), 20.0);
  EXPECT_EQ(first("max")[0].to_number<double>(), 23.0);
  EXPECT_NEAR(first("stddev")[0].to_number<double>(), std::sqrt(1.25), 1e-12);
  // From the oldest instance to just after the newest.
  EXPECT_EQ(first("sum")[1], json::value("2026-03-01T08:00:00.000Z"));
  EXPECT_EQ(first("sum")[2], json::value("2026-03-01T11:00:00.000001Z"));
}

TEST_F(TemporalAggregationTest, NumericMethodsSkipTextUnlessTheClientNamedIt) {
  using M = series::AggregationMethod;
  query.property = TimeProperty::kModifiedAt;  // status has no observedAt
  auto attrs = aggregate({M::kTotalCount, M::kSum, M::kMax});
  ASSERT_TRUE(attrs.ok()) << attrs.error().detail;
  const auto& status = attrs->at(kStatus).as_array().front().as_object();
  EXPECT_TRUE(status.contains("totalCount"));
  EXPECT_TRUE(status.contains("max"));  // text has an order
  EXPECT_FALSE(status.contains("sum"));
  EXPECT_EQ(status.at("max").as_array()[0].as_array()[0], json::value("ok"));

  query.attrs = {kStatus};
  auto named = aggregate({M::kSum}, {}, /*attrs_named=*/true);
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error().kind, ErrorKind::kBadRequestData);
}

TEST_F(TemporalAggregationTest, LastNAppliesBeforeAggregating) {
  query.last_n = 2;
  auto attrs = aggregate({series::AggregationMethod::kAvg});
  ASSERT_TRUE(attrs.ok()) << attrs.error().detail;
  EXPECT_EQ(periods(*attrs, kTemperature, "avg")[0].as_array()[0].to_number<double>(), 22.5);
}

// The answer is written as text (aggregated_attrs.hpp): names, datasetIds and text values
// that need escaping come out as JSON strings holding exactly what was stored.
TEST_F(TemporalAggregationTest, TextAnswerEscapesDatasetIdsAndTextValues) {
  using M = series::AggregationMethod;
  const std::string dataset = "urn:ngsi-ld:Dataset:\"quoted\"\\path\u00e9";
  const std::string text = "line \"one\"\n\ttab\\";
  ASSERT_TRUE(entities
                  .append_attributes(
                      "", kId,
                      json::object{{kStatus, json::array{json::object{{"type", "Property"},
                                                                      {"value", text},
                                                                      {"datasetId", dataset}}}}},
                      false)
                  .ok());
  query.property = TimeProperty::kModifiedAt;
  query.attrs = {kStatus};
  query.aggregation = TemporalAggregation{{M::kMax, M::kTotalCount}, {}, 100'000, false};
  auto page = temporal.retrieve_page("", {kId}, query);
  ASSERT_TRUE(page.ok()) << page.error().detail;
  ASSERT_EQ(page->aggregated.size(), 1u);
  ASSERT_EQ(page->aggregated[0].size(), 1u);
  const AggregatedAttribute& status = page->aggregated[0][0];
  EXPECT_EQ(status.name, kStatus);
  ASSERT_EQ(status.datasets.size(), 2u);  // the default instance, then the datasetId
  for (const std::string& object : status.datasets) {
    boost::system::error_code ec;
    auto parsed = json::parse(object, ec);
    ASSERT_FALSE(ec) << object;
    EXPECT_TRUE(parsed.is_object()) << object;
  }
  auto attrs = aggregate({M::kMax, M::kTotalCount});
  ASSERT_TRUE(attrs.ok()) << attrs.error().detail;
  const auto& list = attrs->at(kStatus).as_array();
  ASSERT_EQ(list.size(), 2u);
  const auto& named = list[1].as_object();
  EXPECT_EQ(named.at("datasetId"), json::value(dataset));
  EXPECT_EQ(named.at("type"), json::value("Property"));
  EXPECT_EQ(named.at("max").as_array()[0].as_array()[0], json::value(text));
  EXPECT_EQ(named.at("totalCount").as_array()[0].as_array()[0], json::value(1u));
  EXPECT_EQ(list[0].as_object().at("max").as_array()[0].as_array()[0], json::value("ok"));
}

TEST_F(TemporalAggregationTest, TooManyPeriodsIsAnError) {
  query.relation = Relation::kBetween;
  query.time_at = at("2026-01-01T00:00:00Z");
  query.end_time_at = at("2027-01-01T00:00:00Z");
  auto attrs = aggregate({series::AggregationMethod::kAvg}, series::PeriodDuration{0, 1'000'000});
  ASSERT_FALSE(attrs.ok());
  EXPECT_EQ(attrs.error().kind, ErrorKind::kTooManyResults);
}

// Clause 6.3.10: a page ends at one instant for every attribute, never splitting it.
TEST_F(TemporalServiceTest, PagesCutEveryAttributeAtOneInstant) {
  TemporalQuery query;
  query.page_size = 2;
  query.attrs = {kTemperature};
  auto page = temporal.retrieve_page("", {kId}, query);
  ASSERT_TRUE(page.ok()) << page.error().detail;
  ASSERT_TRUE(page->partial.has_value());
  EXPECT_EQ(page->partial->first, at("2026-03-01T08:00:00Z"));
  EXPECT_EQ(page->partial->last, at("2026-03-01T09:00:00Z"));
  ASSERT_EQ(page->histories.size(), 1u);
  ASSERT_EQ(page->histories.front().size(), 1u);
  EXPECT_EQ(page->histories.front().front().name, kTemperature);
  EXPECT_EQ(page->histories.front().front().instances.size(), 2u);

  query.relation = Relation::kAfter;  // the next page starts after the last instant
  query.time_at = page->partial->last;
  auto next = temporal.retrieve_page("", {kId}, query);
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->partial.has_value());  // 22 and 23: fits
  EXPECT_THAT(values(query), ::testing::ElementsAre(22, 23));

  query = {};
  query.page_size = 2;
  query.last_n = 3;  // more than a page holds
  auto too_many = temporal.retrieve_page("", {kId}, query);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().kind, ErrorKind::kTooManyResults);
}

TEST_F(TemporalServiceTest, EntitiesKnownOnlyByTheirHistoryAreMatchedByType) {
  json::object imported{
      {"id", "urn:ngsi-ld:S:imported"},
      {"type", json::array{"https://example.org/S"}},
      {"attrs", json::object{{kTemperature,
                              json::array{json::object{{"type", "Property"},
                                                       {"value", 5},
                                                       {"observedAt", "2026-03-01T07:00:00Z"}}}}}}};
  auto created = temporal.add_history("", imported);
  ASSERT_TRUE(created.ok()) << created.error().detail;
  EXPECT_TRUE(*created);
  EntityQuery query;
  EntitySelector selector;
  selector.types.alternatives = {{"https://example.org/S"}};
  query.selectors.push_back(selector);
  query.count = true;
  auto matched = temporal.match_entities("", query);
  ASSERT_TRUE(matched.ok()) << matched.error().detail;
  ASSERT_EQ(matched->entities.size(), 2u);  // the live one and the imported one, by id
  EXPECT_EQ(matched->entities[0].at("id"), json::value(kId));
  EXPECT_EQ(matched->entities[1].at("id"), json::value("urn:ngsi-ld:S:imported"));
  EXPECT_EQ(matched->total, 2u);
  ASSERT_TRUE(temporal.delete_history("", "urn:ngsi-ld:S:imported").ok());
  EXPECT_EQ(temporal.match_entities("", query)->entities.size(), 1u);
}

// The one-type path merges the two type indexes as it reads them and stops after the page:
// every page of every size is the matching slice of the whole ordered list, with `more`
// and `total` as if every match had been collected.
TEST_F(TemporalServiceTest, PagesByOneTypeAreSlicesOfTheWholeMatch) {
  auto history_only = [&](const std::string& id, const char* type) {
    json::object imported{
        {"id", id},
        {"type", json::array{type}},
        {"attrs", json::object{{kTemperature, json::array{json::object{
                                                  {"type", "Property"},
                                                  {"value", 5},
                                                  {"observedAt", "2026-03-01T07:00:00Z"}}}}}}};
    auto created = temporal.add_history("", imported);
    ASSERT_TRUE(created.ok()) << created.error().detail;
  };
  std::vector<std::string> expected{kId};
  for (int i = 0; i < 6; ++i) {
    std::string id = "urn:ngsi-ld:S:live" + std::to_string(i);
    json::object entity{
        {"id", id},
        {"type", json::array{"https://example.org/S"}},
        {"attrs", json::object{{kTemperature,
                                json::array{json::object{{"type", "Property"}, {"value", i}}}}}}};
    ASSERT_TRUE(entities.create("", entity).ok());
    expected.push_back(id);
    std::string imported = "urn:ngsi-ld:S:old" + std::to_string(i);
    history_only(imported, "https://example.org/S");
    expected.push_back(imported);
    history_only("urn:ngsi-ld:S:other" + std::to_string(i), "https://example.org/Other");
  }
  std::sort(expected.begin(), expected.end());
  EntityQuery query;
  EntitySelector selector;
  selector.types.alternatives = {{"https://example.org/S"}};
  query.selectors.push_back(selector);
  for (bool count : {false, true}) {
    for (std::size_t limit : {1u, 2u, 5u, 13u, 20u}) {
      for (std::size_t offset = 0; offset <= expected.size() + 1; ++offset) {
        query.count = count;
        query.limit = limit;
        query.offset = offset;
        auto matched = temporal.match_entities("", query);
        ASSERT_TRUE(matched.ok()) << matched.error().detail;
        std::vector<std::string> ids;
        for (const auto& entity : matched->entities) {
          ids.emplace_back(entity.at("id").as_string());
        }
        std::vector<std::string> slice(
            expected.begin() + static_cast<std::ptrdiff_t>(std::min(offset, expected.size())),
            expected.begin() +
                static_cast<std::ptrdiff_t>(std::min(offset + limit, expected.size())));
        EXPECT_EQ(ids, slice) << "offset " << offset << " limit " << limit;
        EXPECT_EQ(matched->more, offset + limit < expected.size());
        if (count) {
          EXPECT_EQ(matched->total, expected.size());
        } else {
          EXPECT_FALSE(matched->total.has_value());
        }
      }
    }
  }
}

// Several callers share the workers: each gets every one of its indexes run exactly once,
// and an exception thrown by one item reaches its caller only, after every worker let go.
TEST(QueryWorkersTest, ConcurrentCallersGetEachIndexOnce) {
  QueryWorkers workers(3);
  std::vector<std::thread> callers;
  std::vector<int> failures(4, 0);
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < 50; ++round) {
        const std::size_t count = 1 + static_cast<std::size_t>((c * 37 + round * 11) % 300);
        std::vector<std::atomic<int>> seen(count);
        workers.for_each_index(count, 4, [&](std::size_t i) { seen[i].fetch_add(1); });
        for (auto& times : seen) failures[static_cast<std::size_t>(c)] += times.load() != 1;
      }
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
  EXPECT_THROW(workers.for_each_index(200, 1,
                                      [](std::size_t i) {
                                        if (i == 150) throw std::runtime_error("item 150");
                                      }),
               std::runtime_error);
  std::atomic<std::size_t> after{0};
  workers.for_each_index(100, 1, [&](std::size_t) { after.fetch_add(1); });
  EXPECT_EQ(after.load(), 100u);
}

}  // namespace
}  // namespace citytwin::core
