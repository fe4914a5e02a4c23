// Assessment: direction-aware status, trends, summaries, comparison (hand-computed cases).
#include "citytwin/kpi/assessment.hpp"

#include <gtest/gtest.h>

namespace citytwin::kpi {
namespace {

std::vector<TrendPoint> points(std::initializer_list<std::pair<const char*, double>> values) {
  std::vector<TrendPoint> out;
  for (const auto& [period, value] : values)
    out.push_back({period, period_position(period), value});
  return out;
}

Target target(double value, int year) {
  return Target{"X", "", value, year, "", "", ""};
}

TEST(AssessmentStatus, HigherIsBetterMetProjectedAndMissed) {
  Target goal = target(80, 2030);
  // 85 >= 80: met.
  auto met = assess_status("higher", points({{"2025", 85}}), true, &goal);
  EXPECT_EQ(met.status, KpiStatus::kOnTrack);
  EXPECT_EQ(met.reason, StatusReason::kTargetMet);
  // 60, 65, 70 in 2023..2025: slope 5/year, line at 2030 = 70 + 5 x 5 = 95 >= 80.
  auto rising =
      assess_status("higher", points({{"2023", 60}, {"2024", 65}, {"2025", 70}}), true, &goal);
  EXPECT_EQ(rising.status, KpiStatus::kOnTrack);
  EXPECT_EQ(rising.reason, StatusReason::kProjectedToMeet);
  EXPECT_DOUBLE_EQ(*rising.projected, 95);
  // 70, 71, 70: least squares mean x 2024, mean y 70.333, sxy = (-1)(-0.333)+(1)(-0.333) = 0:
  // slope 0, line at 2030 = 70.333 < 80.
  auto flat =
      assess_status("higher", points({{"2023", 70}, {"2024", 71}, {"2025", 70}}), true, &goal);
  EXPECT_EQ(flat.status, KpiStatus::kOffTrack);
  EXPECT_EQ(flat.reason, StatusReason::kProjectedToMiss);
  EXPECT_NEAR(*flat.projected, 70.3333, 1e-3);
  // One period below target: nothing to project.
  auto single = assess_status("higher", points({{"2025", 70}}), true, &goal);
  EXPECT_EQ(single.status, KpiStatus::kOffTrack);
  EXPECT_EQ(single.reason, StatusReason::kNoTrend);
}

TEST(AssessmentStatus, LowerIsBetter) {
  Target goal = target(20, 2028);
  // 18 <= 20: met.
  EXPECT_EQ(assess_status("lower", points({{"2025", 18}}), true, &goal).reason,
            StatusReason::kTargetMet);
  // 30, 27 (2024, 2025): slope -3, line at 2028 = 27 - 9 = 18 <= 20: on track.
  auto falling = assess_status("lower", points({{"2024", 30}, {"2025", 27}}), true, &goal);
  EXPECT_EQ(falling.status, KpiStatus::kOnTrack);
  EXPECT_DOUBLE_EQ(*falling.projected, 18);
  // 30, 29: line at 2028 = 26 > 20: off track.
  auto slow = assess_status("lower", points({{"2024", 30}, {"2025", 29}}), true, &goal);
  EXPECT_EQ(slow.status, KpiStatus::kOffTrack);
  EXPECT_DOUBLE_EQ(*slow.projected, 26);
  // A value going the wrong way (higher when lower is better) projects away from the target.
  EXPECT_EQ(assess_status("lower", points({{"2024", 25}, {"2025", 30}}), true, &goal).status,
            KpiStatus::kOffTrack);
}

TEST(AssessmentStatus, TargetYearReachedWithoutMeetingIt) {
  Target goal = target(50, 2025);
  auto passed = assess_status("higher", points({{"2024", 10}, {"2025", 40}}), true, &goal);
  EXPECT_EQ(passed.status, KpiStatus::kOffTrack);
  EXPECT_EQ(passed.reason, StatusReason::kTargetYearPassed);
}

TEST(AssessmentStatus, TargetDirectionApproachesFromEitherSide) {
  Target equality = target(1.0, 2030);
  // 0.80 -> 0.85 (2024 -> 2025): behaves as higher; line at 2030 = 0.85 + 5 x 0.05 = 1.10 >= 1.
  auto below = assess_status("target", points({{"2024", 0.80}, {"2025", 0.85}}), true, &equality);
  EXPECT_EQ(below.status, KpiStatus::kOnTrack);
  // 1.30 -> 1.29: behaves as lower; line at 2030 = 1.29 - 0.05 = 1.24 > 1: off track.
  auto above = assess_status("target", points({{"2024", 1.30}, {"2025", 1.29}}), true, &equality);
  EXPECT_EQ(above.status, KpiStatus::kOffTrack);
  EXPECT_NEAR(*above.projected, 1.24, 1e-9);
}

TEST(AssessmentStatus, NoTargetNoValueUnknownDirection) {
  Target goal = target(10, 2030);
  auto no_target = assess_status("higher", points({{"2025", 5}}), true, nullptr);
  EXPECT_EQ(no_target.status, KpiStatus::kNoStatus);
  EXPECT_EQ(no_target.reason, StatusReason::kNoTarget);
  auto no_value = assess_status("higher", {}, false, &goal);
  EXPECT_EQ(no_value.status, KpiStatus::kNoData);
  EXPECT_EQ(no_value.reason, StatusReason::kNoValue);
  auto unknown = assess_status("unknown", points({{"2025", 5}}), true, &goal);
  EXPECT_EQ(unknown.status, KpiStatus::kNoStatus);
  EXPECT_EQ(unknown.reason, StatusReason::kDirectionUnknown);
}

TEST(AssessmentTrend, WordsFollowTheDirection) {
  auto up = points({{"2024", 10}, {"2025", 12}});
  EXPECT_EQ(trend_word("higher", up, nullptr), "improving");
  EXPECT_EQ(trend_word("lower", up, nullptr), "worsening");
  EXPECT_EQ(trend_word("unknown", up, nullptr), "notAssessed");
  EXPECT_EQ(trend_word("higher", points({{"2024", 10}, {"2025", 10}}), nullptr), "stable");
  EXPECT_EQ(trend_word("higher", points({{"2025", 10}}), nullptr), "");
  Target equality = target(11, 2030);
  // |12 - 11| = 1 < |10 - 11| = 1: same gap: stable.
  EXPECT_EQ(trend_word("target", up, &equality), "stable");
  Target twelve = target(12, 2030);
  EXPECT_EQ(trend_word("target", up, &twelve), "improving");
}

TEST(AssessmentPeriods, PositionsAndKinds) {
  EXPECT_DOUBLE_EQ(period_position("2025"), 2025);
  EXPECT_DOUBLE_EQ(period_position("2025-Q3"), 2025.5);
  EXPECT_DOUBLE_EQ(period_position("2025-04"), 2025.25);
  EXPECT_EQ(period_kind("2025-Q1"), "quarter");
  EXPECT_EQ(period_kind("2025-01"), "month");
  EXPECT_EQ(period_kind("2025"), "year");
}

// A two-KPI catalogue: one higher-is-better with a formula, one pending.
Catalogue small_catalogue() {
  auto catalogue = Catalogue::parse(R"({"kpis": [
    {"code": "EC.A.1C", "name": "Internet", "dimension": "Economy", "subDimension": "ICT",
     "coreOrAdvanced": "core", "sdg": ["17.6"], "direction": "higher", "status": "computable",
     "definition": {"numerator": {"name": "a", "unit": "count"},
                    "denominator": {"name": "b", "unit": "count"},
                    "multiplier": 100, "unit": "percent"}},
    {"code": "EN.B.2A", "name": "Pending one", "dimension": "Environment", "subDimension": "Air",
     "coreOrAdvanced": "advanced", "sdg": [], "direction": "unknown", "status": "pending"}]})");
  EXPECT_TRUE(catalogue.ok()) << catalogue.error().detail;
  return std::move(*catalogue);
}

boost::json::object view(const char* city, const char* period, double value) {
  return {{"kpiCode", "EC.A.1C"}, {"area", city},      {"period", period},
          {"kpiValue", value},    {"unit", "percent"}, {"dataStatus", "ok"}};
}

TEST(Assessment, SummarizesTrendsAndCompletenessByDimension) {
  Catalogue catalogue = small_catalogue();
  AssessmentSources sources;
  sources.catalogue = &catalogue;
  sources.origin = {{"EC.A.1C", "official"}};
  sources.variables = {{"EC.A.1C", {"a", "b"}}};
  sources.results = {view("demo", "2023", 60),  view("demo", "2024", 65),
                     view("demo", "2025", 70),  view("demo", "2026", 99),
                     view("other", "2025", 90), view("demo", "2025-Q1", 1)};
  sources.targets = {Target{"EC.A.1C", "", 80, 2030, "", "", ""}};
  Assessment result = assess(sources, "demo", "2025");
  ASSERT_EQ(result.kpis.size(), 2u);
  const auto& internet = result.kpis[0];
  ASSERT_TRUE(internet.value);
  EXPECT_EQ(*internet.value, 70);
  // Later periods (2026), other cities and other period kinds (2025-Q1) stay out of the trend.
  ASSERT_EQ(internet.trend.size(), 3u);
  EXPECT_EQ(internet.trend.front().period, "2023");
  EXPECT_DOUBLE_EQ(*internet.change, 5);
  EXPECT_NEAR(*internet.change_percent, 7.6923, 1e-3);  // 5 / 65
  EXPECT_EQ(internet.trend_word, "improving");
  EXPECT_EQ(internet.status.status, KpiStatus::kOnTrack);
  const auto& pending = result.kpis[1];
  EXPECT_FALSE(pending.value);
  EXPECT_EQ(pending.origin, "none");
  EXPECT_EQ(pending.status.status, KpiStatus::kNoData);
  ASSERT_EQ(result.dimensions.size(), 2u);
  EXPECT_EQ(result.dimensions[0].dimension, "Economy");
  EXPECT_EQ(result.dimensions[0].with_value, 1u);
  EXPECT_EQ(result.total.kpis, 2u);
  EXPECT_DOUBLE_EQ(result.total.completeness(), 0.5);
  EXPECT_EQ(result.total.by_status.at("onTrack"), 1u);
  EXPECT_EQ(result.total.by_status.at("noData"), 1u);

  // A city-specific target overrides the tenant-wide one: 90 >= 95 is not met in 2025 and
  // with one period there is no trend.
  sources.targets.push_back(Target{"EC.A.1C", "other", 95, 2030, "", "", ""});
  Assessment other = assess(sources, "other", "2025");
  EXPECT_EQ(other.kpis[0].target->value, 95);
  EXPECT_EQ(other.kpis[0].status.reason, StatusReason::kNoTrend);

  // Missing value: the inputs the definition needs are listed.
  Assessment empty = assess(sources, "nowhere", "2025");
  EXPECT_EQ(empty.kpis[0].status.status, KpiStatus::kNoData);
  EXPECT_EQ(empty.kpis[0].missing, (std::vector<std::string>{"a", "b"}));

  auto compared = compare({result, other});
  const auto& kpi = compared.at("kpis").as_array().at(0).as_object();
  EXPECT_EQ(kpi.at("best"), "other");  // higher is better: 90 > 70
  EXPECT_EQ(kpi.at("values").at("demo").at("status"), "onTrack");
  EXPECT_EQ(kpi.at("values").at("other").at("status"), "offTrack");
}

}  // namespace
}  // namespace citytwin::kpi
