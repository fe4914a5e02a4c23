#include "citytwin/kpi/formula.hpp"

#include <cmath>

#include "citytwin/kpi/units.hpp"

namespace citytwin::kpi {
namespace {

Error bad(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

Result<Term> parse_term(const boost::json::value& json, std::string_view role) {
  const auto* object = json.if_object();
  if (object == nullptr) return bad(std::string(role) + " must be an object");
  Term term;
  if (const auto* kpi = object->if_contains("kpi")) {
    if (!kpi->is_string() || kpi->as_string().empty()) {
      return bad(std::string(role) + ".kpi must be a KPI code");
    }
    term.kind = Term::Kind::kKpi;
    term.name = std::string(kpi->as_string());
    return term;
  }
  const auto* name = object->if_contains("name");
  if (name == nullptr || !name->is_string()) {
    return bad(std::string(role) + " needs a variable \"name\" (or \"kpi\": a KPI code)");
  }
  term.name = std::string(name->as_string());
  if (!valid_variable_name(term.name)) {
    return bad(std::string(role) + ".name '" + term.name +
               "' must be lower case letters, digits and '_', starting with a letter (at most 64)");
  }
  const auto* unit = object->if_contains("unit");
  if (unit == nullptr || !unit->is_string()) return bad(std::string(role) + ".unit is required");
  auto known = find_unit(unit->as_string());
  if (!known) return bad(std::string(role) + ".unit: " + known.error().detail);
  term.unit = known->code;
  if (const auto* text = object->if_contains("description"); text && text->is_string()) {
    term.description = std::string(text->as_string());
  }
  return term;
}

boost::json::object term_to_json(const Term& term) {
  if (term.kind == Term::Kind::kKpi) return {{"kpi", term.name}};
  boost::json::object out{{"name", term.name}, {"unit", term.unit}};
  if (!term.description.empty()) out["description"] = term.description;
  return out;
}

}  // namespace

boost::json::value number_json(double number) {
  if (std::trunc(number) == number && std::abs(number) < 1e15) {
    return static_cast<std::int64_t>(number);
  }
  return number;
}

std::vector<const Term*> Formula::terms() const {
  std::vector<const Term*> out{&numerator};
  if (denominator) out.push_back(&*denominator);
  return out;
}

bool valid_variable_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<Formula> parse_formula(const boost::json::value& json) {
  const auto* object = json.if_object();
  if (object == nullptr) return bad("a definition must be a JSON object");
  for (const auto& [key, _] : *object) {
    if (key != "numerator" && key != "denominator" && key != "multiplier" && key != "unit" &&
        key != "description") {
      return bad("unknown member '" + std::string(key) + "' in a definition");
    }
  }
  Formula formula;
  const auto* numerator = object->if_contains("numerator");
  if (numerator == nullptr) return bad("numerator is required");
  auto parsed = parse_term(*numerator, "numerator");
  if (!parsed) return std::move(parsed).error();
  formula.numerator = std::move(*parsed);
  if (const auto* denominator = object->if_contains("denominator");
      denominator != nullptr && !denominator->is_null()) {
    auto term = parse_term(*denominator, "denominator");
    if (!term) return std::move(term).error();
    formula.denominator = std::move(*term);
  }
  if (const auto* multiplier = object->if_contains("multiplier");
      multiplier != nullptr && !multiplier->is_null()) {
    if (!multiplier->is_number()) return bad("multiplier must be a number");
    formula.multiplier = multiplier->to_number<double>();
    if (!std::isfinite(formula.multiplier) || formula.multiplier == 0) {
      return bad("multiplier must be a finite, non-zero number");
    }
  }
  const auto* unit = object->if_contains("unit");
  if (unit == nullptr || !unit->is_string()) return bad("unit (of the result) is required");
  auto known = find_unit(unit->as_string());
  if (!known) return bad("unit: " + known.error().detail);
  formula.unit = known->code;
  return formula;
}

boost::json::object formula_to_json(const Formula& formula) {
  boost::json::object out{{"numerator", term_to_json(formula.numerator)}};
  out["denominator"] =
      formula.denominator ? boost::json::value(term_to_json(*formula.denominator)) : nullptr;
  out["multiplier"] = number_json(formula.multiplier);
  out["unit"] = formula.unit;
  return out;
}

}  // namespace citytwin::kpi
