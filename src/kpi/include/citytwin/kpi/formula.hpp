#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "citytwin/common/result.hpp"

namespace citytwin::kpi {

// One operand of a KPI formula: a named statistical input variable (imported per city and
// period) or the value of another KPI for the same city and period.
struct Term {
  enum class Kind { kVariable, kKpi };
  Kind kind = Kind::kVariable;
  std::string name;         // variable name ([a-z][a-z0-9_]*) or KPI code
  std::string unit;         // the unit the formula expects the variable in (kVariable)
  std::string description;  // the reference wording, for people
};

// value = numerator / denominator x multiplier (U4SSC Collection Methodology convention,
// docs/kpi.md); without a denominator (statistics and counts), numerator x multiplier.
struct Formula {
  Term numerator;
  std::optional<Term> denominator;
  double multiplier = 1;
  std::string unit;  // unit code of the result (units.hpp)

  // The terms, numerator first.
  std::vector<const Term*> terms() const;
};

// Parses {"numerator": TERM, "denominator": TERM|null, "multiplier": n, "unit": "..."} where
// TERM is {"name": "...", "unit": "...", "description"?: "..."} or {"kpi": "CODE"}. Checks
// names, units and the multiplier; not whether a referenced KPI exists (the catalogue does).
Result<Formula> parse_formula(const boost::json::value& json);
boost::json::object formula_to_json(const Formula& formula);

bool valid_variable_name(std::string_view name);

// A number as JSON: whole numbers as integers, so that clients read 100000, not 1e+05
// (the shortest form of the double).
boost::json::value number_json(double number);

}  // namespace citytwin::kpi
