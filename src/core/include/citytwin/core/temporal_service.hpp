#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string_view>

#include "citytwin/common/result.hpp"
#include "citytwin/core/temporal_query.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

struct SelectedHistory;  // temporal_selection.hpp

// Serves the temporal representation of entities (GS CIM 009 clause 4.5.7) from the history
// every write appends (history_capture.hpp).
class TemporalService {
 public:
  explicit TemporalService(const store::EntityStore& store) : store_(store) {}

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

 private:
  Result<SelectedHistory> select_history(std::string_view tenant, std::string_view id,
                                         const TemporalQuery& query) const;
  Result<std::optional<boost::json::value>> types_of(std::string_view tenant,
                                                     std::string_view id) const;

  const store::EntityStore& store_;
};

}  // namespace citytwin::core
