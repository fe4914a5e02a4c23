#include "citytwin/series/aggregation.hpp"

#include "citytwin/series/decimal_column.hpp"
#include "citytwin/series/number_summary.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <optional>
#include <span>
#include <unordered_set>
#include <utility>

namespace citytwin::series {
namespace {

// What every period that saw values holds: its count and its numbers' summary.
struct PeriodNumbers {
  std::uint64_t total = 0;  // 0: the period saw no value
  // Welford's running mean and sum of squared deviations: stddev from sumsq/n - mean^2
  // loses every digit when the values are large and close together (temperatures in K).
  NumberSummary numbers;
};

// What only distinctCount and the text bounds of min and max need, kept apart so that the
// common numeric aggregations carry none of it per period.
struct PeriodExtras {
  std::unordered_set<std::uint64_t> distinct_numbers;
  std::unordered_set<std::string> texts;  // kind letter + text, so "1" and JSON 1 differ
  bool saw_false = false;
  bool saw_true = false;
  std::optional<std::string> min_text;
  std::optional<std::string> max_text;

  void add_text_bounds(const std::string& text) {
    if (!min_text || text < *min_text) min_text = text;
    if (!max_text || text > *max_text) max_text = text;
  }
};

// The periods that saw values, as a window [first, first + size) of the plan's periods: one
// array probe per lookup instead of a tree node per period. The window grows to cover each
// period asked for, by at least its own size when it grows downwards, so periods met in
// descending order cost no more than ascending ones. Its memory is bounded by the span of
// periods that hold values (at most the plan's size), or by the plan's size when that is at
// most kWholePlan.
class PeriodWindow {
 public:
  PeriodNumbers& at(std::size_t index, std::size_t plan_size) {
    if (periods_.empty()) {
      if (plan_size <= kWholePlan) {
        // A small plan (a week of hours) is covered at once: no growth to check per lookup.
        periods_.resize(plan_size);
        first_ = 0;
      } else {
        periods_.reserve(kWholePlan);
        first_ = index;
      }
    } else if (index < first_) {
      const std::size_t grow = std::max(first_ - index, std::min(periods_.size(), index));
      periods_.insert(periods_.begin(), grow, PeriodNumbers{});
      first_ -= grow;
    }
    const std::size_t offset = index - first_;
    if (offset >= periods_.size()) periods_.resize(offset + 1);
    return periods_[offset];
  }

  std::size_t first() const { return first_; }
  const std::vector<PeriodNumbers>& periods() const { return periods_; }

 private:
  static constexpr std::size_t kWholePlan = 1024;
  std::size_t first_ = 0;
  std::vector<PeriodNumbers> periods_;
};

// One key per numeric value: -0.0 and 0.0 are equal, and every NaN is the same value.
std::uint64_t number_key(double x) {
  if (x == 0) return 0;
  if (std::isnan(x)) return 0x7FF8000000000000u;
  return std::bit_cast<std::uint64_t>(x);
}

constexpr std::pair<std::string_view, AggregationMethod> kMethodNames[] = {
    {"totalCount", AggregationMethod::kTotalCount},
    {"distinctCount", AggregationMethod::kDistinctCount},
    {"sum", AggregationMethod::kSum},
    {"avg", AggregationMethod::kAvg},
    {"min", AggregationMethod::kMin},
    {"max", AggregationMethod::kMax},
    {"stddev", AggregationMethod::kStddev},
    {"sumsq", AggregationMethod::kSumsq},
};

}  // namespace

Result<AggregationMethod> parse_aggregation_method(std::string_view name) {
  for (const auto& [text, method] : kMethodNames) {
    if (text == name) return method;
  }
  return make_error(ErrorKind::kBadRequestData,
                    "unknown aggregation method '" + std::string(name) + "'");
}

std::string_view aggregation_method_name(AggregationMethod method) {
  for (const auto& [text, candidate] : kMethodNames) {
    if (candidate == method) return text;
  }
  return "totalCount";
}

struct Aggregator::State {
  explicit State(BucketPlan bucket_plan) : plan(std::move(bucket_plan)) {}

  BucketPlan plan;
  bool distinct = false;
  bool text_bounds = false;
  // What integer runs summarize: squares for sumsq or stddev, sums for those and sum or
  // avg, else the bounds for min and max (and the count every method has).
  SummaryParts parts = SummaryParts::kAll;
  PeriodWindow periods;
  std::map<std::size_t, PeriodExtras> extras;  // only with distinctCount or text bounds
  std::vector<std::pair<std::size_t, NumberSummary>> runs;  // add_scaled()'s, reused

  // Per chunk: which dictionary entries the current period has seen, so each distinct text
  // is hashed and compared once per chunk and period rather than once per sample.
  std::vector<std::uint8_t> seen;
  std::vector<std::uint32_t> touched;

  PeriodNumbers& period(std::size_t index) { return periods.at(index, plan.size()); }

  void forget_seen() {
    for (std::uint32_t index : touched) seen[index] = 0;
    touched.clear();
  }

  void add_text(PeriodExtras& bucket, const ChunkColumns& columns, std::size_t i) {
    std::uint32_t index = columns.text_indices[i];
    if (seen[index]) return;
    seen[index] = 1;
    touched.push_back(index);
    const std::string& text = columns.dictionary[index];
    bool is_string = columns.kinds[i] == ValueKind::kString;
    if (distinct) bucket.texts.insert((is_string ? "s" : "j") + text);
    if (text_bounds && is_string) bucket.add_text_bounds(text);
  }

  // Sample i of `columns` into period `index`. `extra` caches that period's PeriodExtras,
  // looked up only for what needs them (distinct values, text bounds).
  void add_value(std::size_t index, PeriodNumbers& bucket, PeriodExtras*& extra,
                 const ChunkColumns& columns, std::size_t i) {
    ++bucket.total;
    auto extras_of_period = [&]() -> PeriodExtras& {
      if (extra == nullptr) extra = &extras[index];
      return *extra;
    };
    switch (columns.kinds[i]) {
      case ValueKind::kNumber:
        bucket.numbers.add(columns.numbers[i]);
        if (distinct) extras_of_period().distinct_numbers.insert(number_key(columns.numbers[i]));
        break;
      case ValueKind::kBool:
        if (distinct) {
          PeriodExtras& period_extras = extras_of_period();
          (columns.numbers[i] != 0 ? period_extras.saw_true : period_extras.saw_false) = true;
        }
        break;
      case ValueKind::kString:
      case ValueKind::kJson:
        if (distinct || text_bounds) add_text(extras_of_period(), columns, i);
        break;
      case ValueKind::kNull:
        break;
    }
  }

  // Decimal numbers only (ChunkColumns::scaled) without distinctCount, samples [first, last)
  // at sorted `times`: each period's run of samples is summarized in exact integer arithmetic
  // and merged, with no per-sample period lookup, branch or division.
  bool add_scaled(std::span<const std::int64_t> times, std::span<const std::int64_t> scaled,
                  std::uint8_t exponent, std::size_t first, std::size_t last) {
    runs.clear();
    std::size_t i = first;
    while (i < last) {
      std::size_t index = plan.index_of(times[i]);
      if (index == BucketPlan::kNone) {
        ++i;
        continue;
      }
      auto end =
          std::lower_bound(times.begin() + static_cast<std::ptrdiff_t>(i),
                           times.begin() + static_cast<std::ptrdiff_t>(last), plan.end(index));
      auto j = static_cast<std::size_t>(end - times.begin());
      std::optional<NumberSummary> summary =
          summarize_scaled(scaled.subspan(i, j - i), exponent, parts);
      if (!summary) return false;  // integers too large: the caller takes the double path
      runs.emplace_back(index, *summary);
      i = j;
    }
    for (const auto& [index, summary] : runs) {
      PeriodNumbers& bucket = period(index);
      bucket.total += summary.count;
      bucket.numbers.merge(summary);
    }
    return true;
  }

  void add(const ChunkColumns& columns, std::span<const std::int64_t> times, std::size_t first,
           std::size_t last, bool ascending) {
    // columns.times is sorted by contract; other timestamps are checked.
    bool sorted = ascending || times.data() == columns.times.data() ||
                  std::is_sorted(times.begin() + static_cast<std::ptrdiff_t>(first),
                                 times.begin() + static_cast<std::ptrdiff_t>(last));
    if (!distinct && sorted && !columns.scaled.empty() &&
        add_scaled(times, columns.scaled, columns.decimal_exponent, first, last)) {
      return;
    }
    seen.assign(columns.dictionary.size(), 0);
    touched.clear();
    PeriodNumbers* bucket = nullptr;
    PeriodExtras* extra = nullptr;
    std::size_t current = BucketPlan::kNone;
    std::int64_t low = 0;
    std::int64_t high = 0;
    for (std::size_t i = first; i < last; ++i) {
      if (columns.kinds[i] == ValueKind::kNull) continue;
      std::int64_t time = times[i];
      // Chunks are sorted, so the period changes rarely: look it up only on leaving it.
      if (bucket == nullptr || time < low || time >= high) {
        std::size_t index = plan.index_of(time);
        if (index == BucketPlan::kNone) continue;
        if (index != current) {
          forget_seen();
          current = index;
          bucket = &period(index);
          extra = nullptr;
          low = plan.start(index);
          high = plan.end(index);
        }
      }
      add_value(current, *bucket, extra, columns, i);
    }
  }

  std::optional<std::int64_t> add_decimals(std::span<const std::int64_t> times,
                                           std::span<const std::int64_t> scaled,
                                           std::uint8_t exponent, bool ascending) {
    if (times.empty()) return std::nullopt;
    const bool sorted = ascending || std::is_sorted(times.begin(), times.end());
    if (!distinct && sorted && add_scaled(times, scaled, exponent, 0, times.size())) {
      return times.back();
    }
    // Unsorted instants, integers too large for the exact sums, or distinct values: one
    // number at a time, as add() takes a chunk's.
    const double power = power_of_ten(exponent);
    std::int64_t newest = times[0];
    for (std::size_t i = 0; i < times.size(); ++i) {
      newest = std::max(newest, times[i]);
      std::size_t index = plan.index_of(times[i]);
      if (index == BucketPlan::kNone) continue;
      PeriodNumbers& bucket = period(index);
      const double number = decimal_value(scaled[i], power);
      ++bucket.total;
      bucket.numbers.add(number);
      if (distinct) extras[index].distinct_numbers.insert(number_key(number));
    }
    return newest;
  }
};

Aggregator::Aggregator(BucketPlan plan, std::initializer_list<AggregationMethod> methods)
    : Aggregator(std::move(plan), std::vector<AggregationMethod>(methods)) {}

Aggregator::Aggregator(BucketPlan plan, const std::vector<AggregationMethod>& methods)
    : state_(std::make_unique<State>(std::move(plan))) {
  auto wants = [&](AggregationMethod method) {
    return std::find(methods.begin(), methods.end(), method) != methods.end();
  };
  state_->distinct = wants(AggregationMethod::kDistinctCount);
  state_->text_bounds = wants(AggregationMethod::kMin) || wants(AggregationMethod::kMax);
  const bool spread = wants(AggregationMethod::kStddev) || wants(AggregationMethod::kSumsq);
  const bool sums = spread || wants(AggregationMethod::kSum) || wants(AggregationMethod::kAvg);
  state_->parts = spread ? SummaryParts::kAll
                  : sums ? SummaryParts::kWithoutSpread
                         : SummaryParts::kBoundsOnly;
}

Aggregator::~Aggregator() = default;
Aggregator::Aggregator(Aggregator&&) noexcept = default;
Aggregator& Aggregator::operator=(Aggregator&&) noexcept = default;

void Aggregator::add(const ChunkColumns& columns) {
  state_->add(columns, columns.times, 0, columns.size(), true);
}

void Aggregator::add(const ChunkColumns& columns, std::span<const std::int64_t> times,
                     std::size_t first, std::size_t last, bool ascending) {
  state_->add(columns, times, first, last, ascending);
}

std::optional<std::int64_t> Aggregator::add_decimals(std::span<const std::int64_t> times,
                                                     std::span<const std::int64_t> scaled,
                                                     std::uint8_t exponent, bool ascending) {
  return state_->add_decimals(times, scaled, exponent, ascending);
}

std::vector<BucketAggregate> Aggregator::finish() const {
  const BucketPlan& plan = state_->plan;
  std::vector<BucketAggregate> out(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    out[i].index = i;
    out[i].start = plan.start(i);
    out[i].end = plan.end(i);
  }
  for (BucketAggregate& filled : finish_filled()) out[filled.index] = std::move(filled);
  return out;
}

std::vector<BucketAggregate> Aggregator::finish_filled() const {
  const BucketPlan& plan = state_->plan;
  auto period_at = [&](std::size_t index) {
    BucketAggregate period;
    period.index = index;
    period.start = plan.start(index);
    period.end = plan.end(index);
    return period;
  };
  std::vector<BucketAggregate> out;
  const std::vector<PeriodNumbers>& periods = state_->periods.periods();
  out.reserve(periods.size());
  const bool sums = state_->parts != SummaryParts::kBoundsOnly;
  const bool spread = state_->parts == SummaryParts::kAll;
  for (std::size_t offset = 0; offset < periods.size(); ++offset) {
    const PeriodNumbers& bucket = periods[offset];
    if (bucket.total == 0) continue;
    // Made in place: a week of hourly periods of 10,000 sensors is 1.7 million of them.
    BucketAggregate& result = out.emplace_back();
    result.index = state_->periods.first() + offset;
    result.start = plan.start(result.index);
    result.end = plan.end(result.index);
    result.total_count = bucket.total;
    const NumberSummary& numbers = bucket.numbers;
    result.number_count = numbers.count;
    if (numbers.count == 0) continue;
    result.min = numbers.min;
    result.max = numbers.max;
    if (!sums) continue;
    result.sum = numbers.sum;
    result.sumsq = numbers.sumsq;
    result.avg = numbers.sum / static_cast<double>(numbers.count);
    if (!spread) continue;
    result.stddev = std::sqrt(std::max(0.0, numbers.m2 / static_cast<double>(numbers.count)));
  }
  for (const auto& [index, extra] : state_->extras) {
    // Each value that makes extras is counted in its period's total: the period is listed.
    auto found = std::lower_bound(
        out.begin(), out.end(), index,
        [](const BucketAggregate& period, std::size_t wanted) { return period.index < wanted; });
    if (found == out.end() || found->index != index) found = out.insert(found, period_at(index));
    found->distinct_count = extra.distinct_numbers.size() + extra.texts.size() +
                            (extra.saw_false ? 1 : 0) + (extra.saw_true ? 1 : 0);
    found->min_text = extra.min_text;
    found->max_text = extra.max_text;
  }
  return out;
}

}  // namespace citytwin::series
