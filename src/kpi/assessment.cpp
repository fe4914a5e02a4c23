#include "citytwin/kpi/assessment.hpp"

#include <algorithm>
#include <cmath>

#include "citytwin/kpi/formula.hpp"

namespace citytwin::kpi {
namespace {

std::string text_of(const boost::json::object& view, std::string_view key) {
  const auto* value = view.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::optional<double> number_of(const boost::json::object& view, std::string_view key) {
  const auto* value = view.if_contains(key);
  if (value == nullptr || !value->is_number()) return std::nullopt;
  return value->to_number<double>();
}

// Slope and value at `x` of the least-squares line through the points.
double fitted_at(const std::vector<TrendPoint>& points, double x) {
  double mean_x = 0;
  double mean_y = 0;
  for (const auto& point : points) {
    mean_x += point.position;
    mean_y += point.value;
  }
  mean_x /= double(points.size());
  mean_y /= double(points.size());
  double sxy = 0;
  double sxx = 0;
  for (const auto& point : points) {
    sxy += (point.position - mean_x) * (point.value - mean_y);
    sxx += (point.position - mean_x) * (point.position - mean_x);
  }
  double slope = sxx == 0 ? 0 : sxy / sxx;
  return mean_y + slope * (x - mean_x);
}

bool meets(bool higher_is_better, double value, double target) {
  return higher_is_better ? value >= target : value <= target;
}

boost::json::value optional_number(const std::optional<double>& number) {
  return number ? number_json(*number) : boost::json::value(nullptr);
}

}  // namespace

std::string_view status_name(KpiStatus status) {
  switch (status) {
    case KpiStatus::kOnTrack:
      return "onTrack";
    case KpiStatus::kOffTrack:
      return "offTrack";
    case KpiStatus::kNoData:
      return "noData";
    case KpiStatus::kNoStatus:
      return "noStatus";
  }
  return "noStatus";
}

std::string_view status_reason_name(StatusReason reason) {
  switch (reason) {
    case StatusReason::kTargetMet:
      return "targetMet";
    case StatusReason::kProjectedToMeet:
      return "projectedToMeet";
    case StatusReason::kProjectedToMiss:
      return "projectedToMiss";
    case StatusReason::kNoTrend:
      return "noTrend";
    case StatusReason::kTargetYearPassed:
      return "targetYearPassed";
    case StatusReason::kNoValue:
      return "noValue";
    case StatusReason::kNoTarget:
      return "noTarget";
    case StatusReason::kDirectionUnknown:
      return "directionUnknown";
  }
  return "noTarget";
}

std::string status_explanation(StatusReason reason, int target_year) {
  const std::string year = std::to_string(target_year);
  switch (reason) {
    case StatusReason::kTargetMet:
      return "the value meets the target";
    case StatusReason::kProjectedToMeet:
      return "the trend reaches the target by " + year;
    case StatusReason::kProjectedToMiss:
      return "the trend does not reach the target by " + year;
    case StatusReason::kNoTrend:
      return "the target is not met and there is no earlier period to show a trend";
    case StatusReason::kTargetYearPassed:
      return "the target year " + year + " has come without the target being met";
    case StatusReason::kNoValue:
      return "no value for this period";
    case StatusReason::kNoTarget:
      return "the city has set no target for this KPI";
    case StatusReason::kDirectionUnknown:
      return "the catalogue does not say whether a higher or a lower value is better";
  }
  return {};
}

double period_position(std::string_view period) {
  if (period.size() < 4) return 0;
  double year = std::stod(std::string(period.substr(0, 4)));
  if (period.size() == 7 && period[5] == 'Q') return year + (period[6] - '1') / 4.0;
  if (period.size() == 7) return year + (std::stoi(std::string(period.substr(5, 2))) - 1) / 12.0;
  return year;
}

std::string_view period_kind(std::string_view period) {
  if (period.size() == 7) return period[5] == 'Q' ? "quarter" : "month";
  return "year";
}

StatusOutcome assess_status(std::string_view direction, const std::vector<TrendPoint>& trend,
                            bool has_value, const Target* target) {
  if (!has_value || trend.empty()) return {KpiStatus::kNoData, StatusReason::kNoValue, {}};
  if (target == nullptr) return {KpiStatus::kNoStatus, StatusReason::kNoTarget, {}};
  if (direction != "higher" && direction != "lower" && direction != "target") {
    return {KpiStatus::kNoStatus, StatusReason::kDirectionUnknown, {}};
  }
  const double value = trend.back().value;
  const bool higher = direction == "higher" || (direction == "target" && value < target->value);
  if (meets(higher, value, target->value)) {
    return {KpiStatus::kOnTrack, StatusReason::kTargetMet, {}};
  }
  if (double(target->year) <= trend.back().position) {
    return {KpiStatus::kOffTrack, StatusReason::kTargetYearPassed, {}};
  }
  if (trend.size() < 2) return {KpiStatus::kOffTrack, StatusReason::kNoTrend, {}};
  double projected = fitted_at(trend, double(target->year));
  if (meets(higher, projected, target->value)) {
    return {KpiStatus::kOnTrack, StatusReason::kProjectedToMeet, projected};
  }
  return {KpiStatus::kOffTrack, StatusReason::kProjectedToMiss, projected};
}

std::string trend_word(std::string_view direction, const std::vector<TrendPoint>& trend,
                       const Target* target) {
  if (trend.size() < 2) return {};
  const double previous = trend[trend.size() - 2].value;
  const double current = trend.back().value;
  if (current == previous) return "stable";
  bool better = false;
  if (direction == "higher") {
    better = current > previous;
  } else if (direction == "lower") {
    better = current < previous;
  } else if (direction == "target" && target != nullptr) {
    double before = std::fabs(previous - target->value);
    double now = std::fabs(current - target->value);
    if (before == now) return "stable";
    better = now < before;
  } else {
    return "notAssessed";
  }
  return better ? "improving" : "worsening";
}

boost::json::object KpiAssessment::to_json() const {
  boost::json::object out{
      {"code", entry->code},
      {"name", entry->name},
      {"dimension", entry->dimension},
      {"subDimension", entry->sub_dimension},
      {"coreOrAdvanced", entry->core_or_advanced},
      {"direction", direction},
      {"directionSource", direction == entry->direction ? "catalogue" : "target"},
      {"definitionOrigin", origin},
      {"value", optional_number(value)},
      {"unit", unit}};
  boost::json::array sdg;
  for (const auto& ref : entry->sdg) sdg.emplace_back(ref);
  out["sdg"] = std::move(sdg);
  if (!value) out["noDataReason"] = no_data_reason;
  if (!missing.empty()) {
    boost::json::array list;
    for (const auto& name : missing) list.emplace_back(name);
    out["missingInputs"] = std::move(list);
  }
  out["target"] = target ? boost::json::value(target->to_json()) : boost::json::value(nullptr);
  out["status"] = status_name(status.status);
  out["statusReason"] = status_reason_name(status.reason);
  out["statusExplanation"] = status_explanation(status.reason, target ? target->year : 0);
  if (status.projected) out["projectedValue"] = number_json(*status.projected);
  boost::json::array points;
  for (const auto& point : trend) {
    points.push_back({{"period", point.period}, {"value", number_json(point.value)}});
  }
  out["trend"] = std::move(points);
  out["change"] = optional_number(change);
  out["changePercent"] = optional_number(change_percent);
  if (!trend_word.empty()) out["trendDirection"] = trend_word;
  if (!provenance.empty()) out["provenance"] = provenance;
  return out;
}

boost::json::object DimensionSummary::to_json() const {
  boost::json::object counts;
  for (auto name : {"onTrack", "offTrack", "noData", "noStatus"}) {
    auto it = by_status.find(name);
    counts[name] = it == by_status.end() ? 0 : it->second;
  }
  return {{"dimension", dimension},
          {"kpis", kpis},
          {"withValue", with_value},
          {"completeness", number_json(std::round(completeness() * 1000) / 1000)},
          {"core", core},
          {"coreWithValue", core_with_value},
          {"byStatus", std::move(counts)}};
}

boost::json::object Assessment::to_json() const {
  boost::json::array dimension_list;
  for (const auto& summary : dimensions) dimension_list.push_back(summary.to_json());
  boost::json::array kpi_list;
  for (const auto& kpi : kpis) kpi_list.push_back(kpi.to_json());
  return {{"city", city},
          {"period", period},
          {"summary", total.to_json()},
          {"dimensions", std::move(dimension_list)},
          {"kpis", std::move(kpi_list)}};
}

Assessment assess(const AssessmentSources& sources, std::string_view city,
                  std::string_view period) {
  Assessment out;
  out.city = std::string(city);
  out.period = std::string(period);
  out.total.dimension = "all";
  const double position = period_position(period);
  const std::string_view kind = period_kind(period);
  // code -> period -> result of this city
  std::map<std::string, std::map<std::string, const boost::json::object*>, std::less<>> by_code;
  for (const auto& view : sources.results) {
    if (text_of(view, "area") != city) continue;
    by_code[text_of(view, "kpiCode")][text_of(view, "period")] = &view;
  }
  auto summary_of = [&out](const std::string& dimension) -> DimensionSummary& {
    for (auto& summary : out.dimensions) {
      if (summary.dimension == dimension) return summary;
    }
    DimensionSummary summary;
    summary.dimension = dimension;
    out.dimensions.push_back(std::move(summary));
    return out.dimensions.back();
  };
  for (const auto& entry : sources.catalogue->entries()) {
    KpiAssessment kpi;
    kpi.entry = &entry;
    auto origin = sources.origin.find(entry.code);
    kpi.origin = origin == sources.origin.end() ? "none" : origin->second;
    if (entry.formula) kpi.unit = entry.formula->unit;
    const boost::json::object* current = nullptr;
    if (auto found = by_code.find(entry.code); found != by_code.end()) {
      for (const auto& [other, view] : found->second) {
        if (other == period) current = view;
        auto value = number_of(*view, "kpiValue");
        if (!value || period_kind(other) != kind || period_position(other) > position) continue;
        kpi.trend.push_back({other, period_position(other), *value});
      }
      std::sort(kpi.trend.begin(), kpi.trend.end(),
                [](const TrendPoint& a, const TrendPoint& b) { return a.position < b.position; });
    }
    if (current != nullptr) {
      kpi.value = number_of(*current, "kpiValue");
      if (auto unit = text_of(*current, "unit"); !unit.empty()) kpi.unit = unit;
      kpi.no_data_reason = text_of(*current, "noDataReason");
      if (const auto* missing = current->if_contains("missingInputs");
          missing && missing->is_array()) {
        for (const auto& name : missing->as_array()) {
          if (name.is_string()) kpi.missing.emplace_back(name.as_string());
        }
      }
      if (const auto* provenance = current->if_contains("provenance");
          provenance && provenance->is_array()) {
        kpi.provenance = provenance->as_array();
      }
      kpi.updated_at = text_of(*current, "updatedAt");
    } else if (kpi.origin == "none") {
      kpi.no_data_reason = "no computable definition (" + entry.status + ")";
    } else {
      kpi.no_data_reason = "no inputs for this city and period";
      if (auto needed = sources.variables.find(entry.code); needed != sources.variables.end()) {
        kpi.missing = needed->second;
      }
    }
    // A trend that ends before the period (no value now) keeps its points but has no change.
    const bool has_value = kpi.value.has_value();
    if (has_value && (kpi.trend.empty() || kpi.trend.back().period != period)) kpi.trend.clear();
    const Target* target = find_target(sources.targets, entry.code, city);
    if (target != nullptr) kpi.target = *target;
    kpi.direction = effective_direction(entry.direction, target);
    kpi.status = assess_status(kpi.direction, has_value ? kpi.trend : std::vector<TrendPoint>{},
                               has_value, target);
    if (has_value && kpi.trend.size() >= 2) {
      double previous = kpi.trend[kpi.trend.size() - 2].value;
      kpi.change = *kpi.value - previous;
      if (previous != 0) kpi.change_percent = *kpi.change / std::fabs(previous) * 100;
      kpi.trend_word = trend_word(kpi.direction, kpi.trend, target);
    }
    for (DimensionSummary* summary : {&summary_of(entry.dimension), &out.total}) {
      summary->kpis += 1;
      summary->with_value += has_value ? 1 : 0;
      if (entry.core_or_advanced == "core") {
        summary->core += 1;
        summary->core_with_value += has_value ? 1 : 0;
      }
      summary->by_status[std::string(status_name(kpi.status.status))] += 1;
    }
    out.kpis.push_back(std::move(kpi));
  }
  return out;
}

boost::json::object compare(const std::vector<Assessment>& assessments) {
  boost::json::object out;
  boost::json::array cities;
  boost::json::object summaries;
  for (const auto& assessment : assessments) {
    cities.emplace_back(assessment.city);
    boost::json::array dimensions;
    for (const auto& summary : assessment.dimensions) dimensions.push_back(summary.to_json());
    summaries[assessment.city] = boost::json::object{{"summary", assessment.total.to_json()},
                                                     {"dimensions", std::move(dimensions)}};
  }
  out["period"] = assessments.empty() ? "" : assessments.front().period;
  out["cities"] = std::move(cities);
  out["summaries"] = std::move(summaries);
  boost::json::array kpis;
  if (!assessments.empty()) {
    for (std::size_t i = 0; i < assessments.front().kpis.size(); ++i) {
      const KpiEntry& entry = *assessments.front().kpis[i].entry;
      boost::json::object values;
      std::string best;
      std::optional<double> best_value;
      for (const auto& assessment : assessments) {
        const KpiAssessment& kpi = assessment.kpis[i];
        values[assessment.city] = boost::json::object{{"value", optional_number(kpi.value)},
                                                      {"status", status_name(kpi.status.status)}};
        if (!kpi.value || (kpi.direction != "higher" && kpi.direction != "lower")) continue;
        bool better = !best_value || (kpi.direction == "higher" ? *kpi.value > *best_value
                                                                : *kpi.value < *best_value);
        if (better) {
          best_value = kpi.value;
          best = assessment.city;
        }
      }
      boost::json::object item{{"code", entry.code},
                               {"name", entry.name},
                               {"dimension", entry.dimension},
                               {"direction", entry.direction},
                               {"unit", assessments.front().kpis[i].unit},
                               {"values", std::move(values)}};
      // Best only means something with a direction and at least two cities with a value.
      std::size_t with_value = 0;
      for (const auto& assessment : assessments) with_value += assessment.kpis[i].value ? 1 : 0;
      if (!best.empty() && with_value >= 2) item["best"] = best;
      kpis.push_back(std::move(item));
    }
  }
  out["kpis"] = std::move(kpis);
  return out;
}

}  // namespace citytwin::kpi
