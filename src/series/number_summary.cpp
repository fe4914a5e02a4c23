#include "citytwin/series/number_summary.hpp"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "citytwin/series/decimal_column.hpp"

namespace citytwin::series {

void NumberSummary::add(double x) {
  if (count == 0 || x < min) min = x;
  if (count == 0 || x > max) max = x;
  ++count;
  sum += x;
  sumsq += x * x;
  double delta = x - mean;
  mean += delta / static_cast<double>(count);
  m2 += delta * (x - mean);
}

void NumberSummary::merge(const NumberSummary& other) {
  if (other.count == 0) return;
  if (count == 0) {
    *this = other;
    return;
  }
  if (other.min < min) min = other.min;
  if (other.max > max) max = other.max;
  const double n_a = static_cast<double>(count);
  const double n_b = static_cast<double>(other.count);
  const double n = n_a + n_b;
  const double delta = other.mean - mean;
  mean += delta * n_b / n;
  m2 += other.m2 + delta * delta * n_a * n_b / n;
  count += other.count;
  sum += other.sum;
  sumsq += other.sumsq;
}

namespace {

struct ScaledSums {
  std::int64_t sum = 0;
  std::int64_t min = 0;
  std::int64_t max = 0;
};

// Min and max alone, for summaries of the bounds only.
ScaledSums scaled_bounds_portable(std::span<const std::int64_t> scaled) {
  std::int64_t min = scaled[0];
  std::int64_t max = scaled[0];
  for (std::int64_t m : scaled) {
    min = std::min(min, m);
    max = std::max(max, m);
  }
  return {0, min, max};
}

#if defined(__x86_64__) && defined(__GNUC__)
// AVX-512 compares eight 64-bit integers per instruction; the loop above, a compare and a
// conditional move per bound and value, was the largest part of an hourly maximum's
// summaries (runs of 60 minutes). Compiled for AVX-512F alone and used only when the CPU
// has it. The masked loads of the tail read no byte past the span. (GCC 12's own
// broadcast and reductions leave a variable uninitialized on purpose, which -Wuninitialized
// reports once they are inlined here.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
__attribute__((target("avx512f"))) ScaledSums scaled_bounds_avx512(
    std::span<const std::int64_t> scaled) {
  const std::int64_t* data = scaled.data();
  const std::size_t size = scaled.size();
  __m512i min = _mm512_set1_epi64(data[0]);
  __m512i max = min;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    const __m512i values = _mm512_loadu_si512(data + i);
    min = _mm512_min_epi64(min, values);
    max = _mm512_max_epi64(max, values);
  }
  if (i < size) {
    const auto tail = static_cast<__mmask8>((1u << (size - i)) - 1);
    min = _mm512_min_epi64(min, _mm512_mask_loadu_epi64(min, tail, data + i));
    max = _mm512_max_epi64(max, _mm512_mask_loadu_epi64(max, tail, data + i));
  }
  return {0, _mm512_reduce_min_epi64(min), _mm512_reduce_max_epi64(max)};
}
#pragma GCC diagnostic pop

bool has_avx512f() {
  static const bool supported = __builtin_cpu_supports("avx512f");
  return supported;
}
#endif

ScaledSums scaled_bounds(std::span<const std::int64_t> scaled) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (has_avx512f()) return scaled_bounds_avx512(scaled);
#endif
  return scaled_bounds_portable(scaled);
}

// Σm, min and max. The sum wraps (no UB) and is used only once min and max show every
// |m| < 2^31: then for n < 2^32 it is below 2^63, exact.
ScaledSums scaled_sums(std::span<const std::int64_t> scaled) {
  std::uint64_t sum = 0;
  std::int64_t min = scaled[0];
  std::int64_t max = scaled[0];
  for (std::int64_t m : scaled) {
    sum += static_cast<std::uint64_t>(m);
    min = std::min(min, m);
    max = std::max(max, m);
  }
  return {static_cast<std::int64_t>(sum), min, max};
}

// Σm²: 64-bit while every |m| < 2^20 and n < 2^22 (each square below 2^40), else 128-bit.
template <typename Wide>
Wide sum_of_squares(std::span<const std::int64_t> scaled) {
  Wide sumsq = 0;
  for (std::int64_t m : scaled) sumsq += static_cast<Wide>(m * m);
  return sumsq;
}

}  // namespace

std::optional<NumberSummary> summarize_scaled(std::span<const std::int64_t> scaled,
                                              std::uint8_t exponent, SummaryParts parts) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 31;
  if (scaled.empty() || scaled.size() >= (std::size_t{1} << 32)) return std::nullopt;
  if (parts == SummaryParts::kBoundsOnly) {
    const ScaledSums bounds = scaled_bounds(scaled);
    const double power = power_of_ten(exponent);
    NumberSummary summary;
    summary.count = scaled.size();
    summary.min = decimal_value(bounds.min, power);
    summary.max = decimal_value(bounds.max, power);
    return summary;
  }
  const bool spread = parts == SummaryParts::kAll;
  ScaledSums sums = scaled_sums(scaled);
  if (sums.min <= -kLimit || sums.max >= kLimit) return std::nullopt;
  const std::int64_t magnitude = std::max(-sums.min, sums.max);
  const double power = power_of_ten(exponent);
  const auto n = static_cast<std::int64_t>(scaled.size());
  const double count = static_cast<double>(n);
  NumberSummary summary;
  summary.count = scaled.size();
  summary.sum = static_cast<double>(sums.sum) / power;
  summary.mean = summary.sum / count;
  if (spread) {
    const bool narrow =
        magnitude < (std::int64_t{1} << 20) && scaled.size() < (std::size_t{1} << 22);
    const __int128 sumsq =
        narrow ? sum_of_squares<std::int64_t>(scaled) : sum_of_squares<__int128>(scaled);
    summary.sumsq = static_cast<double>(sumsq) / power / power;
    // n·Σm² − (Σm)² = n² times the variance of the integers: exact, and never negative.
    const __int128 variance_n2 = static_cast<__int128>(n) * sumsq -
                                 static_cast<__int128>(sums.sum) * static_cast<__int128>(sums.sum);
    summary.m2 = static_cast<double>(variance_n2) / count / power / power;
  }
  summary.min = decimal_value(sums.min, power);
  summary.max = decimal_value(sums.max, power);
  return summary;
}

void add_to_period(BucketAggregate& period, const NumberSummary& numbers) {
  if (numbers.count == 0) return;
  NumberSummary current;
  current.count = period.number_count;
  if (current.count != 0) {
    const double n = static_cast<double>(current.count);
    current.sum = period.sum;
    current.sumsq = period.sumsq;
    current.mean = period.avg.value_or(period.sum / n);
    current.m2 = period.stddev ? *period.stddev * *period.stddev * n : 0;
    current.min = period.min.value_or(0);
    current.max = period.max.value_or(0);
  }
  current.merge(numbers);
  const double n = static_cast<double>(current.count);
  period.total_count += numbers.count;
  period.number_count = current.count;
  period.sum = current.sum;
  period.sumsq = current.sumsq;
  period.avg = current.sum / n;
  period.min = current.min;
  period.max = current.max;
  period.stddev = std::sqrt(std::max(0.0, current.m2 / n));
}

}  // namespace citytwin::series
