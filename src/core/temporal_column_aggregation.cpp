#include "temporal_column_aggregation.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "citytwin/common/json_member.hpp"
#include "citytwin/common/json_parse.hpp"
#include "citytwin/store/history_chunk_stats.hpp"
#include "history_capture.hpp"
#include "temporal_aggregate.hpp"
#include "temporal_selection.hpp"

namespace citytwin::core {
namespace {

namespace json = boost::json;
using series::ValueKind;
using Relation = TemporalQuery::Relation;
using TimeProperty = TemporalQuery::TimeProperty;

constexpr std::string_view kNullValue = "urn:ngsi-ld:null";  // clause 4.5.4 null marker

bool wanted_attribute(std::string_view attribute, const TemporalQuery& query) {
  if (attribute == kTypeHistory) return false;
  return query.attrs.empty() || query.attrs.contains(attribute);
}

Status walk(store::SummarizedHistoryReader& reader, std::string_view tenant, std::string_view id,
            const TemporalQuery& query, const store::HistoryColumnsVisitor& visit,
            const store::HistoryChunkFilter& filter,
            const store::ObservedDecimalsVisitor& decimals = nullptr) {
  std::string_view attribute;  // one attribute: read only its part of the history
  if (query.attrs.size() == 1) attribute = *query.attrs.begin();
  return reader.visit(tenant, id, attribute, history_range(query), visit, filter, decimals);
}

Result<json::object> parse_instance(std::string_view attribute, std::string_view text) {
  boost::system::error_code ec;
  auto parsed = citytwin::parse_json(text, ec);
  if (ec || !parsed.is_object()) {
    return make_error(ErrorKind::kInternalError,
                      "stored history of " + std::string(attribute) + " is unreadable");
  }
  return std::move(parsed.as_object());
}

Result<json::object> rebuild_instance(const store::HistoryColumns& batch, std::size_t index) {
  auto sample = batch.sample(index);
  if (!sample.ok()) return std::move(sample).error();
  return parse_instance(batch.attribute, sample->instance);
}

// Values of JSON-text entries (objects, arrays, escaped strings), parsed once per batch.
class JsonValues {
 public:
  explicit JsonValues(const store::HistoryColumns& batch)
      : batch_(batch), parsed_(batch.values.dictionary.size()) {}

  Result<AggregatedValue> at(std::uint32_t text_index) {
    auto& slot = parsed_.at(text_index);
    if (!slot) {
      boost::system::error_code ec;
      auto parsed = citytwin::parse_json(batch_.values.dictionary[text_index], ec);
      if (ec) {
        return make_error(ErrorKind::kInternalError,
                          "stored history of " + batch_.attribute + " is unreadable");
      }
      slot = aggregated_value(parsed);
    }
    return *slot;
  }

 private:
  const store::HistoryColumns& batch_;
  std::vector<std::optional<AggregatedValue>> parsed_;
};

Result<AggregatedValue> value_at(const store::HistoryColumns& batch, std::size_t index,
                                 JsonValues& json_values) {
  const series::ChunkColumns& values = batch.values;
  switch (values.kinds[index]) {
    case ValueKind::kNumber:
    case ValueKind::kBool:
      return AggregatedValue{values.kinds[index], values.numbers[index], {}};
    case ValueKind::kString: {
      const std::string& text = values.dictionary[values.text_indices[index]];
      if (text == kNullValue) return AggregatedValue{};
      return AggregatedValue{ValueKind::kString, 0, text};
    }
    case ValueKind::kJson:
      return json_values.at(values.text_indices[index]);
    case ValueKind::kNull:
      break;
  }
  // The value is not a plain "value" member: read it from the whole instance.
  auto instance = rebuild_instance(batch, index);
  if (!instance.ok()) return std::move(instance).error();
  return aggregated_value_of(*instance);
}

// Sets the series' type from `sample` (rebuilt by `rebuild`), its newest selected one (at
// `time`), of `attribute`. Only the "type" member's text is parsed, not the whole instance.
template <typename Rebuild>
Status take_type(std::string_view attribute, Rebuild&& rebuild, std::int64_t time,
                 HistoryAggregator::Series& series) {
  if (!series.wants_type(time)) return ok_status();
  Result<store::HistorySample> sample = rebuild();
  if (!sample.ok()) return std::move(sample).error();
  if (auto type_text = citytwin::top_level_member(sample->instance, "type")) {
    boost::system::error_code ec;
    auto type = citytwin::parse_json(*type_text, ec);
    if (!ec) {
      series.set_type(time, std::move(type));
      return ok_status();
    }
  }
  // No plain "type" member found: the whole instance decides (it may have none at all).
  auto instance = parse_instance(attribute, sample->instance);
  if (!instance.ok()) return std::move(instance).error();
  if (const auto* type = instance->if_contains("type")) series.set_type(time, *type);
  return ok_status();
}

// take_type() from sample `index` of the batch. Asked once per batch.
Status take_type(const store::HistoryColumns& batch, std::size_t index, std::int64_t time,
                 HistoryAggregator::Series& series) {
  return take_type(
      batch.attribute, [&] { return batch.sample(index); }, time, series);
}

// A batch's selected samples when they are one run [first, last) of it, each at times[i],
// whose values the columns hold as value_at() reads them (Series::add_columns).
struct SelectedRun {
  std::span<const std::int64_t> times;
  std::size_t first = 0;
  std::size_t last = 0;
  std::size_t newest = 0;  // the newest selected sample (ties: the last one, as the loop)
  bool ascending = false;  // times[first, last) ascend
};

// The instants [low, high] a relation selects (none when low > high).
struct InstantBounds {
  std::int64_t low = std::numeric_limits<std::int64_t>::min();
  std::int64_t high = std::numeric_limits<std::int64_t>::max();
};

InstantBounds relation_bounds(const TemporalQuery& query) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr InstantBounds kNothing{kMax, kMin};
  switch (query.relation) {
    case Relation::kNone:
      return {};
    case Relation::kBefore:
      return query.time_at == kMin ? kNothing : InstantBounds{kMin, query.time_at - 1};
    case Relation::kAfter:
      return query.time_at == kMax ? kNothing : InstantBounds{query.time_at + 1, kMax};
    case Relation::kBetween:
      return query.end_time_at == kMin ? kNothing
                                       : InstantBounds{query.time_at, query.end_time_at - 1};
  }
  return kNothing;
}

bool holds_null_marker(const series::ChunkColumns& values) {
  return std::find(values.dictionary.begin(), values.dictionary.end(), kNullValue) !=
         values.dictionary.end();
}

// selected_run_plain() when the instants ascend (the usual batch: chunks of one sensor in
// time order): the run's ends by binary search, its values checked only within it, and a
// decimal batch (numbers only) not at all.
std::optional<SelectedRun> selected_run_ascending(const store::HistoryColumns& batch,
                                                  std::span<const std::int64_t> times,
                                                  const InstantBounds& bounds) {
  SelectedRun run{times};
  run.ascending = true;
  if (bounds.low > bounds.high) return run;
  const auto first = std::lower_bound(times.begin(), times.end(), bounds.low);
  const auto last = std::upper_bound(first, times.end(), bounds.high);
  if (first == last) return run;
  run.first = static_cast<std::size_t>(first - times.begin());
  run.last = static_cast<std::size_t>(last - times.begin());
  run.newest = run.last - 1;  // ties: the last one
  const series::ChunkColumns& values = batch.values;
  if (values.scaled.size() == batch.size()) return run;  // decimal numbers only
  bool unusable = false;
  bool strings = false;
  for (std::size_t j = run.first; j < run.last; ++j) {
    const ValueKind kind = values.kinds[j];
    unusable |= (kind == ValueKind::kNull) | (kind == ValueKind::kJson);
    strings |= kind == ValueKind::kString;
  }
  if (unusable || (strings && holds_null_marker(values))) return std::nullopt;
  return run;
}

// selected_run() for the common batch: no deletion, and (by observedAt) every sample with its
// instant, so a sample is selected exactly when its instant is in the relation. One pass
// without branches on the data, instead of selected_time()'s per-sample checks.
// nullopt: not one run.
std::optional<SelectedRun> selected_run_plain(const store::HistoryColumns& batch,
                                              std::span<const std::int64_t> times,
                                              const TemporalQuery& query) {
  const InstantBounds bounds = relation_bounds(query);
  if (std::is_sorted(times.begin(), times.end())) {
    return selected_run_ascending(batch, times, bounds);
  }
  const series::ChunkColumns& values = batch.values;
  const std::size_t size = batch.size();
  std::size_t count = 0;
  std::size_t first = size;
  std::size_t last = 0;
  std::int64_t newest = std::numeric_limits<std::int64_t>::min();
  bool unusable = false;  // a selected sample the columns do not hold as a value
  bool strings = false;
  for (std::size_t j = 0; j < size; ++j) {
    const std::int64_t time = times[j];
    const bool selected = (time >= bounds.low) & (time <= bounds.high);
    const ValueKind kind = values.kinds[j];
    count += selected;
    first = selected && first == size ? j : first;
    last = selected ? j + 1 : last;
    newest = selected ? std::max(newest, time) : newest;
    unusable |= selected & ((kind == ValueKind::kNull) | (kind == ValueKind::kJson));
    strings |= selected & (kind == ValueKind::kString);
  }
  SelectedRun run{times};
  if (count == 0) return run;
  if (count != last - first || unusable) return std::nullopt;  // a gap, or not plain values
  run.first = first;
  run.last = last;
  // Ties: the last one, as the loop in selected_run(); at the end when the instants ascend.
  run.newest = last - 1;
  while (times[run.newest] != newest) --run.newest;
  if (strings && holds_null_marker(values)) return std::nullopt;  // the marker is no value
  return run;
}

// Whether any flag is set / every flag is: whole passes (no early exit) that vectorize.
bool any_flag_set(const std::vector<std::uint8_t>& flags) {
  std::uint8_t any = 0;
  for (std::uint8_t flag : flags) any |= flag;
  return any != 0;
}

bool every_flag_set(const std::vector<std::uint8_t>& flags) {
  std::uint8_t every = 1;
  for (std::uint8_t flag : flags) every &= static_cast<std::uint8_t>(flag != 0);
  return every != 0;
}

std::optional<SelectedRun> selected_run(const store::HistoryColumns& batch,
                                        const TemporalQuery& query) {
  const series::ChunkColumns& values = batch.values;
  const bool observed = query.property == TimeProperty::kObservedAt;
  if (observed && values.times2.size() != batch.size()) return std::nullopt;
  if (!any_flag_set(batch.deleted) && (!observed || every_flag_set(values.time2_present))) {
    return selected_run_plain(batch, observed ? std::span(values.times2) : std::span(values.times),
                              query);
  }
  SelectedRun run{observed ? std::span(values.times2) : std::span(values.times)};
  bool started = false;
  bool strings = false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto time = selected_time(batch, i, query);
    if (!time) continue;
    if (started && run.last != i) return std::nullopt;  // a gap: not one run
    // Without observedAt the loop would place the sample by modifiedAt.
    if (observed && values.time2_present[i] == 0) return std::nullopt;
    ValueKind kind = values.kinds[i];
    if (kind == ValueKind::kNull || kind == ValueKind::kJson) return std::nullopt;
    strings = strings || kind == ValueKind::kString;
    if (!started || *time >= run.times[run.newest]) run.newest = i;
    if (!started) run.first = i;
    started = true;
    run.last = i + 1;
  }
  if (strings && holds_null_marker(values)) return std::nullopt;  // the marker is no value
  return run;
}

// Adds one batch's selected instances to the aggregation: one run of plain values as columns
// (no per-sample copy or lookup), anything else one instance at a time.
Status aggregate_batch(const store::HistoryColumns& batch, const TemporalQuery& query,
                       HistoryAggregator& aggregator) {
  if (auto run = selected_run(batch, query)) {
    // Only selected instances make an attribute appear in the answer.
    if (run->first == run->last) return ok_status();
    auto& series = aggregator.series(batch.attribute, batch.dataset_id);
    series.add_columns(batch.values, run->times, run->first, run->last, run->ascending);
    return take_type(batch, run->newest, run->times[run->newest], series);
  }
  HistoryAggregator::Series* series = nullptr;
  JsonValues json_values(batch);
  std::optional<std::size_t> newest;
  std::int64_t newest_time = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto time = selected_time(batch, i, query);
    if (!time) continue;
    auto value = value_at(batch, i, json_values);
    if (!value.ok()) return std::move(value).error();
    if (series == nullptr) series = &aggregator.series(batch.attribute, batch.dataset_id);
    series->add(*time, std::move(*value));
    if (!newest || *time >= newest_time) {
      newest = i;
      newest_time = *time;
    }
  }
  if (!newest) return ok_status();
  return take_type(batch, *newest, newest_time, *series);
}

// The oldest and newest selected instants over every wanted attribute. A chunk whose
// samples the query selects all (or none) is answered from its statistics.
Status find_range(store::SummarizedHistoryReader& reader, std::string_view tenant,
                  std::string_view id, const TemporalQuery& query,
                  std::optional<std::int64_t>& oldest, std::optional<std::int64_t>& newest) {
  auto include = [&](std::int64_t from, std::int64_t to) {
    oldest = std::min(oldest.value_or(from), from);
    newest = std::max(newest.value_or(to), to);
  };
  auto visit = [&](const store::HistoryColumns& batch) {
    if (!wanted_attribute(batch.attribute, query)) return true;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (auto time = selected_time(batch, i, query)) include(*time, *time);
    }
    return true;
  };
  auto filter = [&](const store::HistoryChunkStats& chunk) {
    if (!wanted_attribute(chunk.attribute, query) || selects_none(chunk, query)) {
      return store::ChunkUse::kSkip;
    }
    auto span = selects_all(chunk, query);
    if (!span) return store::ChunkUse::kDecode;
    include(span->oldest, span->newest);
    return store::ChunkUse::kSkip;
  };
  return walk(reader, tenant, id, query, visit, filter);
}

// The summaries that add a wholly selected all-number chunk (`span`: its selected instants)
// to the periods exactly, each with an instant of the period it goes to: the whole chunk's
// when one period holds its span, else its per-day ones (by observedAt) when each day's part
// of the span lies in one period (daily periods from UTC midnight, or coarser ones). Empty:
// the chunk must be decoded.
std::vector<std::pair<std::int64_t, const series::NumberSummary*>> summary_parts(
    const store::HistoryChunkStats& chunk, const InstantSpan& span, const TemporalQuery& query,
    const series::BucketPlan& plan) {
  constexpr std::int64_t kDay = 86'400'000'000;
  std::vector<std::pair<std::int64_t, const series::NumberSummary*>> parts;
  std::size_t period = plan.index_of(span.oldest);
  if (period != series::BucketPlan::kNone && period == plan.index_of(span.newest)) {
    parts.emplace_back(span.oldest, &*chunk.numbers);
    return parts;
  }
  if (query.property != TimeProperty::kObservedAt || chunk.days.empty()) return parts;
  for (const auto& [day, numbers] : chunk.days) {
    std::int64_t first = std::max(day, span.oldest);
    std::int64_t last = std::min(day + (kDay - 1), span.newest);
    std::size_t index = plan.index_of(first);
    if (index == series::BucketPlan::kNone || index != plan.index_of(last)) return {};
    parts.emplace_back(first, &numbers);
  }
  return parts;
}

// Chunks aggregated from their statistics or their observedAt and values: the newest instant
// each series took that way, and where that chunk lies, to read its type from the sample
// itself at the end (the type is the newest instance's, and neither holds instances).
struct DeferredType {
  std::int64_t time = 0;
  store::HistoryRange modified;  // the chunk's modifiedAt span
  // Set for a chunk read as observedAt and values: its newest sample, rebuilt without a walk.
  std::function<Result<store::HistorySample>()> kept;
};

struct DeferredSeriesType {
  std::string attribute;
  std::string dataset_id;
  DeferredType where;
};

// Keyed by the series (each lives as long as the aggregator): a chunk's note costs no copy of
// its names, which only the series' first note makes.
class DeferredTypes {
 public:
  // A chunk of `series` (attribute, dataset_id) was aggregated without its instances: its
  // newest selected instant and modifiedAt span, kept when it may be the series' newest.
  // `keep` makes DeferredType::kept, asked only when this chunk is kept.
  template <typename Keep>
  void note(std::string_view attribute, std::string_view dataset_id, std::int64_t newest,
            const store::HistoryRange& modified, HistoryAggregator::Series& series, Keep&& keep) {
    if (!series.wants_type(newest)) return;
    auto [type, added] = types_.try_emplace(&series);
    if (added) {
      type->second = {std::string(attribute), std::string(dataset_id), {newest, modified, keep()}};
    } else if (newest >= type->second.where.time) {
      type->second.where = {newest, modified, keep()};
    }
  }
  const std::map<HistoryAggregator::Series*, DeferredSeriesType>& types() const { return types_; }

 private:
  std::map<HistoryAggregator::Series*, DeferredSeriesType> types_;
};

// Whether an all-number chunk is read as observedAt and values only
// (store::ChunkUse::kObservedDecimals): by observedAt, every sample has it.
bool reads_observed_decimals(const store::HistoryChunkStats& chunk, const TemporalQuery& query) {
  return query.property == TimeProperty::kObservedAt && chunk.numbers &&
         chunk.observed_count == chunk.count && chunk.deleted_count == 0;
}

// The samples of a chunk read as observedAt and values that the relation selects: a run of
// the columns when the instants ascend (the usual chunk), else copies of the selected ones.
class SelectedDecimals {
 public:
  SelectedDecimals(const series::Time2Decimals& columns, const InstantBounds& bounds) {
    std::span<const std::int64_t> times = columns.times2;
    std::span<const std::int64_t> scaled = columns.scaled;
    ascending_ = columns.times2_ascending || std::is_sorted(times.begin(), times.end());
    if (ascending_) {
      const auto first = std::lower_bound(times.begin(), times.end(), bounds.low);
      const auto last = std::upper_bound(first, times.end(), bounds.high);
      const auto offset = static_cast<std::size_t>(first - times.begin());
      const auto count = static_cast<std::size_t>(last - first);
      times_ = times.subspan(offset, count);
      scaled_ = scaled.subspan(offset, count);
      return;
    }
    for (std::size_t i = 0; i < times.size(); ++i) {
      if (times[i] < bounds.low || times[i] > bounds.high) continue;
      kept_times_.push_back(times[i]);
      kept_scaled_.push_back(scaled[i]);
    }
    times_ = kept_times_;
    scaled_ = kept_scaled_;
  }
  SelectedDecimals(const SelectedDecimals&) = delete;
  SelectedDecimals& operator=(const SelectedDecimals&) = delete;

  std::span<const std::int64_t> times() const { return times_; }
  std::span<const std::int64_t> scaled() const { return scaled_; }
  bool ascending() const { return ascending_; }

 private:
  bool ascending_ = false;
  std::vector<std::int64_t> kept_times_;
  std::vector<std::int64_t> kept_scaled_;
  std::span<const std::int64_t> times_;
  std::span<const std::int64_t> scaled_;
};

// Sets each deferred series' type from the newest selected sample of its chunk, unless a
// newer instance already gave it one.
Status resolve_types(const store::EntityStore& store, std::string_view tenant, std::string_view id,
                     const TemporalQuery& query, const DeferredTypes& deferred) {
  // Not a structured binding: clang 14 (the fuzz build) refuses to capture one in a lambda.
  for (const auto& entry : deferred.types()) {
    HistoryAggregator::Series& series = *entry.first;
    const DeferredSeriesType& names = entry.second;
    const DeferredType& where = names.where;
    if (!series.wants_type(where.time)) continue;
    if (where.kept) {
      CT_RETURN_IF_ERROR(take_type(names.attribute, where.kept, where.time, series));
      continue;
    }
    Status failure;
    CT_RETURN_IF_ERROR(store.visit_history_columns(
        tenant, id, names.attribute, where.modified, [&](const store::HistoryColumns& batch) {
          if (batch.dataset_id != names.dataset_id) return true;
          for (std::size_t i = batch.size(); i-- > 0;) {
            auto time = selected_time(batch, i, query);
            if (!time || *time != where.time) continue;
            auto instance = rebuild_instance(batch, i);
            if (!instance.ok()) {
              failure = std::move(instance).error();
              return false;
            }
            if (const auto* type = instance->if_contains("type")) series.set_type(*time, *type);
            return false;
          }
          return true;
        }));
    CT_RETURN_IF_ERROR(failure);
  }
  return ok_status();
}

}  // namespace

bool aggregates_from_columns(const TemporalQuery& query) {
  return query.aggregation && !query.last_n &&
         (query.property == TimeProperty::kObservedAt ||
          query.property == TimeProperty::kModifiedAt);
}

Result<AggregatedAttrs> aggregate_from_columns(const store::EntityStore& store,
                                               std::string_view tenant, std::string_view id,
                                               const TemporalQuery& query) {
  auto reader = store::summarized_history_reader(store, tenant, id);
  return aggregate_from_columns(store, *reader, tenant, id, query);
}

Result<AggregatedAttrs> aggregate_from_columns(const store::EntityStore& store,
                                               store::SummarizedHistoryReader& reader,
                                               std::string_view tenant, std::string_view id,
                                               const TemporalQuery& query,
                                               PeriodBoundTexts* period_bounds) {
  std::optional<std::int64_t> oldest;
  std::optional<std::int64_t> newest;
  if (query.relation != Relation::kBetween) {
    CT_RETURN_IF_ERROR(find_range(reader, tenant, id, query, oldest, newest));
  }
  auto plan = aggregation_plan(oldest, newest, query);
  if (!plan) return std::move(plan).error();
  if (!*plan) return AggregatedAttrs();
  HistoryAggregator aggregator(*query.aggregation, std::move(**plan));
  // distinctCount needs the values themselves; the other methods merge a chunk's summary.
  const auto& methods = query.aggregation->methods;
  const bool summaries = std::find(methods.begin(), methods.end(),
                                   series::AggregationMethod::kDistinctCount) == methods.end();
  DeferredTypes deferred;
  auto filter = [&](const store::HistoryChunkStats& chunk) {
    if (!wanted_attribute(chunk.attribute, query) || selects_none(chunk, query)) {
      return store::ChunkUse::kSkip;
    }
    const store::ChunkUse read = reads_observed_decimals(chunk, query)
                                     ? store::ChunkUse::kObservedDecimals
                                     : store::ChunkUse::kDecode;
    auto span = selects_all(chunk, query);
    if (!summaries || !span || !chunk.numbers) return read;
    auto& series = aggregator.series(chunk.attribute, chunk.dataset_id);
    // The newest chunk in range normally holds the sample that gives the series its type:
    // reading it costs a few µs, finding the sample again after the walk a second walk.
    if (chunk.last_in_range && series.wants_type(span->newest)) return read;
    auto parts = summary_parts(chunk, *span, query, aggregator.plan());
    if (parts.empty()) return read;
    for (const auto& [time, numbers] : parts) series.add_summary(time, *numbers);
    deferred.note(chunk.attribute, chunk.dataset_id, span->newest,
                  {chunk.min_modified_at, chunk.max_modified_at + 1}, series,
                  [] { return std::function<Result<store::HistorySample>()>(); });
    return store::ChunkUse::kSkip;
  };
  Status failure;
  auto visit = [&](const store::HistoryColumns& batch) {
    if (!wanted_attribute(batch.attribute, query)) return true;
    failure = aggregate_batch(batch, query, aggregator);
    return failure.ok();
  };
  const InstantBounds bounds = relation_bounds(query);
  auto decimals = [&](const store::ObservedDecimals& chunk) {
    const SelectedDecimals selected(chunk.columns, bounds);
    if (selected.times().empty()) return true;  // only selected instances make an attribute
    auto& series = aggregator.series(chunk.attribute, chunk.dataset_id);
    auto newest = series.add_decimals(selected.times(), selected.scaled(),
                                      chunk.columns.decimal_exponent, selected.ascending());
    if (!newest || !series.wants_type(*newest)) return true;
    const std::vector<std::int64_t>& times = chunk.columns.times2;
    std::size_t index = times.size() - 1;  // the newest selected sample; ties: the last one
    while (times[index] != *newest) --index;
    if (!chunk.last_in_range) {
      // A later chunk may be newer: the sample is kept (a copy of this chunk's bytes) rather
      // than rebuilt now, or found again by a second walk at the end.
      deferred.note(chunk.attribute, chunk.dataset_id, *newest, chunk.modified, series,
                    [&] { return chunk.keep(index); });
      return true;
    }
    failure = take_type(
        chunk.attribute, [&] { return chunk.sample(index); }, *newest, series);
    return failure.ok();
  };
  CT_RETURN_IF_ERROR(walk(reader, tenant, id, query, visit, filter, decimals));
  CT_RETURN_IF_ERROR(failure);
  CT_RETURN_IF_ERROR(resolve_types(store, tenant, id, query, deferred));
  return aggregator.finish(period_bounds);
}

}  // namespace citytwin::core
