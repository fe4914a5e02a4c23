#include "citytwin/series/bucket_plan.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace citytwin::series {
namespace {

constexpr std::int64_t kDay = 86'400'000'000;
// Calendar arithmetic stays inside what std::chrono::year represents (±32767).
constexpr std::int64_t kMaxCalendarMonths = 30'000 * 12;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// `time` moved by `months` calendar months (UTC), the day clamped to the target month.
// Returns false when the date leaves the supported years.
bool add_months(std::int64_t time, std::int64_t months, std::int64_t& out) {
  using namespace std::chrono;
  std::int64_t days = floor_div(time, kDay);
  if (days < -kMaxCalendarMonths * 31 || days > kMaxCalendarMonths * 31) return false;
  std::int64_t time_of_day = time - days * kDay;  // no overflow once days is in range
  year_month_day date{sys_days{std::chrono::days{days}}};
  std::int64_t total = static_cast<std::int64_t>(static_cast<int>(date.year())) * 12 +
                       static_cast<unsigned>(date.month()) - 1 + months;
  if (total < -kMaxCalendarMonths || total > kMaxCalendarMonths) return false;
  std::int64_t year_number = floor_div(total, 12);
  auto month_number = static_cast<unsigned>(total - year_number * 12 + 1);
  std::chrono::year target_year{static_cast<int>(year_number)};
  std::chrono::month target_month{month_number};
  std::chrono::day last = year_month_day_last{target_year, month_day_last{target_month}}.day();
  std::chrono::day day = std::min(date.day(), last);
  std::int64_t target_days =
      sys_days{year_month_day{target_year, target_month, day}}.time_since_epoch().count();
  out = target_days * kDay + time_of_day;
  return true;
}

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
        __builtin_mul_overflow(i, period.micros, &micros) || !add_months(from, months, start) ||
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
