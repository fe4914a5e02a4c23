#pragma once

#include <optional>
#include <string>
#include <vector>

#include "citytwin/kpi/assessment.hpp"

namespace citytwin::kpi {

// A small inline SVG line chart of a KPI's values across periods (oldest on the left, also in
// right-to-left reports: a time axis reads left to right in every UN-language convention the
// U4SSC factsheets use), with the target as a dashed line. No script: it prints and renders
// offline. Empty string when there is no point.
std::string trend_chart_svg(const std::vector<TrendPoint>& points, std::optional<double> target,
                            std::string_view aria_label);

}  // namespace citytwin::kpi
