#include "citytwin/kpi/calculator.hpp"

#include <cmath>

#include "citytwin/kpi/units.hpp"

namespace citytwin::kpi {
namespace {

struct Operand {
  std::optional<double> value;  // in the unit the formula expects
};

void collect_variables(const Definition& definition, const DefinitionLookup& definitions,
                       std::set<std::string>& visited, std::set<std::string>& out) {
  if (!visited.insert(definition.code).second) return;
  for (const Term* term : definition.formula.terms()) {
    if (term->kind == Term::Kind::kVariable) {
      out.insert(term->name);
    } else if (const Definition* other = definitions(term->name)) {
      collect_variables(*other, definitions, visited, out);
    }
  }
}

}  // namespace

boost::json::object ProvenanceItem::to_json() const {
  boost::json::object out{
      {"term", term}, {"variable", variable},      {"value", number_json(value)},
      {"unit", unit}, {"used", number_json(used)}, {"importId", import_id}};
  if (row != 0) out["row"] = row;
  if (!source.empty()) out["source"] = source;
  if (!method.empty()) out["method"] = method;
  if (confidence) out["confidence"] = *confidence;
  return out;
}

std::set<std::string> variables_used(const Definition& definition,
                                     const DefinitionLookup& definitions) {
  std::set<std::string> visited;
  std::set<std::string> out;
  collect_variables(definition, definitions, visited, out);
  return out;
}

KpiResult Calculator::compute(std::string_view code, std::string_view city,
                              std::string_view period) const {
  std::set<std::string> active;
  return compute(code, city, period, active);
}

KpiResult Calculator::compute(std::string_view code, std::string_view city, std::string_view period,
                              std::set<std::string>& active) const {
  KpiResult result;
  result.code = std::string(code);
  result.city = std::string(city);
  result.period = std::string(period);
  const Definition* definition = definitions_(code);
  if (definition == nullptr) {
    result.reason = "no computable definition (pending in the catalogue; a city can supply one)";
    return result;
  }
  result.unit = definition->formula.unit;
  result.local = definition->local;
  // Definitions are checked for cycles when stored; this guards the evaluation anyway.
  if (!active.insert(result.code).second) {
    result.reason = "definition refers to itself through kpi:" + result.code;
    return result;
  }
  std::vector<Operand> operands;
  std::vector<std::string> problems;
  const auto& terms = definition->formula.terms();
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const Term& term = *terms[i];
    const std::string role = i == 0 ? "numerator" : "denominator";
    Operand operand;
    if (term.kind == Term::Kind::kKpi) {
      KpiResult inner = compute(term.name, city, period, active);
      if (!inner.value) {
        result.missing.push_back("kpi:" + term.name);
        problems.push_back(role + " kpi:" + term.name + " has no value (" + inner.reason + ")");
      } else {
        operand.value = *inner.value;
        ProvenanceItem item;
        item.term = role;
        item.variable = "kpi:" + term.name;
        item.value = item.used = *inner.value;
        item.unit = inner.unit;
        result.provenance.push_back(std::move(item));
        for (auto& nested : inner.provenance) result.provenance.push_back(std::move(nested));
      }
    } else if (const InputValue* input = inputs_.find(city, period, term.name)) {
      auto converted = convert_unit(input->row.value, input->row.unit, term.unit);
      ProvenanceItem item;
      item.term = role;
      item.variable = term.name;
      item.value = input->row.value;
      item.unit = input->row.unit;
      item.import_id = input->import_id;
      item.row = input->row.row;
      item.source = input->row.source;
      item.method = input->row.method;
      item.confidence = input->row.confidence;
      if (!converted) {
        problems.push_back(role + " " + term.name + ": " + converted.error().detail);
      } else {
        item.used = *converted;
        operand.value = *converted;
      }
      result.provenance.push_back(std::move(item));
    } else {
      result.missing.push_back(term.name);
      problems.push_back("missing input " + term.name);
    }
    operands.push_back(operand);
  }
  active.erase(result.code);
  if (!problems.empty()) {
    std::string reason;
    for (const auto& problem : problems) reason += (reason.empty() ? "" : "; ") + problem;
    result.reason = reason;
    return result;
  }
  double numerator = *operands[0].value;
  const double multiplier = definition->formula.multiplier;
  double value = numerator * multiplier;
  if (definition->formula.denominator) {
    double denominator = *operands[1].value;
    if (denominator == 0) {
      result.reason = "zero denominator: " + definition->formula.denominator->name + " is 0";
      return result;
    }
    // Multiplying first: with whole-number inputs and multiplier (counts per 100,000, a
    // percentage of a count) the product is exact and the one division rounds correctly, so
    // 180 km for 150,000 people gives 120, not 119.99999999999999 as dividing first does.
    value = std::isfinite(value) ? value / denominator : numerator / denominator * multiplier;
  }
  if (!std::isfinite(value)) {
    result.reason = "the value is not a finite number";
    return result;
  }
  result.value = value;
  return result;
}

}  // namespace citytwin::kpi
