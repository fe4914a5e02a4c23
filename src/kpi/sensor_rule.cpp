#include "citytwin/kpi/sensor_rule.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "citytwin/common/instant.hpp"
#include "citytwin/kpi/formula.hpp"
#include "citytwin/kpi/result_entity.hpp"
#include "citytwin/kpi/units.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/geo/area_coverage.hpp"
#include "citytwin/model/geo/geo_query.hpp"
#include "citytwin/store/history_columns.hpp"

namespace citytwin::kpi {
namespace {

namespace form = model::form;

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

Error bad(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

std::string expand(std::string_view name) {
  if (name.find(':') != std::string_view::npos) return std::string(name);
  return vocab_iri(name);
}

// GeoProperty names: the core @context's own (location, observationSpace, operationSpace)
// are NGSI-LD core IRIs, not default-vocabulary terms.
std::string expand_geoproperty(std::string_view name) {
  for (std::string_view core : {"location", "observationSpace", "operationSpace"}) {
    if (name == core) return "https://uri.etsi.org/ngsi-ld/" + std::string(core);
  }
  return expand(name);
}

// Whether a (valid) geoQ's geometry is an area: a Polygon or MultiPolygon.
bool is_region(const boost::json::value& geo_q) {
  auto query = geo::GeoQuery::from_json(geo_q);
  if (!query) return false;
  const auto* type = query->geometry().if_contains("type");
  return type != nullptr && type->is_string() &&
         (type->as_string() == "Polygon" || type->as_string() == "MultiPolygon");
}

std::string short_name(const std::string& iri) {
  const std::string prefix(form::kDefaultVocab);
  return iri.compare(0, prefix.size(), prefix) == 0 ? iri.substr(prefix.size()) : iri;
}

std::int64_t month_start(int year, int month) {
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02d-01", year, month);
  return parse_date(text)->micros;
}

const char* aggregation_name(SensorRule::Aggregation aggregation) {
  switch (aggregation) {
    case SensorRule::Aggregation::kMean:
      return "mean";
    case SensorRule::Aggregation::kSum:
      return "sum";
    case SensorRule::Aggregation::kMin:
      return "min";
    case SensorRule::Aggregation::kMax:
      return "max";
    case SensorRule::Aggregation::kCount:
      return "count";
    case SensorRule::Aggregation::kShareOfDaysAbove:
      return "shareOfDaysAbove";
    case SensorRule::Aggregation::kIncrease:
      return "increase";
    case SensorRule::Aggregation::kAreaShare:
      return "areaShare";
  }
  return "";
}

// Every aggregation of a rule, accumulated sample by sample: count, sum, extremes, and, for
// shareOfDaysAbove only, per UTC day of the window (sum, count): at most 366 days a year,
// indexed by day so that a sample costs no lookup.
struct Aggregate {
  std::size_t count = 0;
  double sum = 0;
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
  std::int64_t first_day = 0;
  std::vector<std::pair<double, std::size_t>> days;  // empty unless per-day sums are needed
  bool cumulative = false;  // increase: the current entity's readings, then their increase
  std::vector<std::pair<std::int64_t, double>> readings;
  double increase = 0;

  static std::int64_t day_of(std::int64_t at) {
    return at >= 0 ? at / kMicrosPerDay : (at + 1) / kMicrosPerDay - 1;
  }

  Aggregate(const SensorRule& rule, std::int64_t from, std::int64_t to) {
    if (rule.aggregation == SensorRule::Aggregation::kShareOfDaysAbove) {
      first_day = day_of(from);
      days.resize(static_cast<std::size_t>(day_of(to - 1) - first_day + 1));
    }
    cumulative = rule.aggregation == SensorRule::Aggregation::kIncrease;
  }

  // After each entity: a meter's readings are a cumulative counter, so its consumption in
  // the window is the sum of the rises between consecutive readings (by observedAt, which
  // need not be the store's order). A reading below the previous one is a reset (a new or
  // reset meter counting from zero): it adds its own value.
  void end_entity() {
    if (!cumulative) return;
    std::sort(readings.begin(), readings.end());
    for (std::size_t i = 1; i < readings.size(); ++i) {
      const double previous = readings[i - 1].second;
      const double current = readings[i].second;
      increase += current >= previous ? current - previous : current;
    }
    readings.clear();
  }

  // `at` lies in the window the aggregate was made for.
  void add(std::int64_t at, double value) {
    ++count;
    sum += value;
    low = std::min(low, value);
    high = std::max(high, value);
    if (!days.empty()) {
      auto& [day_sum, day_count] = days[static_cast<std::size_t>(day_of(at) - first_day)];
      day_sum += value;
      ++day_count;
    }
    if (cumulative) readings.emplace_back(at, value);
  }

  // Share of UTC days with samples whose mean of all samples that day is above `threshold`.
  double share_of_days_above(double threshold) const {
    std::size_t above = 0;
    std::size_t observed = 0;
    for (const auto& [day_sum, day_count] : days) {
      if (day_count == 0) continue;
      ++observed;
      if (day_sum / static_cast<double>(day_count) > threshold) ++above;
    }
    return static_cast<double>(above) / static_cast<double>(observed);
  }

  Result<double> result(const SensorRule& rule) const {
    switch (rule.aggregation) {
      case SensorRule::Aggregation::kCount:
        return static_cast<double>(count);
      case SensorRule::Aggregation::kShareOfDaysAbove:
        return convert_unit(share_of_days_above(rule.threshold), "ratio", rule.unit);
      case SensorRule::Aggregation::kSum:
        return sum;
      case SensorRule::Aggregation::kMin:
        return low;
      case SensorRule::Aggregation::kMax:
        return high;
      case SensorRule::Aggregation::kIncrease:
        return increase;
      case SensorRule::Aggregation::kAreaShare:
        break;  // not a sample aggregate: evaluate_area_share()
      case SensorRule::Aggregation::kMean:
        break;
    }
    return sum / static_cast<double>(count);
  }
};

}  // namespace

std::pair<std::int64_t, std::int64_t> period_window(std::string_view period) {
  int year = std::stoi(std::string(period.substr(0, 4)));
  int first = 1;
  int months = 12;
  if (period.size() == 7 && period[5] == 'Q') {
    first = (period[6] - '0' - 1) * 3 + 1;
    months = 3;
  } else if (period.size() == 7) {
    first = std::stoi(std::string(period.substr(5, 2)));
    months = 1;
  }
  int end_month = first + months;
  int end_year = year;
  if (end_month > 12) {
    end_month -= 12;
    ++end_year;
  }
  return {month_start(year, first), month_start(end_year, end_month)};
}

Result<SensorRule> parse_sensor_rule(std::string_view variable, const boost::json::value& json) {
  const auto* object = json.if_object();
  if (object == nullptr) return bad("a rule must be a JSON object");
  SensorRule rule;
  rule.variable = std::string(variable);
  if (!valid_variable_name(rule.variable)) {
    return bad("the rule's variable must be lower case letters, digits and '_'");
  }
  auto text = [object](std::string_view key) -> std::string {
    const auto* value = object->if_contains(key);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
  };
  for (const auto& [key, _] : *object) {
    static const std::set<std::string_view> kKnown = {"city", "entityType",  "attribute",
                                                      "geoQ", "aggregation", "threshold",
                                                      "unit", "description"};
    if (!kKnown.count(key)) return bad("unknown member '" + std::string(key) + "' in a rule");
  }
  rule.city = text("city");
  if (!valid_city(rule.city)) return bad("city is required (1-64 letters, digits, -_.:)");
  if (text("entityType").empty()) return bad("entityType is required");
  if (text("attribute").empty()) return bad("attribute is required");
  rule.entity_type = expand(text("entityType"));
  rule.attribute = expand(text("attribute"));
  if (const auto* geo = object->if_contains("geoQ"); geo != nullptr && !geo->is_null()) {
    auto parsed = geo::GeoQuery::from_json(*geo);
    if (!parsed) return bad("geoQ: " + parsed.error().detail);
    rule.geo_q = *geo;
  }
  static const std::map<std::string, SensorRule::Aggregation, std::less<>> kAggregations = {
      {"mean", SensorRule::Aggregation::kMean},
      {"sum", SensorRule::Aggregation::kSum},
      {"min", SensorRule::Aggregation::kMin},
      {"max", SensorRule::Aggregation::kMax},
      {"count", SensorRule::Aggregation::kCount},
      {"shareOfDaysAbove", SensorRule::Aggregation::kShareOfDaysAbove},
      {"increase", SensorRule::Aggregation::kIncrease},
      {"areaShare", SensorRule::Aggregation::kAreaShare}};
  auto aggregation = kAggregations.find(text("aggregation"));
  if (aggregation == kAggregations.end()) {
    return bad(
        "aggregation must be mean, sum, min, max, count, shareOfDaysAbove, increase or "
        "areaShare");
  }
  rule.aggregation = aggregation->second;
  if (rule.aggregation == SensorRule::Aggregation::kAreaShare) {
    rule.attribute = expand_geoproperty(text("attribute"));
    if (!rule.geo_q || !is_region(*rule.geo_q)) {
      return bad("areaShare needs a geoQ whose geometry (the region) is a Polygon or MultiPolygon");
    }
  }
  if (rule.aggregation == SensorRule::Aggregation::kShareOfDaysAbove) {
    const auto* threshold = object->if_contains("threshold");
    if (threshold == nullptr || !threshold->is_number()) {
      return bad("shareOfDaysAbove needs a numeric threshold");
    }
    rule.threshold = threshold->to_number<double>();
  }
  auto unit = find_unit(text("unit"));
  if (!unit) return bad("unit: " + unit.error().detail);
  rule.unit = unit->code;
  if ((rule.aggregation == SensorRule::Aggregation::kShareOfDaysAbove ||
       rule.aggregation == SensorRule::Aggregation::kAreaShare) &&
      unit->dimension != "share") {
    return bad(std::string(aggregation_name(rule.aggregation)) +
               " gives a share: unit must be percent, ratio or per_mille");
  }
  if (rule.aggregation == SensorRule::Aggregation::kCount && unit->dimension != "count") {
    return bad("count gives a number of samples: unit must be count");
  }
  rule.json = *object;
  return rule;
}

namespace {

// The entities of the rule's type (and geoQ), each handed to `visit` in the stored form.
Status for_each_entity(const SensorRule& rule, std::string_view tenant,
                       const core::EntityService& entities,
                       const std::function<void(const boost::json::object&)>& visit) {
  core::EntityQuery query;
  core::EntitySelector selector;
  selector.types.alternatives.push_back({rule.entity_type});
  query.selectors.push_back(std::move(selector));
  if (rule.geo_q) {
    auto geo = geo::GeoQuery::from_json(*rule.geo_q);
    if (!geo) return std::move(geo).error();
    query.geo = *geo;
    query.geoproperty_iri = std::string(form::kLocationIri);
  }
  query.limit = 1000;
  while (true) {
    auto page = entities.query(tenant, query);
    if (!page) return std::move(page).error();
    for (const auto& entity : page->entities) visit(entity);
    if (!page->more) break;
    query.offset += query.limit;
  }
  return ok_status();
}

InputRow rule_row(const SensorRule& rule, std::string_view period, double value) {
  InputRow row;
  row.city = rule.city;
  row.period = std::string(period);
  row.variable = rule.variable;
  row.value = value;
  row.unit = rule.unit;
  return row;
}

// areaShare: the share of the geoQ's region covered by the current geometries of the
// entities (for example parks' polygons: the green-area share of the city). Not a window of
// history: the geometries as they are when the rule is evaluated.
Result<InputRow> evaluate_area_share(const SensorRule& rule, std::string_view period,
                                     std::string_view tenant, const core::EntityService& entities) {
  std::vector<boost::json::value> geometries;
  std::size_t without = 0;
  CT_RETURN_IF_ERROR(
      for_each_entity(rule, tenant, entities, [&](const boost::json::object& entity) {
        const auto* attrs = entity.if_contains(form::kAttrs);
        const auto* instances = attrs != nullptr && attrs->is_object()
                                    ? attrs->as_object().if_contains(rule.attribute)
                                    : nullptr;
        if (instances == nullptr || !instances->is_array() || instances->as_array().empty() ||
            !instances->as_array().front().is_object()) {
          ++without;
          return;
        }
        const auto* value = instances->as_array().front().as_object().if_contains(form::kValue);
        if (value == nullptr) {
          ++without;
          return;
        }
        geometries.push_back(*value);
      }));
  auto region = geo::GeoQuery::from_json(*rule.geo_q);
  if (!region) return std::move(region).error();
  auto coverage = geo::area_coverage(boost::json::value(region->geometry()), geometries);
  if (!coverage) return std::move(coverage).error();
  if (coverage->polygons == 0) {
    return make_error(ErrorKind::kResourceNotFound,
                      "no " + short_name(rule.entity_type) + " entity has a polygon " +
                          short_name(rule.attribute) + " in the region");
  }
  auto value = convert_unit(coverage->share(), "ratio", rule.unit);
  if (!value) return std::move(value).error();
  InputRow row = rule_row(rule, period, *value);
  row.source = "sensor rule: " + std::to_string(coverage->polygons) + " polygons of " +
               short_name(rule.entity_type) + " entities (" +
               std::to_string(coverage->without_area + without) + " without an area, " +
               std::to_string(coverage->invalid) + " invalid)";
  char areas[128];
  std::snprintf(areas, sizeof areas, "%.0f m2 of %.0f m2", coverage->covered_m2,
                coverage->region_m2);
  row.method = "areaShare of " + short_name(rule.attribute) + " in the geoQ region: " + areas +
               ", current geometries";
  return row;
}

}  // namespace

Result<InputRow> evaluate_sensor_rule(const SensorRule& rule, std::string_view period,
                                      std::string_view tenant, const core::EntityService& entities,
                                      const store::EntityStore& store) {
  if (rule.aggregation == SensorRule::Aggregation::kAreaShare) {
    return evaluate_area_share(rule, period, tenant, entities);
  }
  auto [from, to] = period_window(period);
  std::vector<std::string> ids;
  CT_RETURN_IF_ERROR(
      for_each_entity(rule, tenant, entities, [&ids](const boost::json::object& entity) {
        ids.emplace_back(entity.at(form::kId).as_string());
      }));
  // Straight from the store's history columns (EntityStore::visit_history_columns): a
  // year of minute readings of thousands of sensors is aggregated as it is decoded, never
  // rebuilt as JSON instances nor held in memory. The window is on observedAt (the time of
  // the measurement), which does not order the store's samples, so each entity's history of
  // the attribute is walked whole.
  Aggregate total(rule, from, to);
  std::size_t sensors = 0;
  for (const auto& id : ids) {
    const std::size_t before = total.count;
    auto walked = store.visit_history_columns(
        tenant, id, rule.attribute, store::HistoryRange{},
        [&total, from = from, to = to](const store::HistoryColumns& batch) {
          for (std::size_t i = 0; i < batch.size(); ++i) {
            if (batch.deleted[i] != 0 || batch.values.time2_present[i] == 0 ||
                batch.values.kinds[i] != series::ValueKind::kNumber) {
              continue;
            }
            const std::int64_t at = batch.values.times2[i];
            if (at < from || at >= to) continue;
            total.add(at, batch.values.numbers[i]);
          }
          return true;
        });
    if (!walked.ok()) return walked.error();
    total.end_entity();
    if (total.count > before) ++sensors;
  }
  std::string window_text =
      format_date_time(Instant{from}) + " .. " + format_date_time(Instant{to});
  if (total.count == 0) {
    return make_error(ErrorKind::kResourceNotFound, "no numeric " + short_name(rule.attribute) +
                                                        " sample observed in " + window_text +
                                                        " on " + std::to_string(ids.size()) + " " +
                                                        short_name(rule.entity_type) + " entities");
  }
  auto value = total.result(rule);
  if (!value) return std::move(value).error();
  InputRow row = rule_row(rule, period, *value);
  row.source = "sensor rule: " + std::to_string(sensors) + " " + short_name(rule.entity_type) +
               " entities, " + std::to_string(total.count) + " samples";
  row.method = std::string(aggregation_name(rule.aggregation)) + " of " +
               short_name(rule.attribute) + " observed in [" + window_text + ")";
  return row;
}

}  // namespace citytwin::kpi
