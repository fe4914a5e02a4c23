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

struct BucketState {
  std::uint64_t total = 0;
  // Welford's running mean and sum of squared deviations: stddev from sumsq/n - mean^2
  // loses every digit when the values are large and close together (temperatures in K).
  NumberSummary numbers;
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
  bool spread = true;  // sumsq or stddev asked for: integer runs sum their squares
  std::map<std::size_t, BucketState> buckets;  // only the periods that saw values

  // Per chunk: which dictionary entries the current period has seen, so each distinct text
  // is hashed and compared once per chunk and period rather than once per sample.
  std::vector<std::uint8_t> seen;
  std::vector<std::uint32_t> touched;

  void forget_seen() {
    for (std::uint32_t index : touched) seen[index] = 0;
    touched.clear();
  }

  void add_text(BucketState& bucket, const ChunkColumns& columns, std::size_t i) {
    std::uint32_t index = columns.text_indices[i];
    if (seen[index]) return;
    seen[index] = 1;
    touched.push_back(index);
    const std::string& text = columns.dictionary[index];
    bool is_string = columns.kinds[i] == ValueKind::kString;
    if (distinct) bucket.texts.insert((is_string ? "s" : "j") + text);
    if (text_bounds && is_string) bucket.add_text_bounds(text);
  }

  void add_value(BucketState& bucket, const ChunkColumns& columns, std::size_t i) {
    ++bucket.total;
    switch (columns.kinds[i]) {
      case ValueKind::kNumber:
        bucket.numbers.add(columns.numbers[i]);
        if (distinct) bucket.distinct_numbers.insert(number_key(columns.numbers[i]));
        break;
      case ValueKind::kBool:
        (columns.numbers[i] != 0 ? bucket.saw_true : bucket.saw_false) = true;
        break;
      case ValueKind::kString:
      case ValueKind::kJson:
        if (distinct || text_bounds) add_text(bucket, columns, i);
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
    std::vector<std::pair<std::size_t, NumberSummary>> runs;
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
          summarize_scaled(scaled.subspan(i, j - i), exponent, spread);
      if (!summary) return false;  // integers too large: the caller takes the double path
      runs.emplace_back(index, *summary);
      i = j;
    }
    for (const auto& [index, summary] : runs) {
      BucketState& bucket = buckets[index];
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
    BucketState* bucket = nullptr;
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
          bucket = &buckets[index];
          low = plan.start(index);
          high = plan.end(index);
        }
      }
      add_value(*bucket, columns, i);
    }
  }

  std::optional<std::int64_t> add_decimals(std::span<const std::int64_t> times,
                                           std::span<const std::int64_t> scaled,
                                           std::uint8_t exponent) {
    if (times.empty()) return std::nullopt;
    const bool sorted = std::is_sorted(times.begin(), times.end());
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
      BucketState& bucket = buckets[index];
      const double number = decimal_value(scaled[i], power);
      ++bucket.total;
      bucket.numbers.add(number);
      if (distinct) bucket.distinct_numbers.insert(number_key(number));
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
  state_->spread = wants(AggregationMethod::kStddev) || wants(AggregationMethod::kSumsq);
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
                                                     std::uint8_t exponent) {
  return state_->add_decimals(times, scaled, exponent);
}

std::vector<BucketAggregate> Aggregator::finish() const {
  const BucketPlan& plan = state_->plan;
  std::vector<BucketAggregate> out(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    out[i].start = plan.start(i);
    out[i].end = plan.end(i);
  }
  for (const auto& [index, bucket] : state_->buckets) {
    BucketAggregate& result = out[index];
    result.total_count = bucket.total;
    result.distinct_count = bucket.distinct_numbers.size() + bucket.texts.size() +
                            (bucket.saw_false ? 1 : 0) + (bucket.saw_true ? 1 : 0);
    const NumberSummary& numbers = bucket.numbers;
    result.number_count = numbers.count;
    result.min_text = bucket.min_text;
    result.max_text = bucket.max_text;
    if (numbers.count == 0) continue;
    result.sum = numbers.sum;
    result.sumsq = numbers.sumsq;
    result.avg = numbers.sum / static_cast<double>(numbers.count);
    result.min = numbers.min;
    result.max = numbers.max;
    result.stddev = std::sqrt(std::max(0.0, numbers.m2 / static_cast<double>(numbers.count)));
  }
  return out;
}

}  // namespace citytwin::series
