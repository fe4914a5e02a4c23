#include "temporal_column_aggregation.hpp"

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

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

// The instant the query looks at for sample `index`, when the query selects it. Deletions
// are not instances here; an instance without observedAt can only be ordered (by
// modifiedAt), not selected by a time relation (the same rule as select_history).
std::optional<std::int64_t> selected_time(const store::HistoryColumns& batch, std::size_t index,
                                          const TemporalQuery& query) {
  if (batch.deleted[index] != 0) return std::nullopt;
  std::int64_t time = batch.values.times[index];
  if (query.property == TimeProperty::kObservedAt) {
    if (batch.values.time2_present[index] != 0) {
      time = batch.values.times2[index];
    } else if (query.relation != Relation::kNone) {
      return std::nullopt;
    }
  }
  if (!in_relation(query, time)) return std::nullopt;
  return time;
}

bool wanted_attribute(const store::HistoryColumns& batch, const TemporalQuery& query) {
  if (batch.attribute == kTypeHistory) return false;
  return query.attrs.empty() || query.attrs.contains(batch.attribute);
}

Status walk(const store::EntityStore& store, std::string_view tenant, std::string_view id,
            const TemporalQuery& query, const store::HistoryColumnsVisitor& visit) {
  std::string_view attribute;  // one attribute: read only its part of the history
  if (query.attrs.size() == 1) attribute = *query.attrs.begin();
  return store.visit_history_columns(tenant, id, attribute, history_range(query), visit);
}

Result<json::object> rebuild_instance(const store::HistoryColumns& batch, std::size_t index) {
  auto sample = batch.sample(index);
  if (!sample.ok()) return std::move(sample).error();
  boost::system::error_code ec;
  auto parsed = json::parse(sample->instance, ec);
  if (ec || !parsed.is_object()) {
    return make_error(ErrorKind::kInternalError,
                      "stored history of " + batch.attribute + " is unreadable");
  }
  return std::move(parsed.as_object());
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
      auto parsed = json::parse(batch_.values.dictionary[text_index], ec);
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

// Adds one batch's selected instances to the aggregation.
Status aggregate_batch(const store::HistoryColumns& batch, const TemporalQuery& query,
                       HistoryAggregator& aggregator) {
  // Only selected instances make an attribute appear in the answer.
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
  if (newest && series->wants_type(newest_time)) {
    auto instance = rebuild_instance(batch, *newest);
    if (!instance.ok()) return std::move(instance).error();
    if (const auto* type = instance->if_contains("type")) series->set_type(newest_time, *type);
  }
  return ok_status();
}

// The oldest and newest selected instants over every wanted attribute.
Status find_range(const store::EntityStore& store, std::string_view tenant, std::string_view id,
                  const TemporalQuery& query, std::optional<std::int64_t>& oldest,
                  std::optional<std::int64_t>& newest) {
  return walk(store, tenant, id, query, [&](const store::HistoryColumns& batch) {
    if (!wanted_attribute(batch, query)) return true;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto time = selected_time(batch, i, query);
      if (!time) continue;
      oldest = std::min(oldest.value_or(*time), *time);
      newest = std::max(newest.value_or(*time), *time);
    }
    return true;
  });
}

}  // namespace

bool aggregates_from_columns(const TemporalQuery& query) {
  return query.aggregation && !query.last_n &&
         (query.property == TimeProperty::kObservedAt ||
          query.property == TimeProperty::kModifiedAt);
}

Result<json::object> aggregate_from_columns(const store::EntityStore& store,
                                            std::string_view tenant, std::string_view id,
                                            const TemporalQuery& query) {
  std::optional<std::int64_t> oldest;
  std::optional<std::int64_t> newest;
  if (query.relation != Relation::kBetween) {
    CT_RETURN_IF_ERROR(find_range(store, tenant, id, query, oldest, newest));
  }
  auto plan = aggregation_plan(oldest, newest, query);
  if (!plan) return std::move(plan).error();
  if (!*plan) return json::object();
  HistoryAggregator aggregator(*query.aggregation, std::move(**plan));
  Status failure;
  CT_RETURN_IF_ERROR(walk(store, tenant, id, query, [&](const store::HistoryColumns& batch) {
    if (!wanted_attribute(batch, query)) return true;
    failure = aggregate_batch(batch, query, aggregator);
    return failure.ok();
  }));
  CT_RETURN_IF_ERROR(failure);
  return aggregator.finish();
}

}  // namespace citytwin::core
