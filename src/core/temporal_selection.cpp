#include "temporal_selection.hpp"

#include <algorithm>
#include <limits>

namespace citytwin::core {

using Relation = TemporalQuery::Relation;
using TimeProperty = TemporalQuery::TimeProperty;

store::HistoryRange history_range(const TemporalQuery& query) {
  store::HistoryRange range;
  if (query.property != TimeProperty::kModifiedAt && query.property != TimeProperty::kDeletedAt) {
    return range;
  }
  switch (query.relation) {
    case Relation::kNone:
      break;
    case Relation::kBefore:
      range.to = query.time_at;
      break;
    case Relation::kAfter:
      range.from = query.time_at + 1;
      break;
    case Relation::kBetween:
      range.from = query.time_at;
      range.to = query.end_time_at;
      break;
  }
  return range;
}

namespace {

// Every instant in [oldest, newest] fails the relation (relations are intervals).
bool outside_relation(const TemporalQuery& query, std::int64_t oldest, std::int64_t newest) {
  switch (query.relation) {
    case Relation::kNone:
      return false;
    case Relation::kBefore:
      return oldest >= query.time_at;
    case Relation::kAfter:
      return newest <= query.time_at;
    case Relation::kBetween:
      return newest < query.time_at || oldest >= query.end_time_at;
  }
  return false;
}

bool by_observed_at(const TemporalQuery& query) {
  return query.property == TimeProperty::kObservedAt;
}

}  // namespace

// Deletions are never selected; by observedAt, an instance without one is selected only
// when there is no relation (it is then ordered by modifiedAt): the rules of candidate() in
// temporal_service.cpp and selected_time() in temporal_column_aggregation.cpp.
bool selects_none(const store::HistoryChunkStats& chunk, const TemporalQuery& query) {
  if (chunk.deleted_count == chunk.count) return true;
  if (!by_observed_at(query)) {
    return outside_relation(query, chunk.min_modified_at, chunk.max_modified_at);
  }
  if (query.relation == Relation::kNone) return false;
  if (chunk.observed_count == 0) return true;
  return outside_relation(query, chunk.min_observed_at, chunk.max_observed_at);
}

std::optional<InstantSpan> selects_all(const store::HistoryChunkStats& chunk,
                                       const TemporalQuery& query) {
  if (chunk.deleted_count != 0 || chunk.count == 0) return std::nullopt;
  InstantSpan span{chunk.min_modified_at, chunk.max_modified_at};
  if (by_observed_at(query)) {
    if (chunk.observed_count != chunk.count) return std::nullopt;
    span = {chunk.min_observed_at, chunk.max_observed_at};
  }
  if (!in_relation(query, span.oldest) || !in_relation(query, span.newest)) return std::nullopt;
  return span;
}

std::int64_t newest_possible(const store::HistoryChunkStats& chunk, const TemporalQuery& query) {
  if (!by_observed_at(query)) return chunk.max_modified_at;
  std::int64_t newest = std::numeric_limits<std::int64_t>::min();
  if (chunk.observed_count != 0) newest = chunk.max_observed_at;
  if (chunk.observed_count != chunk.count && query.relation == Relation::kNone) {
    newest = std::max(newest, chunk.max_modified_at);
  }
  return newest;
}

}  // namespace citytwin::core
