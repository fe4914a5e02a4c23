#include "temporal_selection.hpp"

namespace citytwin::core {

using Relation = TemporalQuery::Relation;
using TimeProperty = TemporalQuery::TimeProperty;

bool in_relation(const TemporalQuery& query, std::int64_t time) {
  switch (query.relation) {
    case Relation::kNone:
      return true;
    case Relation::kBefore:
      return time < query.time_at;
    case Relation::kAfter:
      return time > query.time_at;
    case Relation::kBetween:
      return time >= query.time_at && time < query.end_time_at;
  }
  return false;
}

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

}  // namespace citytwin::core
