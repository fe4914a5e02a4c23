#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "citytwin/core/read_restriction.hpp"
#include "citytwin/series/aggregation.hpp"
#include "citytwin/series/period_duration.hpp"

namespace citytwin::core {

// options=aggregatedValues (GS CIM 009 clause 4.5.19): aggregates of each attribute's selected
// instances per period instead of the instances themselves.
struct TemporalAggregation {
  // aggrMethods, in the order the client gave them (no duplicates).
  std::vector<series::AggregationMethod> methods;
  // aggrPeriodDuration; zero (the default) makes the whole selected time range one period.
  series::PeriodDuration period;
  // Most periods one request may ask for; more is TooManyResults (PT1S over ten years).
  std::size_t max_periods = 100'000;
  // The attributes the client named in `attrs`: a method that cannot apply to one of them
  // (sum of text, say) is a client error, while for attributes only reached by "all
  // attributes" such methods are just left out.
  bool attrs_named = false;
};

// The temporal part of a temporal retrieval or query (GS CIM 009 clauses 4.11, 5.7.3):
// which instances of the entity's history are wanted.
struct TemporalQuery {
  // timerel: kNone keeps the whole history. Semantics (clause 4.11): before t < timeAt;
  // after t > timeAt; between timeAt <= t < endTimeAt.
  enum class Relation { kNone, kBefore, kAfter, kBetween };
  // timeproperty (clause 4.8): which instant of an instance `t` is. Default observedAt.
  enum class TimeProperty { kObservedAt, kCreatedAt, kModifiedAt, kDeletedAt };

  Relation relation = Relation::kNone;
  std::int64_t time_at = 0;      // microseconds since the epoch
  std::int64_t end_time_at = 0;  // kBetween only
  TimeProperty property = TimeProperty::kObservedAt;
  // lastN (clause 6.3.x): only the newest N instances of each attribute.
  std::optional<std::size_t> last_n;
  // attrs: expanded attribute names; empty means every attribute.
  std::set<std::string, std::less<>> attrs;
  // Most instances one request selects (before lastN trims them); more gives TooManyResults
  // (never a silent cut). Samples read but not selected cost time, not memory.
  std::size_t max_samples = 100'000;
  // Most instances of one attribute in one answer (clause 6.3.10): past it the answer is cut
  // at an instant and says which time range it covers (TemporalPage::partial). lastN above
  // it is TooManyResults. 0: no paging.
  std::size_t page_size = 0;
  // Set for aggregated queries.
  std::optional<TemporalAggregation> aggregation;
  // Anonymous open-data reads and exports (docs/security.md): entities it does not admit are
  // left out as if they had no history, its hidden attributes are never read. Null: none.
  std::shared_ptr<const ReadRestriction> restriction;
};

}  // namespace citytwin::core
