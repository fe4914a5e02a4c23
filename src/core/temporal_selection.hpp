#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "citytwin/core/history_attrs.hpp"
#include "citytwin/core/temporal_query.hpp"
#include "citytwin/store/history.hpp"
#include "citytwin/store/history_chunk_stats.hpp"
#include "citytwin/store/history_columns.hpp"

namespace citytwin::core {

// Whether `time` satisfies the query's timerel (clause 4.11): before t < timeAt; after
// t > timeAt; between timeAt <= t < endTimeAt; none: always. Inline, as selected_time():
// aggregation asks for every sample it reads.
inline bool in_relation(const TemporalQuery& query, std::int64_t time) {
  switch (query.relation) {
    case TemporalQuery::Relation::kNone:
      return true;
    case TemporalQuery::Relation::kBefore:
      return time < query.time_at;
    case TemporalQuery::Relation::kAfter:
      return time > query.time_at;
    case TemporalQuery::Relation::kBetween:
      return time >= query.time_at && time < query.end_time_at;
  }
  return false;
}

// The store range that holds every wanted sample: samples are ordered by modifiedAt, so only
// modifiedAt and deletedAt (a deletion's modifiedAt) narrow the read.
store::HistoryRange history_range(const TemporalQuery& query);

// The instant the query looks at for sample `index` of a batch, when the query selects it.
// Deletions are not instances here; an instance without observedAt can only be ordered (by
// modifiedAt), not selected by a time relation (the same rule as candidate() in
// temporal_service.cpp). Not for createdAt/deletedAt, which the columns do not hold.
inline std::optional<std::int64_t> selected_time(const store::HistoryColumns& batch,
                                                 std::size_t index, const TemporalQuery& query) {
  if (batch.deleted[index] != 0) return std::nullopt;
  std::int64_t time = batch.values.times[index];
  if (query.property == TemporalQuery::TimeProperty::kObservedAt) {
    if (batch.values.time2_present[index] != 0) {
      time = batch.values.times2[index];
    } else if (query.relation != TemporalQuery::Relation::kNone) {
      return std::nullopt;
    }
  }
  if (!in_relation(query, time)) return std::nullopt;
  return time;
}

// What a chunk's statistics (store::HistoryChunkStats) tell about the query's selection of
// its samples, for the query's time property (observedAt or modifiedAt) and relation. Only
// exact statements: "not known" is always a safe answer.
//
// The query selects none of the chunk's samples (they are all deletions, or all their
// instants lie outside the relation).
bool selects_none(const store::HistoryChunkStats& chunk, const TemporalQuery& query);
// The query selects every sample of the chunk: then the oldest and newest selected instants.
struct InstantSpan {
  std::int64_t oldest = 0;
  std::int64_t newest = 0;
};
std::optional<InstantSpan> selects_all(const store::HistoryChunkStats& chunk,
                                       const TemporalQuery& query);
// No selected sample of the chunk has an instant after this one.
std::int64_t newest_possible(const store::HistoryChunkStats& chunk, const TemporalQuery& query);

// One selected attribute instance of a history and the instant the query looked at.
struct TimedInstance {
  std::int64_t time = 0;
  InstanceText instance;
};

// What a temporal query selected of one entity's history: its types and, per expanded
// attribute name, the instances in time order (lastN already applied).
struct SelectedHistory {
  boost::json::value types;
  std::map<std::string, std::vector<TimedInstance>, std::less<>> attrs;
  std::size_t samples_kept = 0;  // instances selected (bounds a page's memory)
};

}  // namespace citytwin::core
