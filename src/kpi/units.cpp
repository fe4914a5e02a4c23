#include "citytwin/kpi/units.hpp"

#include <array>

namespace citytwin::kpi {
namespace {

struct UnitRow {
  std::string_view code;
  std::string_view canonical;
  std::string_view dimension;
  double factor;
};

// Kept small on purpose: the scalings statistics offices actually publish in. A unit that is
// not here is refused at import, never guessed.
constexpr std::array<UnitRow, 41> kUnits{{
    {"count", "count", "count", 1},
    {"number", "count", "count", 1},
    {"1", "1", "dimensionless", 1},
    {"percent", "percent", "share", 0.01},
    {"%", "percent", "share", 0.01},
    {"ratio", "ratio", "share", 1},
    {"per_mille", "per_mille", "share", 0.001},
    {"per_capita", "per_capita", "rate", 1},
    {"per_1000", "per_1000", "rate", 1e-3},
    {"per_100000", "per_100000", "rate", 1e-5},
    {"m", "m", "length", 1e-3},
    {"km", "km", "length", 1},
    {"m2", "m2", "area", 1},
    {"ha", "ha", "area", 1e4},
    {"km2", "km2", "area", 1e6},
    {"L", "L", "volume", 1e-3},
    {"m3", "m3", "volume", 1},
    {"ML", "ML", "volume", 1e3},
    {"L/d", "L/d", "volume_per_day", 1},
    {"m3/d", "m3/d", "volume_per_day", 1e3},
    {"ug", "ug", "mass_small", 1},
    {"mg", "mg", "mass_small", 1e3},
    {"g", "g", "mass_small", 1e6},
    {"kg", "kg", "mass", 1e-3},
    {"t", "t", "mass", 1},
    {"kt", "kt", "mass", 1e3},
    {"Wh", "Wh", "energy", 1e-3},
    {"kWh", "kWh", "energy", 1},
    {"MWh", "MWh", "energy", 1e3},
    {"GWh", "GWh", "energy", 1e6},
    {"s", "s", "time", 1.0 / 60},
    {"min", "min", "time", 1},
    {"h", "h", "time", 60},
    {"a", "a", "years", 1},
    {"USD", "USD", "money", 1},
    {"ug/m3", "ug/m3", "concentration", 1},
    {"t/capita", "t/capita", "mass_per_capita", 1},
    {"L/d/capita", "L/d/capita", "volume_per_day_per_capita", 1},
    {"kWh/capita", "kWh/capita", "energy_per_capita", 1},
    {"MWh/capita", "MWh/capita", "energy_per_capita", 1e3},
    {"kWh/m2", "kWh/m2", "energy_per_area", 1},
}};

}  // namespace

Result<UnitInfo> find_unit(std::string_view code) {
  for (const auto& row : kUnits) {
    if (row.code == code) {
      return UnitInfo{std::string(row.canonical), std::string(row.dimension), row.factor};
    }
  }
  return make_error(ErrorKind::kBadRequestData, "unknown unit '" + std::string(code) + "'");
}

Result<double> convert_unit(double value, std::string_view from, std::string_view to) {
  auto source = find_unit(from);
  if (!source) return std::move(source).error();
  auto target = find_unit(to);
  if (!target) return std::move(target).error();
  if (source->dimension != target->dimension) {
    return make_error(
        ErrorKind::kBadRequestData,
        "unit '" + std::string(from) + "' cannot be converted to '" + std::string(to) + "'");
  }
  if (source->factor == target->factor) return value;
  return value * source->factor / target->factor;
}

}  // namespace citytwin::kpi
