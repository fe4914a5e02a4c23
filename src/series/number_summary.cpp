#include "citytwin/series/number_summary.hpp"

#include <algorithm>
#include <cmath>

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
