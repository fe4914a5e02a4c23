#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "citytwin/kpi/formula.hpp"
#include "citytwin/kpi/input_store.hpp"

namespace citytwin::kpi {

// The definition a tenant's computation uses for one KPI.
struct Definition {
  std::string code;
  Formula formula;
  bool local = false;  // supplied by the city (PUT /kpi/v1/definitions), not the catalogue's
};

// Which input (or KPI) a result used, with the version it used.
struct ProvenanceItem {
  std::string term;      // "numerator" | "denominator"
  std::string variable;  // variable name, or "kpi:CODE"
  double value = 0;      // as imported
  std::string unit;      // as imported
  double used = 0;       // converted to the unit the formula expects
  std::string import_id;
  std::size_t row = 0;
  std::string source;
  std::string method;
  std::optional<double> confidence;
  boost::json::object to_json() const;
};

struct KpiResult {
  std::string code;
  std::string city;
  std::string period;
  std::optional<double> value;  // nullopt: no data (see reason)
  std::string unit;
  std::string reason;                // why there is no value
  std::vector<std::string> missing;  // variables (or kpi:CODE) without a value
  std::vector<ProvenanceItem> provenance;
  bool local = false;
};

// Looks up the effective definition of a code (nullptr: none computable).
using DefinitionLookup = std::function<const Definition*(std::string_view code)>;

// Evaluates definitions over a tenant's inputs: value = numerator / denominator x
// multiplier with each input converted to the unit the formula expects. A missing input or a
// zero denominator gives no value and a reason, never a division by zero or a made-up 0.
class Calculator {
 public:
  Calculator(DefinitionLookup definitions, const InputIndex& inputs)
      : definitions_(std::move(definitions)), inputs_(inputs) {}

  KpiResult compute(std::string_view code, std::string_view city, std::string_view period) const;

 private:
  KpiResult compute(std::string_view code, std::string_view city, std::string_view period,
                    std::set<std::string>& active) const;

  DefinitionLookup definitions_;
  const InputIndex& inputs_;
};

// Variables a definition needs, following kpi references through `definitions`.
std::set<std::string> variables_used(const Definition& definition,
                                     const DefinitionLookup& definitions);

}  // namespace citytwin::kpi
