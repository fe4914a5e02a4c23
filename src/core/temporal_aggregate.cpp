#include "temporal_aggregate.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "citytwin/common/date_time_buffer.hpp"
#include "citytwin/common/instant.hpp"
#include "citytwin/common/json_text.hpp"
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

using Value = AggregatedValue;

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

}  // namespace

Result<std::optional<series::BucketPlan>> aggregation_plan(std::optional<std::int64_t> oldest,
                                                           std::optional<std::int64_t> newest,
                                                           const TemporalQuery& query) {
  std::int64_t from = query.time_at;
  std::int64_t to = query.end_time_at;
  // A `between` range is known without data: its periods are checked even when empty.
  if (query.relation != Relation::kBetween) {
    if (!oldest || !newest) return std::optional<series::BucketPlan>();
    std::int64_t after_newest =
        *newest == std::numeric_limits<std::int64_t>::max() ? *newest : *newest + 1;
    from = query.relation == Relation::kAfter ? query.time_at : *oldest;
    to = query.relation == Relation::kBefore ? query.time_at : after_newest;
  }
  auto plan = series::BucketPlan::create(from, to, query.aggregation->period,
                                         query.aggregation->max_periods);
  if (!plan) return std::move(plan).error();
  return std::optional<series::BucketPlan>(std::move(*plan));
}

namespace {

// What the aggregation of one datasetId has seen.
struct DatasetSeen {
  bool has_number = false;
  bool has_string = false;
};

bool applies(AggregationMethod method, const DatasetSeen& series) {
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

// Appends a method's value for one period as JSON; false, with nothing appended, when the
// period has nothing it covers.
bool append_method_value(std::string& out, AggregationMethod method,
                         const series::BucketAggregate& period) {
  auto optional_number = [&out](const std::optional<double>& value) {
    if (!value) return false;
    append_json_number(out, *value);  // JSON has no infinities (a sum can overflow): null
    return true;
  };
  auto text_bound = [&out](const std::optional<double>& number,
                           const std::optional<std::string>& text) {
    if (number) {
      append_json_number(out, *number);
    } else if (text) {
      append_json_string(out, *text);
    } else {
      return false;
    }
    return true;
  };
  switch (method) {
    case AggregationMethod::kTotalCount:
      append_json_number(out, period.total_count);
      return true;
    case AggregationMethod::kDistinctCount:
      append_json_number(out, period.distinct_count);
      return true;
    case AggregationMethod::kSum:
      return optional_number(period.number_count == 0 ? std::nullopt
                                                      : std::optional<double>(period.sum));
    case AggregationMethod::kSumsq:
      return optional_number(period.number_count == 0 ? std::nullopt
                                                      : std::optional<double>(period.sumsq));
    case AggregationMethod::kAvg:
      return optional_number(period.avg);
    case AggregationMethod::kStddev:
      return optional_number(period.stddev);
    case AggregationMethod::kMin:
      return text_bound(period.min, period.min_text);
    case AggregationMethod::kMax:
      return text_bound(period.max, period.max_text);
  }
  return false;
}

}  // namespace

// Values are gathered into columns, which is what series::Aggregator reads, and handed
// over a batch at a time.
struct HistoryAggregator::Series::State {
  static constexpr std::size_t kBatch = 1024;

  State(const series::BucketPlan& plan, const TemporalAggregation& aggregation)
      : aggregator(plan, aggregation.methods), plan(plan) {}

  series::Aggregator aggregator;
  const series::BucketPlan& plan;
  // Chunk summaries per period index, added to the aggregator's periods at the end.
  std::map<std::size_t, series::NumberSummary> summaries;
  series::ChunkColumns pending;
  std::unordered_map<std::string, std::uint32_t> dictionary_index;
  DatasetSeen seen;

  void flush() {
    if (pending.size() == 0) return;
    aggregator.add(pending);
    pending = series::ChunkColumns();
    dictionary_index.clear();
  }
};

HistoryAggregator::Series::Series(const series::BucketPlan& plan,
                                  const TemporalAggregation& aggregation)
    : state_(std::make_unique<State>(plan, aggregation)) {}

HistoryAggregator::Series::~Series() = default;

void HistoryAggregator::Series::add(std::int64_t time, AggregatedValue value) {
  series::ChunkColumns& pending = state_->pending;
  pending.times.push_back(time);
  pending.kinds.push_back(value.kind);
  pending.numbers.push_back(value.number);
  std::uint32_t index = 0;
  if (value.kind == ValueKind::kString || value.kind == ValueKind::kJson) {
    auto [slot, added] = state_->dictionary_index.emplace(
        value.text, static_cast<std::uint32_t>(pending.dictionary.size()));
    if (added) pending.dictionary.push_back(std::move(value.text));
    index = slot->second;
  }
  pending.text_indices.push_back(index);
  DatasetSeen& seen = state_->seen;
  seen.has_number = seen.has_number || value.kind == ValueKind::kNumber;
  seen.has_string = seen.has_string || value.kind == ValueKind::kString;
  if (pending.size() >= State::kBatch) state_->flush();
}

void HistoryAggregator::Series::add_columns(const series::ChunkColumns& columns,
                                            std::span<const std::int64_t> times, std::size_t first,
                                            std::size_t last, bool ascending) {
  if (first >= last) return;
  // Values add()ed before go first: the numbers meet the aggregator in the order they came,
  // so sums of doubles round as they did one at a time.
  state_->flush();
  DatasetSeen& seen = state_->seen;
  if (!columns.scaled.empty()) {
    seen.has_number = true;  // a decimal chunk holds numbers only
  } else {
    for (std::size_t i = first; i < last; ++i) {
      seen.has_number = seen.has_number || columns.kinds[i] == ValueKind::kNumber;
      seen.has_string = seen.has_string || columns.kinds[i] == ValueKind::kString;
    }
  }
  state_->aggregator.add(columns, times, first, last, ascending);
}

std::optional<std::int64_t> HistoryAggregator::Series::add_decimals(
    std::span<const std::int64_t> times, std::span<const std::int64_t> scaled,
    std::uint8_t exponent, bool ascending) {
  if (times.empty()) return std::nullopt;
  state_->flush();  // as add_columns(): values add()ed before go first
  state_->seen.has_number = true;
  return state_->aggregator.add_decimals(times, scaled, exponent, ascending);
}

void HistoryAggregator::Series::add_summary(std::int64_t time,
                                            const series::NumberSummary& numbers) {
  std::size_t period = state_->plan.index_of(time);
  if (numbers.count == 0 || period == series::BucketPlan::kNone) return;
  state_->summaries[period].merge(numbers);
  state_->seen.has_number = true;
}

void HistoryAggregator::Series::set_type(std::int64_t time, boost::json::value type) {
  if (!wants_type(time)) return;
  type_time_ = time;
  type_ = std::move(type);
}

HistoryAggregator::HistoryAggregator(const TemporalAggregation& aggregation,
                                     series::BucketPlan plan)
    : aggregation_(aggregation), plan_(std::move(plan)) {}

HistoryAggregator::~HistoryAggregator() = default;

HistoryAggregator::Series& HistoryAggregator::series(std::string_view attribute,
                                                     std::string_view dataset_id) {
  auto datasets = attrs_.find(attribute);
  if (datasets == attrs_.end()) datasets = attrs_.try_emplace(std::string(attribute)).first;
  auto found = datasets->second.find(dataset_id);
  if (found == datasets->second.end()) {
    found = datasets->second
                .emplace(std::string(dataset_id), std::make_unique<Series>(plan_, aggregation_))
                .first;
  }
  return *found->second;
}

namespace {

// Adds chunks' summaries (by period index) to the filled periods (in index order), listing
// the periods only they fill.
void add_summaries(std::vector<series::BucketAggregate>& periods,
                   const std::map<std::size_t, series::NumberSummary>& summaries,
                   const series::BucketPlan& plan) {
  if (summaries.empty()) return;
  std::vector<series::BucketAggregate> merged;
  merged.reserve(periods.size() + summaries.size());
  auto next = periods.begin();
  for (const auto& [index, numbers] : summaries) {
    while (next != periods.end() && next->index < index) merged.push_back(std::move(*next++));
    if (next != periods.end() && next->index == index) {
      merged.push_back(std::move(*next++));
    } else {
      series::BucketAggregate& added = merged.emplace_back();
      added.index = index;
      added.start = plan.start(index);
      added.end = plan.end(index);
    }
    series::add_to_period(merged.back(), numbers);
  }
  std::move(next, periods.end(), std::back_inserter(merged));
  periods = std::move(merged);
}

// ,"<method>":[[value,"startAt","endAt"],...] for the periods holding a value it covers.
void append_method(std::string& out, AggregationMethod method,
                   const std::vector<series::BucketAggregate>& periods, PeriodBoundTexts& bounds) {
  out += ",\"";
  out += series::aggregation_method_name(method);
  out += "\":[";
  bool first = true;
  for (const series::BucketAggregate& period : periods) {
    if (period.total_count == 0) continue;
    const std::size_t mark = out.size();
    out += first ? "[" : ",[";
    if (!append_method_value(out, method, period)) {
      out.resize(mark);
      continue;
    }
    first = false;
    out += ",\"";
    out += bounds.text(period.index, period.start);
    out += "\",\"";
    out += bounds.text(period.index + 1, period.end);
    out += "\"]";
  }
  out += ']';
}

}  // namespace

Result<AggregatedAttrs> HistoryAggregator::finish(PeriodBoundTexts* shared_bounds) {
  AggregatedAttrs out;
  PeriodBoundTexts own_bounds;
  PeriodBoundTexts& bounds = shared_bounds != nullptr ? *shared_bounds : own_bounds;
  bounds.begin(plan_.size());
  for (auto& [attribute, datasets] : attrs_) {
    AggregatedAttribute entry{attribute, {}};
    for (auto& [dataset_id, series] : datasets) {
      series->state_->flush();
      auto periods = series->state_->aggregator.finish_filled();
      add_summaries(periods, series->state_->summaries, plan_);
      // A period's entry is about 60 bytes ([value,"start","end"]): one allocation, not a
      // dozen regrowths of a text that reaches tens of kilobytes for hourly periods.
      std::string text;
      text.reserve(128 + aggregation_.methods.size() * (32 + periods.size() * 64));
      text += "{\"type\":";
      append_json_text(text, series->type_);
      if (!dataset_id.empty()) {
        text += ",\"datasetId\":";
        append_json_string(text, dataset_id);
      }
      for (AggregationMethod method : aggregation_.methods) {
        if (!applies(method, series->state_->seen)) {
          if (!aggregation_.attrs_named) continue;
          return make_error(ErrorKind::kBadRequestData,
                            "aggregation method " +
                                std::string(series::aggregation_method_name(method)) +
                                " does not apply to " + attribute +
                                ": it has no values of a kind it can aggregate in the selected "
                                "range");
        }
        append_method(text, method, periods, bounds);
      }
      text += '}';
      entry.datasets.push_back(std::move(text));
    }
    if (!entry.datasets.empty()) out.push_back(std::move(entry));
  }
  return out;
}

AggregatedValue aggregated_value(const json::value& value) {
  return classify(value);
}

AggregatedValue aggregated_value_of(const json::object& instance) {
  return value_of(instance);
}

Result<AggregatedAttrs> aggregate_history(
    const std::map<std::string, std::vector<TimedInstance>, std::less<>>& attrs,
    const TemporalQuery& query) {
  std::optional<std::int64_t> oldest;
  std::optional<std::int64_t> newest;
  for (const auto& [name, instances] : attrs) {
    if (instances.empty()) continue;
    oldest = std::min(oldest.value_or(instances.front().time), instances.front().time);
    newest = std::max(newest.value_or(instances.back().time), instances.back().time);
  }
  auto plan = aggregation_plan(oldest, newest, query);
  if (!plan) return std::move(plan).error();
  if (!*plan) return AggregatedAttrs();
  HistoryAggregator aggregator(*query.aggregation, std::move(**plan));
  for (const auto& [name, instances] : attrs) {
    for (const auto& [time, text] : instances) {
      auto parsed = instance_object(text, name);
      if (!parsed) return std::move(parsed).error();
      const boost::json::object& instance = *parsed;
      const auto* dataset = instance.if_contains("datasetId");
      std::string_view dataset_id = dataset != nullptr && dataset->is_string()
                                        ? std::string_view(dataset->get_string())
                                        : std::string_view();
      auto& series = aggregator.series(name, dataset_id);
      series.add(time, value_of(instance));
      // Instances come in time order: the last one's type is the newest.
      if (const auto* type = instance.if_contains("type")) series.set_type(time, *type);
    }
  }
  return aggregator.finish();
}

}  // namespace citytwin::core
