#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/core/aggregated_attrs.hpp"
#include "citytwin/core/temporal_query.hpp"
#include "citytwin/series/bucket_plan.hpp"
#include "citytwin/series/number_summary.hpp"
#include "citytwin/series/sample.hpp"
#include "period_bound_texts.hpp"
#include "temporal_selection.hpp"

namespace citytwin::core {

// A value as aggregation sees it (series::ValueKind): numbers and booleans (0/1) in
// `number`, strings and JSON texts in `text`; kNull is no value (the NGSI-LD null marker,
// a deletion).
struct AggregatedValue {
  series::ValueKind kind = series::ValueKind::kNull;
  double number = 0;
  std::string text;
};
// The value a JSON value stands for: typed literals ({"@value": ...}) as their text,
// "urn:ngsi-ld:null" as no value, objects and arrays as their JSON text.
AggregatedValue aggregated_value(const boost::json::value& value);
// The value of an attribute instance, from whichever member holds it (value, object,
// languageMap, vocab, valueList, objectList, json; clause 4.5).
AggregatedValue aggregated_value_of(const boost::json::object& instance);

// The periods of an aggregation (GS CIM 009 clause 4.5.19) given the oldest and newest
// selected instants (nullopt when nothing is selected): they start at timeAt for `between`
// and `after`, else at the oldest instant; they end at endTimeAt (`between`), timeAt
// (`before`), else just after the newest instant. nullopt: nothing to aggregate (nothing
// selected and not `between`). More than max_periods periods: TooManyResults.
Result<std::optional<series::BucketPlan>> aggregation_plan(std::optional<std::int64_t> oldest,
                                                           std::optional<std::int64_t> newest,
                                                           const TemporalQuery& query);

// Accumulates the aggregated representation of selected instances, one at a time, in any
// order, holding only a batch of values per datasetId (so a year of samples costs the
// periods' aggregates, not the samples).
//
// Output of finish(): per expanded attribute name (in name order) the text of one object per
// datasetId (aggregated_attrs.hpp), {"type": <type of the newest instance>, "datasetId"?: ...,
// "<method>": [[value, startAt, endAt], ...]} with one entry per period that holds at least one
// value (deletions are not values), in time order. Which values a method covers is
// series::BucketAggregate's contract; min and max of text are strings. A method with nothing to
// work on for an attribute (sum of text, min of booleans) is left out for that attribute, or, when
// the client named the attribute in `attrs`, is a BadRequestData error.
class HistoryAggregator {
 public:
  HistoryAggregator(const TemporalAggregation& aggregation, series::BucketPlan plan);
  ~HistoryAggregator();
  HistoryAggregator(const HistoryAggregator&) = delete;
  HistoryAggregator& operator=(const HistoryAggregator&) = delete;

  // The aggregation of one datasetId of an attribute; it exists (and is in the output)
  // from the first call on. References stay valid until finish().
  class Series;
  Series& series(std::string_view attribute, std::string_view dataset_id);
  const series::BucketPlan& plan() const { return plan_; }
  // The periods' bounds are written from `bounds` when given (shared by the entities a thread
  // aggregates one after another), else formatted for this answer alone. Periods are
  // contiguous (a period ends where the next starts): bound i is period i's start and
  // period i - 1's end.
  Result<AggregatedAttrs> finish(PeriodBoundTexts* bounds = nullptr);

 private:
  const TemporalAggregation& aggregation_;
  series::BucketPlan plan_;
  std::map<std::string, std::map<std::string, std::unique_ptr<Series>, std::less<>>, std::less<>>
      attrs_;
};

class HistoryAggregator::Series {
 public:
  Series(const series::BucketPlan& plan, const TemporalAggregation& aggregation);
  ~Series();
  // A selected instance at `time` (an instant of the plan's range; others count for
  // nothing), kNull when it holds no value.
  void add(std::int64_t time, AggregatedValue value);
  // Samples [first, last) of decoded columns, each at times[i], all selected: as if each had
  // been add()ed with the value aggregated_value() gives it. Only for values the columns hold
  // as that reads them: numbers, booleans and strings other than the null marker (not kNull,
  // whose value is elsewhere in the instance, nor kJson, which add() gets re-serialized).
  // Decimal chunks at sorted times take series::Aggregator's exact integer path.
  // `ascending`: times[first, last) are known to ascend.
  void add_columns(const series::ChunkColumns& columns, std::span<const std::int64_t> times,
                   std::size_t first, std::size_t last, bool ascending = false);
  // Decimal numbers, number i at times[i] (series::Aggregator::add_decimals), all selected:
  // as if each had been add()ed. Returns the newest of those times (nullopt for none).
  std::optional<std::int64_t> add_decimals(std::span<const std::int64_t> times,
                                           std::span<const std::int64_t> scaled,
                                           std::uint8_t exponent, bool ascending = false);
  // Numbers (none NaN) that all fall in the period holding `time`, summarized (a chunk's
  // statistics): as if each had been add()ed. Not for distinctCount.
  void add_summary(std::int64_t time, const series::NumberSummary& numbers);
  // The series' type is that of its newest instance (ties: the one set last): whether an
  // instance at `time` would be that, and setting it.
  bool wants_type(std::int64_t time) const { return !type_time_ || time >= *type_time_; }
  void set_type(std::int64_t time, boost::json::value type);

 private:
  friend class HistoryAggregator;
  struct State;
  std::unique_ptr<State> state_;
  boost::json::value type_ = "Property";
  std::optional<std::int64_t> type_time_;
};

// The aggregated representation of instances already selected (in time order per attribute),
// for selections that need every instance's JSON (createdAt, deletedAt, lastN). Too many
// periods: TooManyResults.
Result<AggregatedAttrs> aggregate_history(
    const std::map<std::string, std::vector<TimedInstance>, std::less<>>& attrs,
    const TemporalQuery& query);

}  // namespace citytwin::core
