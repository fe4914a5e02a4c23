#pragma once

#include <cstdint>
#include <optional>
#include <span>

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

// Which aggregates summarize_scaled computes, for a caller that reports only some: kAll;
// kWithoutSpread leaves sumsq and m2 at 0 (no squares summed); kBoundsOnly leaves sum, mean,
// sumsq and m2 at 0 (count, min and max only). A summary merged with a partial one holds
// nothing meaningful in the parts left out.
enum class SummaryParts { kAll, kWithoutSpread, kBoundsOnly };

// The summary of decimal numbers given as scaled integers (decimal_column.hpp: value i is
// scaled[i] / 10^exponent), in exact integer arithmetic: count, sum, sum of squares, min and
// max of the integers exactly, then one conversion each; mean and m2 from the exact
// n·Σm² − (Σm)². As close to the values' true aggregates as double allows (closer than
// adding the doubles one by one), so it may differ from add() in the last bits. nullopt for
// an empty span, or, when sums are asked for, integers of 2^31 and more, whose squares' sums
// could overflow 128 bits.
std::optional<NumberSummary> summarize_scaled(std::span<const std::int64_t> scaled,
                                              std::uint8_t exponent,
                                              SummaryParts parts = SummaryParts::kAll);

// Adds `numbers` (numbers without NaN, all in this period) to an Aggregator's period as if
// each had been aggregated with it. Not for distinctCount, which needs the values.
void add_to_period(BucketAggregate& period, const NumberSummary& numbers);

}  // namespace citytwin::series
