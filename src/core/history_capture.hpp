#pragma once

#include <boost/json.hpp>
#include <vector>

#include "citytwin/common/instant.hpp"
#include "citytwin/store/entity_store.hpp"
#include "citytwin/store/history.hpp"

namespace citytwin::core {

// The history samples of one write of an entity (stored form), for the temporal
// representation (GS CIM 009 clause 4.5.7): one sample for every attribute instance of
// `after` that is new or differs from its state in `before`, and a deletion sample for every
// instance of `before` that `after` no longer has. A null `before` is a creation, a null
// `after` a deletion of the entity. Instances are told apart by attribute and datasetId.
// A sample's instant is the instance's modifiedAt, or `now` (deletions, and instances
// without one). The entity's types are kept as the history of the pseudo-attribute
// kTypeHistory (instance: the JSON array of expanded types), so the temporal representation
// of an entity that no longer exists still has its type.
inline constexpr std::string_view kTypeHistory = "@type";

std::vector<store::HistorySample> history_between(const boost::json::object* before,
                                                  const boost::json::object* after, Instant now);

// Fills change.history with history_between() and change.history_types with the types that
// history records (so temporal queries find the entity by type after it is gone).
void record_history(store::Change& change, const boost::json::object* before,
                    const boost::json::object* after, Instant now);

// The types recorded by kTypeHistory samples (their instance is a JSON array of types).
std::vector<std::string> recorded_types(const std::vector<store::HistorySample>& samples);

}  // namespace citytwin::core
