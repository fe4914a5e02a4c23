#include "citytwin/kpi/result_entity.hpp"

#include <boost/json/value_from.hpp>
#include <cstdio>

#include "citytwin/model/entity_form.hpp"

namespace citytwin::kpi {
namespace {

namespace form = model::form;

boost::json::array property(boost::json::value value) {
  return boost::json::array{
      boost::json::object{{form::kType, form::kProperty}, {form::kValue, std::move(value)}}};
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

std::string date(int year, int month, int day) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", year, month, day);
  return buffer;
}

// calculationPeriod {from, to} (dates) and calculationFrequency of a period string.
std::pair<boost::json::object, std::string> period_span(std::string_view period) {
  int year = std::stoi(std::string(period.substr(0, 4)));
  int first = 1;
  int last = 12;
  std::string frequency = "yearly";
  if (period.size() == 7 && period[5] == 'Q') {
    int quarter = period[6] - '0';
    first = (quarter - 1) * 3 + 1;
    last = first + 2;
    frequency = "quarterly";
  } else if (period.size() == 7) {
    first = last = std::stoi(std::string(period.substr(5, 2)));
    frequency = "monthly";
  }
  return {boost::json::object{{"from", date(year, first, 1)},
                              {"to", date(year, last, days_in_month(year, last))}},
          frequency};
}

}  // namespace

std::string vocab_iri(std::string_view term) {
  return std::string(form::kDefaultVocab) + std::string(term);
}

std::string result_entity_id(std::string_view city, std::string_view period,
                             std::string_view code) {
  return "urn:ngsi-ld:KeyPerformanceIndicator:U4SSC:" + std::string(city) + ":" +
         std::string(period) + ":" + std::string(code);
}

boost::json::object result_entity(const KpiResult& result, const KpiEntry& entry,
                                  std::string_view formula_text, std::string_view updated_at) {
  boost::json::object attrs;
  auto set = [&attrs](std::string_view name, const auto& value) {
    attrs[vocab_iri(name)] = property(boost::json::value_from(value));
  };
  auto [span, frequency] = period_span(result.period);
  set("name", entry.name);
  set("kpiCode", entry.code);
  set("dimension", entry.dimension);
  set("subDimension", entry.sub_dimension);
  set("coreOrAdvanced", entry.core_or_advanced);
  set("direction", entry.direction);
  if (!entry.sdg.empty()) {
    boost::json::array sdg;
    for (const auto& ref : entry.sdg) sdg.emplace_back(ref);
    set("sdg", std::move(sdg));
  }
  set("category", boost::json::array{"quantitative"});
  set("area", result.city);
  set("period", result.period);
  set("calculationPeriod", std::move(span));
  set("calculationFrequency", frequency);
  set("calculationMethod", "automatic");
  if (!formula_text.empty()) set("calculationFormula", formula_text);
  set("source", "U4SSC KPIs for Smart Sustainable Cities (ITU-T Y.4903)");
  set("definitionOrigin", result.local ? "local" : "official");
  if (!result.local) {
    if (const auto* basis = entry.json.if_contains("formulaBasis"); basis && basis->is_string()) {
      set("formulaBasis", *basis);
    }
  }
  if (!result.unit.empty()) set("unit", result.unit);
  if (result.value) {
    set("kpiValue", number_json(*result.value));
    set("dataStatus", "ok");
  } else {
    set("dataStatus", "noData");
    set("noDataReason", result.reason);
  }
  if (!result.missing.empty()) {
    boost::json::array missing;
    for (const auto& name : result.missing) missing.emplace_back(name);
    set("missingInputs", std::move(missing));
  }
  if (!result.provenance.empty()) {
    boost::json::array provenance;
    for (const auto& item : result.provenance) provenance.push_back(item.to_json());
    set("provenance", std::move(provenance));
  }
  set("updatedAt", updated_at);
  return boost::json::object{{form::kId, result_entity_id(result.city, result.period, result.code)},
                             {form::kType, boost::json::array{vocab_iri(kKpiType)}},
                             {form::kAttrs, std::move(attrs)}};
}

boost::json::object result_view(const boost::json::object& entity) {
  boost::json::object out;
  if (const auto* id = entity.if_contains(form::kId)) out["id"] = *id;
  const auto* attrs = entity.if_contains(form::kAttrs);
  if (attrs == nullptr || !attrs->is_object()) return out;
  const std::string prefix(form::kDefaultVocab);
  for (const auto& [iri, instances] : attrs->as_object()) {
    if (!instances.is_array() || instances.as_array().empty()) continue;
    const auto& first = instances.as_array().front();
    if (!first.is_object()) continue;
    const auto* value = first.as_object().if_contains(form::kValue);
    if (value == nullptr) continue;
    std::string_view name = iri;
    if (name.substr(0, prefix.size()) == prefix) name.remove_prefix(prefix.size());
    out[name] = *value;
  }
  return out;
}

}  // namespace citytwin::kpi
