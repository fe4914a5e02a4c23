#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "citytwin/core/temporal_query.hpp"
#include "citytwin/store/history.hpp"

namespace citytwin::core {

// Whether `time` satisfies the query's timerel (clause 4.11): before t < timeAt; after
// t > timeAt; between timeAt <= t < endTimeAt; none: always.
bool in_relation(const TemporalQuery& query, std::int64_t time);

// The store range that holds every wanted sample: samples are ordered by modifiedAt, so only
// modifiedAt and deletedAt (a deletion's modifiedAt) narrow the read.
store::HistoryRange history_range(const TemporalQuery& query);

// One selected attribute instance of a history and the instant the query looked at.
struct TimedInstance {
  std::int64_t time = 0;
  boost::json::object instance;
};

// What a temporal query selected of one entity's history: its types and, per expanded
// attribute name, the instances in time order (lastN already applied).
struct SelectedHistory {
  boost::json::value types;
  std::map<std::string, std::vector<TimedInstance>, std::less<>> attrs;
  std::size_t samples_kept = 0;  // instances selected (bounds a page's memory)
};

}  // namespace citytwin::core
