#include "citytwin/kpi/sensor_rule.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "citytwin/common/instant.hpp"
#include "citytwin/kpi/formula.hpp"
#include "citytwin/kpi/result_entity.hpp"
#include "citytwin/kpi/units.hpp"
#include "citytwin/model/entity_form.hpp"
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
      {"increase", SensorRule::Aggregation::kIncrease}};
  auto aggregation = kAggregations.find(text("aggregation"));
  if (aggregation == kAggregations.end()) {
    return bad("aggregation must be mean, sum, min, max, count, shareOfDaysAbove or increase");
  }
  rule.aggregation = aggregation->second;
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
  if (rule.aggregation == SensorRule::Aggregation::kShareOfDaysAbove &&
      unit->dimension != "share") {
    return bad("shareOfDaysAbove gives a share: unit must be percent, ratio or per_mille");
  }
  if (rule.aggregation == SensorRule::Aggregation::kCount && unit->dimension != "count") {
    return bad("count gives a number of samples: unit must be count");
  }
  rule.json = *object;
  return rule;
}

Result<InputRow> evaluate_sensor_rule(const SensorRule& rule, std::string_view period,
                                      std::string_view tenant, const core::EntityService& entities,
                                      const store::EntityStore& store) {
  auto [from, to] = period_window(period);
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
  std::vector<std::string> ids;
  while (true) {
    auto page = entities.query(tenant, query);
    if (!page) return std::move(page).error();
    for (const auto& entity : page->entities) ids.emplace_back(entity.at(form::kId).as_string());
    if (!page->more) break;
    query.offset += query.limit;
  }
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
  InputRow row;
  row.city = rule.city;
  row.period = std::string(period);
  row.variable = rule.variable;
  row.value = *value;
  row.unit = rule.unit;
  row.source = "sensor rule: " + std::to_string(sensors) + " " + short_name(rule.entity_type) +
               " entities, " + std::to_string(total.count) + " samples";
  row.method = std::string(aggregation_name(rule.aggregation)) + " of " +
               short_name(rule.attribute) + " observed in [" + window_text + ")";
  return row;
}

}  // namespace citytwin::kpi
