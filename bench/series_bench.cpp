// Throughput of the time-series chunk codec and aggregation (src/series). Build and run:
//   ninja -C build/release series_bench && build/release/src/series/series_bench
// Counters: items_per_second is samples/s; bytes_per_sample is the compressed size.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "citytwin/series/aggregation.hpp"
#include "citytwin/series/chunk.hpp"
#include "citytwin/series/chunk_merge.hpp"

namespace citytwin::series {
namespace {

constexpr std::int64_t k2026 = 1'767'225'600'000'000;
constexpr std::int64_t kMinute = 60'000'000;
constexpr std::size_t kSamples = 1024;  // one chunk, the default size

// A temperature sensor reporting every 60 s with up to ±500 ms of jitter on its
// millisecond timestamps, a daily cycle plus noise, rounded to one decimal as devices send it.
std::vector<Sample> temperature_series(std::size_t count) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0, 0.15);
  std::uniform_int_distribution<std::int64_t> jitter(-500, 500);
  std::vector<Sample> samples;
  for (std::size_t i = 0; i < count; ++i) {
    double hours = static_cast<double>(i) / 60;
    double celsius = 15 + 6 * std::sin(hours / 24 * 2 * M_PI) + noise(rng);
    samples.push_back(
        Sample::of_number(k2026 + static_cast<std::int64_t>(i) * kMinute + jitter(rng),
                          std::round(celsius * 10) / 10));
  }
  return samples;
}

// An energy meter counter: exact 60 s period, monotonically increasing integer readings.
std::vector<Sample> counter_series(std::size_t count) {
  std::mt19937_64 rng(7);
  std::vector<Sample> samples;
  double total = 123'456;
  for (std::size_t i = 0; i < count; ++i) {
    total += static_cast<double>(rng() % 40);
    samples.push_back(Sample::of_number(k2026 + static_cast<std::int64_t>(i) * kMinute, total));
  }
  return samples;
}

// The shapes of bench/timeseries/tsgen.cpp (the issue #3 comparison data): one point per
// whole minute; 0: a smooth daily cycle with Gaussian noise (sigma 0.3), two decimals;
// 1: flat; 2: stepped every 3 hours between 17 and 21.
std::vector<Sample> tsgen_series(int shape, std::size_t count) {
  std::mt19937_64 rng(0x5EED);
  std::normal_distribution<double> noise(0, 0.3);
  std::vector<Sample> samples;
  for (std::size_t i = 0; i < count; ++i) {
    auto minute = static_cast<std::int64_t>(i);
    double value = 22.0;
    if (shape == 0) {
      double day = 2 * M_PI * static_cast<double>(minute * 60) / 86400;
      value = std::round((15 + 8 * std::sin(day + 1.0) + noise(rng)) * 100) / 100;
    } else if (shape == 2) {
      value = (minute / 180) % 4 == 0 ? 17.0 : 21.0;
    }
    samples.push_back(Sample::of_number(k2026 + minute * kMinute, value));
  }
  return samples;
}

// Arg: 0 temperature, 1 counter, 2/3/4 tsgen smooth/flat/stepped.
std::vector<Sample> series(int which, std::size_t count = kSamples) {
  if (which == 0) return temperature_series(count);
  if (which == 1) return counter_series(count);
  return tsgen_series(which - 2, count);
}

const char* label(int which) {
  constexpr const char* kLabels[] = {"temperature", "counter", "tsgen smooth 2-decimal",
                                     "tsgen flat", "tsgen stepped"};
  return kLabels[which];
}

std::string encode(const std::vector<Sample>& samples) {
  ChunkBuilder builder;
  for (const Sample& sample : samples) builder.add(sample);
  return *builder.finish();
}

void BM_Encode(benchmark::State& state) {
  std::vector<Sample> samples = series(static_cast<int>(state.range(0)));
  std::size_t size = 0;
  for (auto _ : state) {
    std::string bytes = encode(samples);
    size = bytes.size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples.size()));
  state.counters["bytes_per_sample"] = static_cast<double>(size) / samples.size();
  state.SetLabel(label(static_cast<int>(state.range(0))));
}

void BM_Decode(benchmark::State& state) {
  std::vector<Sample> samples = series(static_cast<int>(state.range(0)));
  std::string bytes = encode(samples);
  for (auto _ : state) {
    auto reader = ChunkReader::open(bytes);
    benchmark::DoNotOptimize(reader);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples.size()));
  state.counters["bytes_per_sample"] = static_cast<double>(bytes.size()) / samples.size();
  state.SetLabel(label(static_cast<int>(state.range(0))));
}

// Decode + aggregate 30 days of the temperature series (43200 samples in 43 chunks) into
// daily periods with every method, as GET /temporal/entities?aggrMethods=...&aggrPeriodDuration=P1D
// would.
void BM_Aggregate(benchmark::State& state) {
  std::vector<Sample> samples = temperature_series(30 * 1440);
  std::vector<std::string> chunks = *build_chunks(samples);
  auto period = state.range(0) == 0 ? PeriodDuration{0, 86'400'000'000} : PeriodDuration{1, 0};
  for (auto _ : state) {
    Aggregator aggregator(
        *BucketPlan::create(k2026 - kMinute, k2026 + 31 * 1440 * kMinute, period, 100000));
    for (const std::string& chunk : chunks) aggregator.add(ChunkReader::open(chunk)->columns());
    auto result = aggregator.finish();
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples.size()));
  state.SetLabel(state.range(0) == 0 ? "P1D, decode included" : "P1M, decode included");
}

// Aggregation alone on already decoded columns.
void BM_AggregateDecoded(benchmark::State& state) {
  std::vector<Sample> samples = temperature_series(30 * 1440);
  std::vector<std::string> chunks = *build_chunks(samples);
  std::vector<ChunkColumns> columns;
  for (const std::string& chunk : chunks) {
    columns.push_back(std::move(ChunkReader::open(chunk).value()).columns());
  }
  for (auto _ : state) {
    Aggregator aggregator(*BucketPlan::create(k2026 - kMinute, k2026 + 31 * 1440 * kMinute,
                                              PeriodDuration{0, 3'600'000'000}, 100000));
    for (const ChunkColumns& chunk : columns) aggregator.add(chunk);
    auto result = aggregator.finish();
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples.size()));
  state.SetLabel("PT1H, all methods");
}

// The scan of issue #3's target (>= 100 M points/s per core): decode + aggregate 30 days of
// one tsgen shape (Arg as in series()) into daily periods with what dashboards ask
// (avg, min, max, sum, stddev, sumsq, totalCount: everything but distinctCount).
void BM_Scan(benchmark::State& state) {
  std::vector<Sample> samples = series(static_cast<int>(state.range(0)), 30 * 1440);
  std::vector<std::string> chunks = *build_chunks(samples);
  std::size_t bytes = 0;
  for (const std::string& chunk : chunks) bytes += chunk.size();
  const std::vector<AggregationMethod> methods = {
      AggregationMethod::kTotalCount, AggregationMethod::kSum, AggregationMethod::kAvg,
      AggregationMethod::kMin,        AggregationMethod::kMax, AggregationMethod::kStddev,
      AggregationMethod::kSumsq};
  for (auto _ : state) {
    Aggregator aggregator(*BucketPlan::create(k2026 - kMinute, k2026 + 31 * 1440 * kMinute,
                                              PeriodDuration{0, 86'400'000'000}, 100000),
                          methods);
    for (const std::string& chunk : chunks) aggregator.add(ChunkReader::open(chunk)->columns());
    auto result = aggregator.finish();
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples.size()));
  state.counters["bytes_per_sample"] = static_cast<double>(bytes) / samples.size();
  state.SetLabel(std::string(label(static_cast<int>(state.range(0)))) + ", P1D, no distinctCount");
}

// What the temporal API's aggregations by observedAt read since the observed-decimals path
// (docs/timeseries.md, "Observed decimals"): only the observedAt and decimal columns of
// chunks of a day (1,440 samples), aggregated where they lie, `max` as in issue #3's
// queries. Arg 0: tsgen shape (as in series()); Arg 1: 0 for daily periods from 00:30 (few
// periods, every point decoded), 1 for hourly periods (24 a day).
void BM_ScanObservedDecimals(benchmark::State& state) {
  std::vector<Sample> samples = series(static_cast<int>(state.range(0)), 30 * 1440);
  for (Sample& sample : samples) sample.time2 = sample.time;
  std::vector<std::string> chunks = *build_chunks(samples, 1440);
  const bool hourly = state.range(1) == 1;
  const std::int64_t from = hourly ? k2026 : k2026 + 30 * kMinute;
  const PeriodDuration period =
      hourly ? PeriodDuration{0, 3'600'000'000} : PeriodDuration{0, 86'400'000'000};
  Time2Decimals columns;
  for (auto _ : state) {
    Aggregator aggregator(*BucketPlan::create(from, k2026 + 31 * 1440 * kMinute, period, 100000),
                          {AggregationMethod::kMax});
    for (const std::string& chunk : chunks) {
      if (!read_time2_decimals(chunk, columns).value()) state.SkipWithError("not decimals");
      aggregator.add_decimals(columns.times2, columns.scaled, columns.decimal_exponent);
    }
    auto result = aggregator.finish();
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples.size()));
  state.SetLabel(std::string(label(static_cast<int>(state.range(0)))) +
                 (hourly ? ", PT1H" : ", P1D from 00:30") + ", max");
}

BENCHMARK(BM_Encode)->DenseRange(0, 4);
BENCHMARK(BM_Decode)->DenseRange(0, 4);
BENCHMARK(BM_Scan)->DenseRange(0, 4);
BENCHMARK(BM_Aggregate)->Arg(0)->Arg(1);
BENCHMARK(BM_AggregateDecoded);
BENCHMARK(BM_ScanObservedDecimals)->ArgsProduct({{2, 3, 4}, {0, 1}});

}  // namespace
}  // namespace citytwin::series

BENCHMARK_MAIN();
