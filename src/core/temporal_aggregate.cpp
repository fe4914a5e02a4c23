#include "temporal_aggregate.hpp"

#include <boost/json.hpp>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "citytwin/common/instant.hpp"
#include "citytwin/series/aggregation.hpp"
#include "citytwin/series/bucket_plan.hpp"
#include "citytwin/series/chunk.hpp"

namespace citytwin::core {
namespace {

namespace json = boost::json;
using series::AggregationMethod;
using series::ValueKind;
using Relation = TemporalQuery::Relation;

constexpr std::string_view kNullValue = "urn:ngsi-ld:null";  // clause 4.5.4 null marker

struct Value {
  ValueKind kind = ValueKind::kNull;
  double number = 0;
  std::string text;
};

Value classify(const json::value& value) {
  switch (value.kind()) {
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return {ValueKind::kNumber, value.to_number<double>(), {}};
    case json::kind::bool_:
      return {ValueKind::kBool, value.get_bool() ? 1.0 : 0.0, {}};
    case json::kind::string:
      if (value.get_string() == kNullValue) return {};
      return {ValueKind::kString, 0, std::string(value.get_string())};
    case json::kind::object:
      // A typed literal ({"@type": "DateTime", "@value": "..."}) compares as its text.
      if (const auto* literal = value.get_object().if_contains("@value");
          literal != nullptr && literal->is_string()) {
        return {ValueKind::kString, 0, std::string(literal->get_string())};
      }
      return {ValueKind::kJson, 0, json::serialize(value)};
    case json::kind::array:
      return {ValueKind::kJson, 0, json::serialize(value)};
    case json::kind::null:
      return {};
  }
  return {};
}

// The member holding an instance's value, whatever its attribute type (clause 4.5).
Value value_of(const json::object& instance) {
  static constexpr std::string_view kMembers[] = {"value",     "object",     "languageMap", "vocab",
                                                  "valueList", "objectList", "json"};
  for (std::string_view member : kMembers) {
    if (const auto* value = instance.if_contains(member)) return classify(*value);
  }
  return {};
}

// One datasetId's instances as decoded-chunk columns, which is what series::Aggregator reads.
struct DatasetSeries {
  json::value type = "Property";
  series::ChunkColumns columns;
  std::unordered_map<std::string, std::uint32_t> dictionary_index;
  bool has_number = false;
  bool has_string = false;

  void add(std::int64_t time, Value value) {
    columns.times.push_back(time);
    columns.kinds.push_back(value.kind);
    columns.numbers.push_back(value.number);
    std::uint32_t index = 0;
    if (value.kind == ValueKind::kString || value.kind == ValueKind::kJson) {
      auto [slot, added] = dictionary_index.emplace(
          value.text, static_cast<std::uint32_t>(columns.dictionary.size()));
      if (added) columns.dictionary.push_back(std::move(value.text));
      index = slot->second;
    }
    columns.text_indices.push_back(index);
    has_number = has_number || value.kind == ValueKind::kNumber;
    has_string = has_string || value.kind == ValueKind::kString;
  }
};

std::map<std::string, DatasetSeries> by_dataset(const std::vector<TimedInstance>& instances) {
  std::map<std::string, DatasetSeries> out;
  for (const auto& [time, instance] : instances) {
    const auto* dataset = instance.if_contains("datasetId");
    auto& series =
        out[dataset != nullptr && dataset->is_string() ? std::string(dataset->get_string()) : ""];
    if (const auto* type = instance.if_contains("type")) series.type = *type;
    series.add(time, value_of(instance));
  }
  return out;
}

struct Range {
  std::int64_t from = 0;
  std::int64_t to = 0;
};

std::optional<Range> aggregation_range(
    const std::map<std::string, std::vector<TimedInstance>, std::less<>>& attrs,
    const TemporalQuery& query) {
  std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
  std::int64_t newest = std::numeric_limits<std::int64_t>::min();
  for (const auto& [name, instances] : attrs) {
    if (instances.empty()) continue;
    oldest = std::min(oldest, instances.front().time);
    newest = std::max(newest, instances.back().time);
  }
  // A `between` range is known without data: its periods are checked even when empty.
  if (query.relation == Relation::kBetween) return Range{query.time_at, query.end_time_at};
  if (oldest > newest) return std::nullopt;
  std::int64_t after_newest =
      newest == std::numeric_limits<std::int64_t>::max() ? newest : newest + 1;
  switch (query.relation) {
    case Relation::kAfter:
      return Range{query.time_at, after_newest};
    case Relation::kBefore:
      return Range{oldest, query.time_at};
    case Relation::kBetween:
    case Relation::kNone:
      break;
  }
  return Range{oldest, after_newest};
}

bool applies(AggregationMethod method, const DatasetSeries& series) {
  switch (method) {
    case AggregationMethod::kTotalCount:
    case AggregationMethod::kDistinctCount:
      return true;
    case AggregationMethod::kSum:
    case AggregationMethod::kAvg:
    case AggregationMethod::kStddev:
    case AggregationMethod::kSumsq:
      return series.has_number;
    case AggregationMethod::kMin:
    case AggregationMethod::kMax:
      return series.has_number || series.has_string;
  }
  return false;
}

json::value number(double x) {
  // JSON has no infinities (a sum can overflow to one).
  if (!std::isfinite(x)) return nullptr;
  return x;
}

// A method's value for one period, or nullopt when the period has nothing it covers.
std::optional<json::value> method_value(AggregationMethod method,
                                        const series::BucketAggregate& period) {
  switch (method) {
    case AggregationMethod::kTotalCount:
      return json::value(period.total_count);
    case AggregationMethod::kDistinctCount:
      return json::value(period.distinct_count);
    case AggregationMethod::kSum:
      if (period.number_count == 0) return std::nullopt;
      return number(period.sum);
    case AggregationMethod::kSumsq:
      if (period.number_count == 0) return std::nullopt;
      return number(period.sumsq);
    case AggregationMethod::kAvg:
      if (!period.avg) return std::nullopt;
      return number(*period.avg);
    case AggregationMethod::kStddev:
      if (!period.stddev) return std::nullopt;
      return number(*period.stddev);
    case AggregationMethod::kMin:
      if (period.min) return number(*period.min);
      if (period.min_text) return json::value(*period.min_text);
      return std::nullopt;
    case AggregationMethod::kMax:
      if (period.max) return number(*period.max);
      if (period.max_text) return json::value(*period.max_text);
      return std::nullopt;
  }
  return std::nullopt;
}

Result<json::object> aggregate_dataset(std::string_view attribute, std::string_view dataset,
                                       const DatasetSeries& series, const series::BucketPlan& plan,
                                       const TemporalAggregation& aggregation) {
  series::Aggregator aggregator(plan, aggregation.methods);
  aggregator.add(series.columns);
  auto periods = aggregator.finish();
  json::object out{{"type", series.type}};
  if (!dataset.empty()) out["datasetId"] = dataset;
  for (AggregationMethod method : aggregation.methods) {
    std::string_view name = series::aggregation_method_name(method);
    if (!applies(method, series)) {
      if (!aggregation.attrs_named) continue;
      return make_error(ErrorKind::kBadRequestData,
                        "aggregation method " + std::string(name) + " does not apply to " +
                            std::string(attribute) +
                            ": it has no values of a kind it can aggregate in the selected range");
    }
    json::array entries;
    for (const auto& period : periods) {
      if (period.total_count == 0) continue;
      auto value = method_value(method, period);
      if (!value) continue;
      entries.emplace_back(json::array{std::move(*value), format_date_time(Instant{period.start}),
                                       format_date_time(Instant{period.end})});
    }
    out[name] = std::move(entries);
  }
  return out;
}

}  // namespace

Result<json::object> aggregate_history(
    const std::map<std::string, std::vector<TimedInstance>, std::less<>>& attrs,
    const TemporalQuery& query) {
  const TemporalAggregation& aggregation = *query.aggregation;
  json::object out;
  auto range = aggregation_range(attrs, query);
  if (!range) return out;
  auto plan = series::BucketPlan::create(range->from, range->to, aggregation.period,
                                         aggregation.max_periods);
  if (!plan) return std::move(plan).error();
  for (const auto& [name, instances] : attrs) {
    json::array datasets;
    for (const auto& [dataset, series] : by_dataset(instances)) {
      auto aggregated = aggregate_dataset(name, dataset, series, *plan, aggregation);
      if (!aggregated) return std::move(aggregated).error();
      datasets.emplace_back(std::move(*aggregated));
    }
    if (!datasets.empty()) out[name] = std::move(datasets);
  }
  return out;
}

}  // namespace citytwin::core
