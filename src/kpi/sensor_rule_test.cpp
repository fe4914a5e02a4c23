// Sensor-derived inputs against a naive reference computed here from the same samples.
#include "citytwin/kpi/sensor_rule.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cstdio>
#include <map>

#include "citytwin/core/temporal_service.hpp"
#include "citytwin/kpi/kpi_service.hpp"
#include "citytwin/kpi/result_entity.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/store/memory_store.hpp"

namespace citytwin::kpi {
namespace {

namespace form = model::form;

class FixedClock final : public Clock {
 public:
  Instant now() const override { return Instant{1'767'225'600'000'000}; }  // 2026-01-01
};

struct Station {
  std::string id;
  double lon;
  double lat;
  // (day of 2025 from 1, hour, pm25)
  std::vector<std::tuple<int, int, double>> samples;
};

// Two stations inside the city square [0,1]x[0,1], one outside; a sample in 2024 and one in
// 2026 that the 2025 window must leave out.
const std::vector<Station> kStations = {
    {"urn:ngsi-ld:AirQualityObserved:in1",
     0.5,
     0.5,
     {{1, 8, 10}, {1, 20, 30}, {2, 8, 12}, {3, 8, 40}, {0, 8, 500}}},
    {"urn:ngsi-ld:AirQualityObserved:in2", 0.2, 0.7, {{1, 9, 20}, {2, 9, 14}, {366, 9, 700}}},
    {"urn:ngsi-ld:AirQualityObserved:out", 5.0, 5.0, {{1, 9, 1000}, {2, 9, 1000}}},
};

std::string observed(int day, int hour) {
  // day 0 = 2024-12-31, day 1 = 2025-01-01, day 366 = 2026-01-01
  std::int64_t micros = period_window("2025").first +
                        (static_cast<std::int64_t>(day - 1) * 24 + hour) * 3'600'000'000LL;
  return format_date_time(Instant{micros});
}

// The naive reference: every sample of the stations inside the square in 2025.
std::vector<std::pair<int, double>> reference_samples() {
  std::vector<std::pair<int, double>> out;
  for (const auto& station : kStations) {
    bool inside = station.lon >= 0 && station.lon <= 1 && station.lat >= 0 && station.lat <= 1;
    if (!inside) continue;
    for (const auto& [day, hour, value] : station.samples) {
      if (day >= 1 && day <= 365) out.emplace_back(day, value);
    }
  }
  return out;
}

class SensorRuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& station : kStations) {
      boost::json::object location{
          {form::kType, form::kGeoProperty},
          {form::kValue,
           boost::json::object{{"type", "Point"}, {"coordinates", {station.lon, station.lat}}}}};
      boost::json::object entity{
          {form::kId, station.id},
          {form::kType, boost::json::array{vocab_iri("AirQualityObserved")}},
          {form::kAttrs, boost::json::object{{form::kLocationIri, boost::json::array{location}}}}};
      ASSERT_TRUE(entities_.create("", entity).ok());
      boost::json::array instances;
      for (const auto& [day, hour, value] : station.samples) {
        instances.push_back(boost::json::object{{form::kType, form::kProperty},
                                                {form::kValue, value},
                                                {form::kObservedAt, observed(day, hour)}});
      }
      ASSERT_TRUE(
          temporal_
              .append_history("", station.id, boost::json::object{{vocab_iri("pm25"), instances}})
              .ok());
    }
  }

  SensorRule rule(const std::string& aggregation, const std::string& unit,
                  const std::string& extra = "") {
    auto parsed = parse_sensor_rule(
        "pm25_annual_mean",
        boost::json::parse(R"({"city": "square", "entityType": "AirQualityObserved",
          "attribute": "pm25", "aggregation": ")" +
                           aggregation + R"(", "unit": ")" + unit +
                           R"(", "geoQ": {"geometry": "Polygon", "georel": "within",
          "coordinates": [[[0,0],[1,0],[1,1],[0,1],[0,0]]]})" +
                           extra + "}"));
    EXPECT_TRUE(parsed.ok()) << parsed.error().detail;
    return *parsed;
  }

  FixedClock clock_;
  std::unique_ptr<store::EntityStore> store_ = store::make_memory_store();
  core::EntityService entities_{*store_, clock_};
  core::TemporalService temporal_{*store_, clock_};
};

TEST_F(SensorRuleTest, MeanMinMaxSumCountMatchTheNaiveReference) {
  auto samples = reference_samples();
  ASSERT_EQ(samples.size(), 6u);
  double sum = 0;
  double low = 1e300;
  double high = -1e300;
  for (const auto& [_, value] : samples) {
    sum += value;
    low = std::min(low, value);
    high = std::max(high, value);
  }
  const std::map<std::string, double> expected = {
      {"mean", sum / samples.size()}, {"sum", sum}, {"min", low}, {"max", high}};
  for (const auto& [aggregation, value] : expected) {
    auto row = evaluate_sensor_rule(rule(aggregation, "ug/m3"), "2025", "", entities_, *store_);
    ASSERT_TRUE(row.ok()) << row.error().detail;
    EXPECT_NEAR(row->value, value, 1e-9) << aggregation;
    EXPECT_EQ(row->source, "sensor rule: 2 AirQualityObserved entities, 6 samples");
  }
  auto count = evaluate_sensor_rule(rule("count", "count"), "2025", "", entities_, *store_);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->value, 6);
}

TEST_F(SensorRuleTest, ShareOfDaysAboveMatchesTheNaiveReference) {
  std::map<int, std::pair<double, int>> days;
  for (const auto& [day, value] : reference_samples()) {
    days[day].first += value;
    ++days[day].second;
  }
  int above = 0;
  for (const auto& [_, day] : days) above += day.first / day.second > 15;
  double share = 100.0 * above / days.size();  // day 1: mean 20, day 2: 13, day 3: 40 -> 2/3
  auto row = evaluate_sensor_rule(rule("shareOfDaysAbove", "percent", R"(, "threshold": 15)"),
                                  "2025", "", entities_, *store_);
  ASSERT_TRUE(row.ok()) << row.error().detail;
  EXPECT_NEAR(row->value, share, 1e-9);
  EXPECT_NEAR(row->value, 200.0 / 3, 1e-9);
}

// "increase" reads each entity's samples as a cumulative meter: the sum of the rises between
// consecutive readings by observedAt, a drop counting as a reset from zero.
TEST_F(SensorRuleTest, IncreaseMatchesTheNaiveReference) {
  double expected = 0;
  for (const auto& station : kStations) {
    if (station.lon > 1 || station.lat > 1) continue;
    std::vector<std::tuple<int, int, double>> readings;
    for (const auto& sample : station.samples) {
      if (std::get<0>(sample) >= 1 && std::get<0>(sample) <= 365) readings.push_back(sample);
    }
    std::sort(readings.begin(), readings.end());
    for (std::size_t i = 1; i < readings.size(); ++i) {
      double previous = std::get<2>(readings[i - 1]);
      double current = std::get<2>(readings[i]);
      expected += current >= previous ? current - previous : current;
    }
  }
  // in1: 10 -> 30 -> 12 (reset) -> 40: 20 + 12 + 28; in2: 20 -> 14 (reset): 14.
  EXPECT_NEAR(expected, 74, 1e-9);
  auto row = evaluate_sensor_rule(rule("increase", "ug/m3"), "2025", "", entities_, *store_);
  ASSERT_TRUE(row.ok()) << row.error().detail;
  EXPECT_NEAR(row->value, expected, 1e-9);
  EXPECT_EQ(row->method.rfind("increase of pm25 observed in [2025-01-01T00:00:00", 0), 0u)
      << row->method;
}

// "areaShare": the share of the geoQ's region covered by the entities' current polygons,
// overlaps counted once; a park outside the region does not count.
TEST_F(SensorRuleTest, AreaShareCountsOverlapsOnce) {
  auto park = [this](const std::string& id, double west, double south, double east, double north) {
    boost::json::array ring{
        {west, south}, {east, south}, {east, north}, {west, north}, {west, south}};
    boost::json::object location{
        {form::kType, form::kGeoProperty},
        {form::kValue,
         boost::json::object{{"type", "Polygon"}, {"coordinates", boost::json::array{ring}}}}};
    boost::json::object entity{
        {form::kId, "urn:ngsi-ld:Park:" + id},
        {form::kType, boost::json::array{vocab_iri("Park")}},
        {form::kAttrs, boost::json::object{{form::kLocationIri, boost::json::array{location}}}}};
    ASSERT_TRUE(entities_.create("", entity).ok());
  };
  park("a", 0, 0, 0.5, 0.5);          // a quarter of the square
  park("b", 0.25, 0.25, 0.75, 0.75);  // a quarter, a sixteenth shared with a
  park("far", 2, 2, 3, 3);            // outside
  auto parsed = parse_sensor_rule("green_area_share", boost::json::parse(R"({
      "city": "square", "entityType": "Park", "attribute": "location",
      "aggregation": "areaShare", "unit": "percent",
      "geoQ": {"geometry": "Polygon", "georel": "intersects",
               "coordinates": [[[0,0],[1,0],[1,1],[0,1],[0,0]]]}})"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
  auto row = evaluate_sensor_rule(*parsed, "2025", "", entities_, *store_);
  ASSERT_TRUE(row.ok()) << row.error().detail;
  EXPECT_NEAR(row->value, 100.0 * 7 / 16, 1e-6);
  EXPECT_EQ(row->source, "sensor rule: 2 polygons of Park entities (0 without an area, 0 invalid)");
  // A region that is not an area is refused when the rule is declared.
  auto point = parse_sensor_rule("green_area_share", boost::json::parse(R"({
      "city": "square", "entityType": "Park", "attribute": "location",
      "aggregation": "areaShare", "unit": "percent",
      "geoQ": {"geometry": "Point", "georel": "near;maxDistance==10", "coordinates": [0,0]}})"));
  ASSERT_FALSE(point.ok());
}

TEST_F(SensorRuleTest, EmptyWindowGivesNoValue) {
  auto row = evaluate_sensor_rule(rule("mean", "ug/m3"), "2023", "", entities_, *store_);
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error().kind, ErrorKind::kResourceNotFound);
}

TEST_F(SensorRuleTest, InvalidRulesAreRefused) {
  auto parse = [](const char* text) {
    return parse_sensor_rule("pm25_annual_mean", boost::json::parse(text));
  };
  EXPECT_FALSE(
      parse(R"({"city": "x", "attribute": "pm25", "aggregation": "mean", "unit": "ug/m3"})").ok());
  EXPECT_FALSE(
      parse(
          R"({"city": "x", "entityType": "A", "attribute": "pm25", "aggregation": "median", "unit": "ug/m3"})")
          .ok());
  EXPECT_FALSE(
      parse(
          R"({"city": "x", "entityType": "A", "attribute": "pm25", "aggregation": "shareOfDaysAbove", "unit": "percent"})")
          .ok());
  EXPECT_FALSE(
      parse(
          R"({"city": "x", "entityType": "A", "attribute": "pm25", "aggregation": "shareOfDaysAbove", "threshold": 1, "unit": "ug/m3"})")
          .ok());
  EXPECT_FALSE(
      parse(
          R"({"city": "x", "entityType": "A", "attribute": "pm25", "aggregation": "mean", "unit": "ug/m3", "geoQ": {"georel": "within"}})")
          .ok());
}

TEST_F(SensorRuleTest, EvaluatedRulesFeedALocalDefinition) {
  auto catalogue = Catalogue::embedded();
  ASSERT_TRUE(catalogue.ok());
  KpiService service(*store_, entities_, clock_, std::move(*catalogue));
  // The city measures air pollution as the annual mean concentration from its stations.
  ASSERT_TRUE(service
                  .put_definition("", "EN.EN.AQ.1C", boost::json::parse(R"({
                      "numerator": {"name": "pm25_annual_mean", "unit": "ug/m3"},
                      "unit": "ug/m3"})"))
                  .ok());
  auto stored = service.put_rule("", "pm25_annual_mean", rule("mean", "ug/m3").json);
  ASSERT_TRUE(stored.ok()) << stored.error().detail;
  EXPECT_FALSE(service.put_rule("", "no_such_variable", rule("mean", "ug/m3").json).ok());
  auto evaluation = service.evaluate_rules("", "square", "2025");
  ASSERT_TRUE(evaluation.ok()) << evaluation.error().detail;
  ASSERT_TRUE(evaluation->imported.accepted);
  auto entity = entities_.get("", result_entity_id("square", "2025", "EN.EN.AQ.1C"));
  ASSERT_TRUE(entity.ok());
  auto view = result_view(*entity);
  EXPECT_NEAR(view.at("kpiValue").to_number<double>(), (10 + 30 + 12 + 40 + 20 + 14) / 6.0, 1e-9);
  EXPECT_EQ(view.at("definitionOrigin"), "local");
  auto none = service.evaluate_rules("", "square", "2023");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->imported.accepted);
  ASSERT_EQ(none->skipped.size(), 1u);
}

}  // namespace
}  // namespace citytwin::kpi
