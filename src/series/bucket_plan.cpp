#include "citytwin/series/bucket_plan.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace citytwin::series {
namespace {

Error too_many(std::size_t max_buckets) {
  return make_error(ErrorKind::kTooManyResults,
                    "the aggregation period splits the time range into more than " +
                        std::to_string(max_buckets) + " periods");
}

}  // namespace

Result<BucketPlan> BucketPlan::create(std::int64_t from, std::int64_t to,
                                      const PeriodDuration& period, std::size_t max_buckets) {
  if (from > to) return make_error(ErrorKind::kBadRequestData, "time range ends before it starts");
  if (period.months < 0 || period.micros < 0) {
    return make_error(ErrorKind::kBadRequestData, "negative aggregation period");
  }
  BucketPlan plan(from, to);
  if (from == to) return plan;
  auto span = static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from);
  if (period.is_zero()) {
    plan.step_ = span;
    plan.count_ = 1;
    return plan;
  }
  if (period.months == 0) {
    plan.step_ = static_cast<std::uint64_t>(period.micros);
    std::uint64_t count = span / plan.step_ + (span % plan.step_ != 0 ? 1 : 0);
    if (count > max_buckets) return too_many(max_buckets);
    plan.count_ = static_cast<std::size_t>(count);
    return plan;
  }
  for (std::int64_t i = 0;; ++i) {
    std::int64_t months = 0;
    std::int64_t micros = 0;
    std::int64_t start = 0;
    if (__builtin_mul_overflow(i, period.months, &months) ||
        __builtin_mul_overflow(i, period.micros, &micros) ||
        !add_calendar_months(from, months, start) ||
        __builtin_add_overflow(start, micros, &start)) {
      // Past the supported years: the last period reaches to `to`.
      if (!plan.starts_.empty()) break;
      return make_error(ErrorKind::kBadRequestData, "aggregation period outside the calendar");
    }
    if (start >= to) break;
    if (plan.starts_.size() == max_buckets) return too_many(max_buckets);
    plan.starts_.push_back(start);
  }
  plan.count_ = plan.starts_.size();
  return plan;
}

std::int64_t BucketPlan::start(std::size_t index) const {
  if (!starts_.empty()) return starts_[index];
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(from_) + index * step_);
}

std::int64_t BucketPlan::end(std::size_t index) const {
  if (!starts_.empty()) return index + 1 < starts_.size() ? starts_[index + 1] : to_;
  auto left = static_cast<std::uint64_t>(to_) - static_cast<std::uint64_t>(start(index));
  return left <= step_ ? to_ : start(index) + static_cast<std::int64_t>(step_);
}

std::size_t BucketPlan::index_of(std::int64_t time) const {
  if (time < from_ || time >= to_ || count_ == 0) return kNone;
  if (starts_.empty()) {
    return static_cast<std::size_t>(
        (static_cast<std::uint64_t>(time) - static_cast<std::uint64_t>(from_)) / step_);
  }
  auto it = std::upper_bound(starts_.begin(), starts_.end(), time);
  return static_cast<std::size_t>(it - starts_.begin()) - 1;
}

}  // namespace citytwin::series
