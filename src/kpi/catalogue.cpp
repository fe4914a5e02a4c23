#include "citytwin/kpi/catalogue.hpp"

#include <boost/json/parse.hpp>

#include "citytwin/common/json_parse.hpp"
#include "embedded_catalogue.hpp"

namespace citytwin::kpi {
namespace {

std::string string_member(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

Result<KpiEntry> parse_entry(const boost::json::object& object) {
  KpiEntry entry;
  entry.code = string_member(object, "code");
  if (entry.code.empty())
    return make_error(ErrorKind::kInternalError, "catalogue entry without code");
  entry.name = string_member(object, "name");
  entry.dimension = string_member(object, "dimension");
  entry.sub_dimension = string_member(object, "subDimension");
  entry.core_or_advanced = string_member(object, "coreOrAdvanced");
  entry.direction = string_member(object, "direction");
  entry.status = string_member(object, "status");
  if (const auto* sdg = object.if_contains("sdg"); sdg != nullptr && sdg->is_array()) {
    for (const auto& ref : sdg->as_array()) {
      if (ref.is_string()) entry.sdg.emplace_back(ref.as_string());
    }
  }
  if (entry.status == "computable") {
    const auto* definition = object.if_contains("definition");
    if (definition == nullptr) {
      return make_error(ErrorKind::kInternalError, entry.code + ": computable without definition");
    }
    auto formula = parse_formula(*definition);
    if (!formula) {
      return make_error(ErrorKind::kInternalError, entry.code + ": " + formula.error().detail);
    }
    entry.formula = std::move(*formula);
  }
  entry.json = object;
  return entry;
}

}  // namespace

bool CatalogueFilter::matches(const KpiEntry& entry) const {
  if (!dimension.empty() && entry.dimension != dimension) return false;
  if (!sub_dimension.empty() && entry.sub_dimension != sub_dimension) return false;
  if (!core_or_advanced.empty() && entry.core_or_advanced != core_or_advanced) return false;
  if (sdg.empty()) return true;
  for (const auto& ref : entry.sdg) {
    if (ref == sdg || (ref.size() > sdg.size() && ref.compare(0, sdg.size(), sdg) == 0 &&
                       ref[sdg.size()] == '.')) {
      return true;
    }
  }
  return false;
}

Result<Catalogue> Catalogue::parse(std::string_view text) {
  boost::system::error_code ec;
  auto json = citytwin::parse_json(text, ec);
  if (ec || !json.is_object() || !json.as_object().contains("kpis") ||
      !json.as_object().at("kpis").is_array()) {
    return make_error(ErrorKind::kInternalError, "the KPI catalogue is not {\"kpis\": [...]}");
  }
  Catalogue catalogue;
  for (const auto& item : json.as_object().at("kpis").as_array()) {
    if (!item.is_object())
      return make_error(ErrorKind::kInternalError, "catalogue entry not an object");
    auto entry = parse_entry(item.as_object());
    if (!entry) return std::move(entry).error();
    if (catalogue.by_code_.count(entry->code)) {
      return make_error(ErrorKind::kInternalError, "catalogue code twice: " + entry->code);
    }
    if (entry->formula) {
      for (const Term* term : entry->formula->terms()) {
        if (term->kind != Term::Kind::kVariable) continue;
        auto [it, inserted] = catalogue.variable_units_.emplace(term->name, term->unit);
        if (!inserted && it->second != term->unit) {
          return make_error(ErrorKind::kInternalError,
                            "catalogue variable " + term->name + " in two units");
        }
      }
    }
    catalogue.by_code_.emplace(entry->code, catalogue.entries_.size());
    catalogue.entries_.push_back(std::move(*entry));
  }
  return catalogue;
}

Result<Catalogue> Catalogue::embedded() {
  return parse(embedded_catalogue_json());
}

const KpiEntry* Catalogue::find(std::string_view code) const {
  auto it = by_code_.find(code);
  return it == by_code_.end() ? nullptr : &entries_[it->second];
}

std::optional<std::string> Catalogue::variable_unit(std::string_view name) const {
  auto it = variable_units_.find(name);
  if (it == variable_units_.end()) return std::nullopt;
  return it->second;
}

}  // namespace citytwin::kpi
