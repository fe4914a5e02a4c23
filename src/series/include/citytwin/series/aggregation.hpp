#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/series/bucket_plan.hpp"
#include "citytwin/series/chunk.hpp"

namespace citytwin::series {

// NGSI-LD aggregation methods (aggrMethods, ETSI GS CIM 009 clause 4.5.19).
enum class AggregationMethod {
  kTotalCount,
  kDistinctCount,
  kSum,
  kAvg,
  kMin,
  kMax,
  kStddev,
  kSumsq,
};

// "totalCount", "distinctCount", ... (the spec's names, case-sensitive).
Result<AggregationMethod> parse_aggregation_method(std::string_view name);
// The spec's name of a method ("totalCount", ...).
std::string_view aggregation_method_name(AggregationMethod method);

// The aggregates of one period. Which samples count:
// - totalCount: every value in the period; deleted instances (kNull) are not values.
// - distinctCount: distinct values; numbers by numeric value (-0.0 equals 0.0, all NaNs are
//   one value), strings and JSON by their exact text, booleans as two values.
// - sum, sumsq, avg, stddev: numbers only. stddev is the population standard deviation
//   (divide by n): the specification does not say, and this form is defined for one sample
//   and consistent with sum and sumsq (the sample form is sqrt(n/(n-1)) times it).
// - min, max: numbers numerically; strings lexicographically by UTF-8 bytes (which is code
//   point order) in min_text/max_text. Booleans and JSON values have no order here.
// An Aggregator fills in what its methods ask for: sum and sumsq are 0, and avg and stddev
// empty, unless one of them needs them (as series::SummaryParts has it).
struct BucketAggregate {
  std::size_t index = 0;   // the period's, in the plan
  std::int64_t start = 0;  // [start, end) in µs since epoch
  std::int64_t end = 0;
  std::uint64_t total_count = 0;
  std::uint64_t distinct_count = 0;
  std::uint64_t number_count = 0;  // how many numbers sum/avg/... are over
  double sum = 0;
  double sumsq = 0;
  std::optional<double> avg;  // these four are empty without numbers
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> stddev;
  std::optional<std::string> min_text;
  std::optional<std::string> max_text;
};

// Aggregates decoded chunks (ChunkColumns, straight from the compressed columns: no JSON,
// no Sample objects) into the periods of a BucketPlan. Chunks may come in any order and
// overlap in time. Distinct values and text bounds cost hashing and copies, so they are
// tracked only when the methods ask for them.
class Aggregator {
 public:
  explicit Aggregator(BucketPlan plan,
                      std::initializer_list<AggregationMethod> methods = {
                          AggregationMethod::kTotalCount, AggregationMethod::kDistinctCount,
                          AggregationMethod::kSum, AggregationMethod::kAvg, AggregationMethod::kMin,
                          AggregationMethod::kMax, AggregationMethod::kStddev,
                          AggregationMethod::kSumsq});
  Aggregator(BucketPlan plan, const std::vector<AggregationMethod>& methods);
  ~Aggregator();
  Aggregator(Aggregator&&) noexcept;
  Aggregator& operator=(Aggregator&&) noexcept;

  void add(const ChunkColumns& columns);
  // Samples [first, last) of `columns`, each at times[i] instead of columns.times[i] (`times`
  // has one entry per sample of `columns`, in any order): what a caller that aggregates by
  // another timestamp, or a part of a chunk, hands over without copying the columns. Decimal
  // chunks take the exact integer path when those times are sorted.
  // `ascending`: the caller knows times[first, last) ascend (nothing is checked again).
  void add(const ChunkColumns& columns, std::span<const std::int64_t> times, std::size_t first,
           std::size_t last, bool ascending = false);
  // Decimal numbers (decimal_column.hpp: value i is scaled[i] / 10^exponent), number i at
  // times[i] (in any order): as if a chunk of these numbers were add()ed at those times.
  // Returns the newest of those times (nullopt for none).
  // `ascending`: the times are known not to decrease (else they are checked).
  std::optional<std::int64_t> add_decimals(std::span<const std::int64_t> times,
                                           std::span<const std::int64_t> scaled,
                                           std::uint8_t exponent, bool ascending = false);
  // One entry per period of the plan, in time order, empty periods included.
  std::vector<BucketAggregate> finish() const;
  // The periods with a value (total_count above 0), in time order: a week of hourly periods
  // is 168 entries of some 200 bytes, which an answer writing the filled ones need not make.
  std::vector<BucketAggregate> finish_filled() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace citytwin::series
