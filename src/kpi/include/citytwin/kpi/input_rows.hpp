#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace citytwin::kpi {

// One statistical input: the value of a variable for a city (or district) and period.
struct InputRow {
  std::size_t row = 0;  // where it came from: CSV line number (header = 1) or JSON index + 1
  std::string city;     // city or district id, e.g. "demo-city" or "demo-city:north"
  std::string period;   // "2025", "2025-Q1" or "2025-03"
  std::string variable;
  double value = 0;
  std::string unit;  // as declared (canonical unit code)
  std::string source;
  std::string method;
  std::optional<double> confidence;  // 0..1

  boost::json::object to_json() const;
};

// Why one row (or, with row 0, the file itself) was refused.
struct RowError {
  std::size_t row = 0;
  std::string column;
  std::string reason;
};

struct ParsedInputs {
  std::vector<InputRow> rows;
  std::vector<RowError> errors;  // every problem found; the file is accepted only when empty
};

// What validation needs to know about variables: the unit a known variable is expected in
// (nullopt: unknown variable).
using VariableUnits = std::function<std::optional<std::string>(std::string_view)>;
// Called every few thousand rows with (rows done, rows in the file).
using Progress = std::function<void(std::size_t, std::size_t)>;

// CSV (RFC 4180: header line, comma-separated, optional double quotes) with columns city,
// period, variable, value, unit, source and optionally method, confidence, in any order.
ParsedInputs parse_inputs_csv(std::string_view text, const VariableUnits& variables,
                              const Progress& progress = {});
// A JSON array of objects with the same members (value and confidence as numbers).
ParsedInputs parse_inputs_json(std::string_view text, const VariableUnits& variables,
                               const Progress& progress = {});

bool valid_period(std::string_view period);
bool valid_city(std::string_view city);

}  // namespace citytwin::kpi
