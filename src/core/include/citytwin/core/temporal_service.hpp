#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/core/aggregated_attrs.hpp"
#include "citytwin/core/entity_query.hpp"
#include "citytwin/core/history_attrs.hpp"
#include "citytwin/core/history_rollups.hpp"
#include "citytwin/core/temporal_query.hpp"
#include "citytwin/model/temporal_instance_parser.hpp"
#include "citytwin/store/entity_store.hpp"
#include "citytwin/store/history_chunk_stats.hpp"

namespace citytwin::core {

struct SelectedHistory;  // temporal_selection.hpp
class QueryWorkers;      // query_workers.hpp
class PeriodBoundTexts;  // period_bound_texts.hpp

// Temporal representations of one or more entities (clause 6.3.10 paging).
struct TemporalPage {
  // As TemporalService::retrieve returns them, but with an empty "attrs": the attributes are
  // histories[i], or aggregated[i] when the query aggregates, as text.
  std::vector<boost::json::object> entities;
  std::vector<HistoryAttrs> histories;      // empty when the query aggregates
  std::vector<AggregatedAttrs> aggregated;  // empty unless the query aggregates
  // Set when some attribute had more than query.page_size instances: the answer then holds
  // every selected instance with first <= t <= last, and none after; the client continues
  // after `last`. first is timeAt (between, after) or the oldest instance.
  struct Range {
    std::int64_t first = 0;
    std::int64_t last = 0;
  };
  std::optional<Range> partial;
};

// Serves the temporal representation of entities (GS CIM 009 clause 4.5.7) from the history
// every write appends (history_capture.hpp).
class TemporalService {
 public:
  TemporalService(store::EntityStore& store, const Clock& clock) : store_(store), clock_(clock) {}

  // The entity's history as a stored-form entity (entity_form.hpp) whose every selected
  // attribute holds all its selected instances in time order (oldest first), each instance
  // as it was after that change. With TimeProperty::kDeletedAt the instances are the deletions:
  // {"type": "Property", "value": "urn:ngsi-ld:null", "deletedAt": ...}. The entity's types are
  // the current ones, or the last known for a deleted entity. ResourceNotFound when the entity
  // has neither a current state nor a history; TooManyResults past query.max_samples.
  //
  // With query.aggregation each attribute instead holds one object per datasetId with the
  // aggregates per period (clause 4.5.19): {"type", "datasetId"?, "avg": [[value, startAt,
  // endAt], ...], ...}; see temporal_aggregate.hpp for which periods and methods appear.
  Result<boost::json::object> retrieve(std::string_view tenant, std::string_view id,
                                       const TemporalQuery& query) const;

  // Several entities at once (the temporal query): entities without history are left out,
  // query.max_samples bounds the instances read for all of them together, and the page
  // cut (query.page_size) is one instant for all of them. Aggregations by observedAt or
  // modifiedAt without lastN are computed from the store's history columns instead
  // (temporal_column_aggregation.hpp): no sample bound, no page cut.
  Result<TemporalPage> retrieve_page(std::string_view tenant, const std::vector<std::string>& ids,
                                     const TemporalQuery& query) const;

  // The entities a temporal query (clause 5.7.4) selects by id, idPattern and type alone:
  // those with a current state or a recorded history whose types (the current ones, else
  // the last recorded) match, in id order, paged by query.limit/offset (each entity as
  // {"id": ...}). Reaches entities known only through their history (created with POST
  // /temporal/entities, or deleted). Selections with q, geo or scope go through the entity
  // service instead. A selector needs ids or a type.
  Result<QueryResult> match_entities(std::string_view tenant, const EntityQuery& query) const;

  // Writes of the temporal API (clauses 5.6.11-5.6.16). They edit the history only, never
  // the current state, and return once durable. Instances are stored-form instances; their
  // modifiedAt is the time of the write (successive instances of one attribute instance
  // a microsecond apart, so each keeps its own instanceId), observedAt as given.
  //
  // POST /temporal/entities: `entity` is a stored-form entity whose attributes may hold any
  // number of instances, datasetIds repeating. Adds them to its history; true when the entity
  // had neither a current state nor a history (its types are then recorded with it).
  // Taken by value: the instances are stamped in place (callers with no further use move them).
  Result<bool> add_history(std::string_view tenant, boost::json::object entity);
  // POST /temporal/entities/{id}/attrs: the same for an entity that exists (NotFound else).
  Status append_history(std::string_view tenant, std::string_view id, boost::json::object attrs);
  // The same two with the instances already serialized (model::TemporalInstanceParser, as the
  // temporal write handlers read them): each sample's stored text is the instance's text with
  // createdAt and modifiedAt appended, the bytes the overloads above store. `entity` of
  // add_history is the stored-form entity without attributes (its id and type are used).
  Result<bool> add_history(std::string_view tenant, const boost::json::object& entity,
                           std::vector<model::TemporalAttribute> attrs);
  Status append_history(std::string_view tenant, std::string_view id,
                        std::vector<model::TemporalAttribute> attrs);
  // DELETE /temporal/entities/{id}: its whole history; NotFound when it has none.
  Status delete_history(std::string_view tenant, std::string_view id);
  // DELETE /temporal/entities/{id}/attrs/{attrId}: the history of the default instance, of
  // one datasetId, or (all) of every instance. NotFound when there is none.
  Status delete_attribute_history(std::string_view tenant, std::string_view id,
                                  std::string_view attribute,
                                  const std::optional<std::string>& dataset_id, bool all);
  // PATCH /temporal/entities/{id}/attrs/{attrId}/{instanceId}: replaces the members of the
  // recorded instance with those of `instance` (its datasetId and instanceId stay).
  Status modify_instance(std::string_view tenant, std::string_view id, std::string_view attribute,
                         std::string_view instance_id, const boost::json::object& instance);
  // DELETE /temporal/entities/{id}/attrs/{attrId}/{instanceId}.
  Status delete_instance(std::string_view tenant, std::string_view id, std::string_view attribute,
                         std::string_view instance_id);

  // Rollups (docs/timeseries.md, "Rollups"): writes mark what they change, aggregations
  // they can answer exactly read them. Null: none. Must outlive the service.
  void set_rollups(HistoryRollups* rollups) { rollups_ = rollups; }
  // Threads (the caller's included) that may read the entities of one page of a temporal
  // query at once; 1 (the default) reads them one after another. Answers are the same.
  // threads - 1 workers are started here and live as long as the service.
  void set_query_threads(unsigned threads);
  // work(i) for every i below `count`, spread over the query threads as a page's entities
  // are: for callers that finish a page's entities (rendering them) in parallel too. `work`
  // must be safe to run for distinct i at once.
  void for_each_in_page(std::size_t count, const std::function<void(std::size_t)>& work) const;

 private:
  // `peak`: the most instances the walk held at once (also when it failed), which says
  // whether a smaller budget would have failed it.
  Result<SelectedHistory> select_history(std::string_view tenant, std::string_view id,
                                         const TemporalQuery& query, std::size_t& peak) const;
  struct AggregatedEntity {
    boost::json::object head;  // id, type, empty attrs
    AggregatedAttrs attrs;
  };
  Result<std::optional<AggregatedEntity>> aggregate_entity(std::string_view tenant,
                                                           std::string_view id,
                                                           const TemporalQuery& query,
                                                           store::SummarizedHistoryReader& reader,
                                                           PeriodBoundTexts& bounds) const;
  Result<TemporalPage> aggregate_page(std::string_view tenant, const std::vector<std::string>& ids,
                                      const TemporalQuery& query) const;
  Result<QueryResult> match_one_type(std::string_view tenant, const EntityQuery& query,
                                     std::string_view type) const;
  Result<std::optional<boost::json::value>> types_of(std::string_view tenant,
                                                     std::string_view id) const;
  Result<std::optional<std::vector<std::string>>> admitted_type_names(
      std::string_view tenant, std::string_view id, const EntityQuery& query) const;

  Result<store::HistorySample> find_instance(std::string_view tenant, std::string_view id,
                                             std::string_view attribute,
                                             std::string_view instance_id) const;
  // Records `samples` (stamped at `now` and after) in the history of `id`, whose recorded
  // types are `known`, with `types` if they differ; true when it had none.
  Result<bool> record_history(std::string_view tenant, const std::string& id,
                              const std::optional<boost::json::value>& known,
                              const boost::json::value& types,
                              std::vector<store::HistorySample> samples, Instant now);
  // `replaced`: the recorded samples the change overwrites or erases (for rollup markers).
  Status write(std::string_view tenant, store::Change change,
               std::span<const store::HistorySample> replaced = {});

  store::EntityStore& store_;
  const Clock& clock_;
  HistoryRollups* rollups_ = nullptr;
  std::shared_ptr<QueryWorkers> workers_;  // null: one thread
  // Most samples one edit reads to find what it changes.
  std::size_t query_limit_ = 1'000'000;
};

// "urn:ngsi-ld:Instance:<modifiedAt µs>-<sequence>": a recorded sample's instanceId
// (clause 4.5.7), stable for the life of the sample.
std::string instance_id_of(const store::HistorySample& sample);

}  // namespace citytwin::core
