#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "citytwin/kpi/catalogue.hpp"
#include "citytwin/kpi/targets.hpp"

namespace citytwin::kpi {

// Direction-aware status of one KPI against its target (docs/kpi.md, "Assessment").
enum class KpiStatus { kOnTrack, kOffTrack, kNoData, kNoStatus };
std::string_view status_name(KpiStatus status);  // onTrack, offTrack, noData, noStatus

// Why a status was given; stable codes the API returns and the report translates.
enum class StatusReason {
  kTargetMet,         // the value already meets the target
  kProjectedToMeet,   // the trend reaches the target by the target year
  kProjectedToMiss,   // the trend does not reach it by then
  kNoTrend,           // target not met and only one period: nothing to project
  kTargetYearPassed,  // target not met and the target year is not after the period
  kNoValue,           // no value for the period
  kNoTarget,          // the city set no target
  kDirectionUnknown,  // the catalogue does not say whether higher or lower is better
};
std::string_view status_reason_name(StatusReason reason);
std::string status_explanation(StatusReason reason, int target_year);  // English sentence

// The value of a KPI in one period, as a point of its trend.
struct TrendPoint {
  std::string period;
  double position = 0;  // the period's start in years: 2025, 2025.25 (Q2), 2025.0833 (Feb)
  double value = 0;
};

// Years from 0 of a period's start ("2025" = 2025, "2025-Q3" = 2025.5, "2025-04" = 2025.25).
double period_position(std::string_view period);
// "year", "quarter" or "month": trends only compare periods of the same kind.
std::string_view period_kind(std::string_view period);

struct StatusOutcome {
  KpiStatus status = KpiStatus::kNoStatus;
  StatusReason reason = StatusReason::kNoTarget;
  std::optional<double> projected;  // the trend's value at the target year, when projected
};

// `trend` holds the KPI's values up to and including the assessed period (oldest first; its
// last point is the assessed value). With a target not yet met and a target year after the
// period, the least-squares line through the trend is projected to the target year.
// Direction `target` means "as close to the target as possible": it behaves as `higher`
// while the value is below the target and as `lower` while above.
StatusOutcome assess_status(std::string_view direction, const std::vector<TrendPoint>& trend,
                            bool has_value, const Target* target);

// improving | worsening | stable | notAssessed (direction unknown, or target direction
// without a target) | "" (fewer than two points).
std::string trend_word(std::string_view direction, const std::vector<TrendPoint>& trend,
                       const Target* target);

// One KPI of an assessment.
struct KpiAssessment {
  const KpiEntry* entry = nullptr;
  std::string origin;  // official | local | none (pending: no definition)
  std::optional<double> value;
  std::string unit;
  std::string no_data_reason;        // from the result, or why there is no result
  std::vector<std::string> missing;  // inputs without a value
  std::optional<Target> target;
  std::string direction;  // effective_direction(): the catalogue's, or the target's if unknown
  StatusOutcome status;
  std::vector<TrendPoint> trend;  // oldest first, up to the period
  std::optional<double> change;   // value minus the previous period's
  std::optional<double> change_percent;
  std::string trend_word;
  boost::json::array provenance;  // as in the result entity
  std::string updated_at;

  boost::json::object to_json() const;
};

struct DimensionSummary {
  std::string dimension;
  std::size_t kpis = 0;
  std::size_t with_value = 0;
  std::size_t core = 0;
  std::size_t core_with_value = 0;
  std::map<std::string, std::size_t> by_status;  // status name -> count
  double completeness() const { return kpis == 0 ? 0 : double(with_value) / double(kpis); }
  boost::json::object to_json() const;
};

struct Assessment {
  std::string city;
  std::string period;
  std::vector<KpiAssessment> kpis;           // catalogue order, every KPI
  std::vector<DimensionSummary> dimensions;  // Economy, Environment, Society and Culture
  DimensionSummary total;                    // dimension "all"
  boost::json::object to_json() const;
};

// What an assessment is computed from (all of one tenant).
struct AssessmentSources {
  const Catalogue* catalogue = nullptr;
  std::map<std::string, std::string> origin;                  // code -> official | local
  std::map<std::string, std::vector<std::string>> variables;  // code -> inputs it needs
  std::vector<boost::json::object> results;  // result views (result_view) of the city, any period
  std::vector<Target> targets;
};

Assessment assess(const AssessmentSources& sources, std::string_view city, std::string_view period);

// Several cities (or districts) side by side for one period: per KPI each city's value and
// status, and each city's dimension summary.
boost::json::object compare(const std::vector<Assessment>& assessments);

}  // namespace citytwin::kpi
