#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace citytwin::kpi {

// (language, JSON text) of each report message catalogue data/kpi/report/<lang>.json, compiled
// in by CMake (src/kpi/CMakeLists.txt) like the KPI catalogue.
const std::vector<std::pair<std::string_view, std::string_view>>& embedded_report_messages();

}  // namespace citytwin::kpi
