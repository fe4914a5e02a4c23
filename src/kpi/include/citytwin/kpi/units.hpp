#pragma once

#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"

namespace citytwin::kpi {

// The units KPI inputs and results are declared in (docs/kpi.md, "Units"). Each unit belongs
// to one dimension and has a factor to that dimension's base unit, so a value converts
// between units of the same dimension only: "percent" and "ratio" (a share), "per_100000" and
// "per_capita" (a rate), "m" and "km", "L" and "m3", "MWh" and "kWh", ... Aliases ("%",
// "number") name the same unit.
struct UnitInfo {
  std::string code;       // canonical code, e.g. "percent"
  std::string dimension;  // e.g. "share"
  double factor = 1;      // value in the dimension's base unit = value x factor
};

// The canonical unit for a code or alias; kBadRequestData when unknown.
Result<UnitInfo> find_unit(std::string_view code);

// `value` given in `from` expressed in `to`; kBadRequestData naming both units when they are
// unknown or of different dimensions.
Result<double> convert_unit(double value, std::string_view from, std::string_view to);

}  // namespace citytwin::kpi
