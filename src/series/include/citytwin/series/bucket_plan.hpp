#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/series/period_duration.hpp"

namespace citytwin::series {

// The aggregation periods covering a query range [from, to), in UTC microseconds. Periods
// start at `from` (NGSI-LD aligns them to timeAt) and follow each other without gaps: period
// i starts at from + i*months (calendar arithmetic, the day of month clamped to the month's
// last day, so Jan 31 + P1M is Feb 28 or 29) + i*micros. The last period is cut at `to`.
// A zero period makes one bucket of the whole range.
class BucketPlan {
 public:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  // from > to, a period whose dates leave the years ±30000, or more than max_buckets periods
  // are errors (the latter kTooManyResults, so a client asking PT1S over years learns why).
  static Result<BucketPlan> create(std::int64_t from, std::int64_t to, const PeriodDuration& period,
                                   std::size_t max_buckets);

  std::size_t size() const { return count_; }
  std::int64_t start(std::size_t index) const;
  std::int64_t end(std::size_t index) const;  // exclusive
  // The period holding `time`, or kNone outside [from, to).
  std::size_t index_of(std::int64_t time) const;

 private:
  BucketPlan(std::int64_t from, std::int64_t to) : from_(from), to_(to) {}

  std::int64_t from_;
  std::int64_t to_;
  std::size_t count_ = 0;
  std::uint64_t step_ = 0;            // fixed periods: their length; 0 for calendar ones
  std::vector<std::int64_t> starts_;  // calendar periods: every start, ascending
};

}  // namespace citytwin::series
