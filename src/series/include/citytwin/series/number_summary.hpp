#pragma once

#include <cstdint>

#include "citytwin/series/aggregation.hpp"

namespace citytwin::series {

// The numeric aggregates of a run of numbers, in the order they were added: what a chunk
// stores about its numbers so that a period covering the whole chunk needs no decoding
// (docs/timeseries.md, "Fast paths"). mean and m2 are Welford's running mean and sum of
// squared deviations; merge() combines two runs (Chan, Golub and LeVeque's parallel form),
// so a merged stddev equals the sequential one up to floating-point rounding.
struct NumberSummary {
  std::uint64_t count = 0;
  double sum = 0;
  double sumsq = 0;
  double mean = 0;
  double m2 = 0;
  double min = 0;  // both meaningless while count == 0
  double max = 0;

  void add(double x);
  void merge(const NumberSummary& other);
};

// Adds `numbers` (numbers without NaN, all in this period) to an Aggregator's period as if
// each had been aggregated with it. Not for distinctCount, which needs the values.
void add_to_period(BucketAggregate& period, const NumberSummary& numbers);

}  // namespace citytwin::series
