#include "citytwin/series/aggregation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "citytwin/common/instant.hpp"
#include "citytwin/series/chunk_merge.hpp"
#include "citytwin/series/decimal_column.hpp"
#include "citytwin/series/number_summary.hpp"

namespace citytwin::series {
namespace {

std::int64_t at(std::string_view text) {
  return parse_date_time(text)->micros;
}

std::vector<ChunkColumns> decode_all(const std::vector<std::string>& chunks) {
  std::vector<ChunkColumns> out;
  for (const std::string& chunk : chunks) {
    auto reader = ChunkReader::open(chunk);
    EXPECT_TRUE(reader.ok());
    out.push_back(std::move(reader).value().columns());
  }
  return out;
}

std::vector<BucketAggregate> aggregate(const std::vector<Sample>& samples, BucketPlan plan,
                                       std::size_t chunk_size = 1024) {
  auto chunks = build_chunks(samples, chunk_size);
  EXPECT_TRUE(chunks.ok());
  Aggregator aggregator(std::move(plan));
  // Reverse order: the aggregator must not depend on chunk order.
  auto columns = decode_all(*chunks);
  for (auto it = columns.rbegin(); it != columns.rend(); ++it) aggregator.add(*it);
  return aggregator.finish();
}

// The obvious implementation, straight from the definitions, over materialised samples.
BucketAggregate reference(const std::vector<Sample>& samples, std::int64_t start,
                          std::int64_t end) {
  BucketAggregate out;
  out.start = start;
  out.end = end;
  std::vector<double> numbers;
  std::set<std::string> distinct;
  for (const Sample& sample : samples) {
    if (sample.time < start || sample.time >= end || sample.kind == ValueKind::kNull) continue;
    ++out.total_count;
    switch (sample.kind) {
      case ValueKind::kNumber:
        numbers.push_back(sample.number);
        distinct.insert("n" + std::to_string(sample.number == 0 ? 0.0 : sample.number));
        break;
      case ValueKind::kBool:
        distinct.insert(sample.boolean ? "true" : "false");
        break;
      case ValueKind::kString:
        distinct.insert("s" + sample.text);
        if (!out.min_text || sample.text < *out.min_text) out.min_text = sample.text;
        if (!out.max_text || sample.text > *out.max_text) out.max_text = sample.text;
        break;
      default:
        distinct.insert("j" + sample.text);
    }
  }
  out.distinct_count = distinct.size();
  out.number_count = numbers.size();
  if (numbers.empty()) return out;
  double mean = 0;
  for (double x : numbers) {
    out.sum += x;
    out.sumsq += x * x;
  }
  mean = out.sum / numbers.size();
  double squares = 0;
  for (double x : numbers) squares += (x - mean) * (x - mean);
  out.avg = mean;
  out.min = *std::min_element(numbers.begin(), numbers.end());
  out.max = *std::max_element(numbers.begin(), numbers.end());
  out.stddev = std::sqrt(squares / numbers.size());
  return out;
}

void expect_near_optional(const std::optional<double>& a, const std::optional<double>& b) {
  ASSERT_EQ(a.has_value(), b.has_value());
  if (a) {
    EXPECT_NEAR(*a, *b, 1e-9 * std::max(1.0, std::fabs(*b)));
  }
}

void expect_matches_reference(const std::vector<Sample>& samples, const BucketPlan& plan,
                              const std::vector<BucketAggregate>& got) {
  ASSERT_EQ(got.size(), plan.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    BucketAggregate want = reference(samples, plan.start(i), plan.end(i));
    SCOPED_TRACE("bucket " + std::to_string(i));
    EXPECT_EQ(got[i].start, want.start);
    EXPECT_EQ(got[i].end, want.end);
    EXPECT_EQ(got[i].total_count, want.total_count);
    EXPECT_EQ(got[i].distinct_count, want.distinct_count);
    EXPECT_EQ(got[i].number_count, want.number_count);
    EXPECT_NEAR(got[i].sum, want.sum, 1e-9 * std::max(1.0, std::fabs(want.sum)));
    EXPECT_NEAR(got[i].sumsq, want.sumsq, 1e-9 * std::max(1.0, want.sumsq));
    expect_near_optional(got[i].avg, want.avg);
    expect_near_optional(got[i].min, want.min);
    expect_near_optional(got[i].max, want.max);
    expect_near_optional(got[i].stddev, want.stddev);
    EXPECT_EQ(got[i].min_text, want.min_text);
    EXPECT_EQ(got[i].max_text, want.max_text);
  }
}

std::vector<Sample> random_mixed_series(std::int64_t from, std::int64_t span, int count,
                                        unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<Sample> samples;
  for (int i = 0; i < count; ++i) {
    // A tenth fall outside the range on either side.
    std::int64_t time = from - span / 20 + static_cast<std::int64_t>(rng() % (span + span / 10));
    switch (rng() % 10) {
      case 0:
        samples.push_back(Sample::of_bool(time, rng() % 2));
        break;
      case 1:
        samples.push_back(Sample::of_string(time, "st" + std::to_string(rng() % 15)));
        break;
      case 2:
        samples.push_back(Sample::of_json(time, "[" + std::to_string(rng() % 5) + "]"));
        break;
      case 3:
        samples.push_back(Sample::of_null(time));
        break;
      default:
        samples.push_back(Sample::of_number(time, static_cast<double>(rng() % 400) / 10 - 5));
    }
  }
  return samples;
}

TEST(Aggregation, FixedPeriodsMatchTheReference) {
  std::int64_t from = at("2026-03-01T00:00:00Z");
  std::int64_t to = at("2026-03-08T00:00:00Z");
  auto samples = random_mixed_series(from, to - from, 20000, 1);
  for (std::string_view period : {"PT1H", "P1D", "PT7M13S", "PT0S"}) {
    SCOPED_TRACE(std::string(period));
    auto plan = BucketPlan::create(from, to, *parse_period_duration(period), 100000);
    ASSERT_TRUE(plan.ok());
    expect_matches_reference(samples, *plan, aggregate(samples, *plan, 700));
  }
}

TEST(Aggregation, CalendarPeriodsMatchTheReference) {
  std::int64_t from = at("2023-11-30T06:00:00Z");
  std::int64_t to = at("2025-03-31T00:00:00Z");
  auto samples = random_mixed_series(from, to - from, 30000, 2);
  for (std::string_view period : {"P1M", "P1Y", "P2M3D"}) {
    SCOPED_TRACE(std::string(period));
    auto plan = BucketPlan::create(from, to, *parse_period_duration(period), 100000);
    ASSERT_TRUE(plan.ok());
    expect_matches_reference(samples, *plan, aggregate(samples, *plan));
  }
}

TEST(Aggregation, KnownValues) {
  std::vector<Sample> samples;
  double values[] = {2, 4, 4, 4, 5, 5, 7, 9};
  for (int i = 0; i < 8; ++i) samples.push_back(Sample::of_number(i, values[i]));
  samples.push_back(Sample::of_null(8));
  samples.push_back(Sample::of_number(100, 1000));  // outside
  auto result = aggregate(samples, *BucketPlan::create(0, 100, PeriodDuration{}, 10));
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0].total_count, 8u);
  EXPECT_EQ(result[0].distinct_count, 5u);
  EXPECT_EQ(result[0].sum, 40);
  EXPECT_EQ(result[0].sumsq, 232);
  EXPECT_EQ(result[0].avg, 5);
  EXPECT_EQ(result[0].min, 2);
  EXPECT_EQ(result[0].max, 9);
  EXPECT_EQ(result[0].stddev, 2);  // population: sqrt(32 / 8)
}

TEST(Aggregation, StddevStaysAccurateForLargeCloseValues) {
  std::vector<Sample> samples;
  for (int i = 0; i < 1000; ++i) samples.push_back(Sample::of_number(i, 1e9 + (i % 2)));
  auto result = aggregate(samples, *BucketPlan::create(0, 1000, PeriodDuration{}, 10));
  EXPECT_NEAR(*result[0].stddev, 0.5, 1e-6);
}

TEST(Aggregation, NonNumbersCountButDoNotSum) {
  std::vector<Sample> samples = {Sample::of_string(1, "b"),  Sample::of_string(2, "a"),
                                 Sample::of_string(3, "b"),  Sample::of_bool(4, true),
                                 Sample::of_bool(5, true),   Sample::of_json(6, "\"a\""),
                                 Sample::of_number(7, -0.0), Sample::of_number(8, 0.0)};
  auto result = aggregate(samples, *BucketPlan::create(0, 10, PeriodDuration{}, 10));
  EXPECT_EQ(result[0].total_count, 8u);
  EXPECT_EQ(result[0].distinct_count, 5u);  // "a", "b", true, JSON "a", 0
  EXPECT_EQ(result[0].number_count, 2u);
  EXPECT_EQ(result[0].min_text, "a");
  EXPECT_EQ(result[0].max_text, "b");
  EXPECT_EQ(result[0].avg, 0.0);
}

TEST(Aggregation, EmptyPeriodsAreReported) {
  std::vector<Sample> samples = {Sample::of_number(5, 1), Sample::of_number(25, 2)};
  auto result = aggregate(samples, *BucketPlan::create(0, 30, PeriodDuration{0, 10}, 10));
  ASSERT_EQ(result.size(), 3u);
  EXPECT_EQ(result[1].total_count, 0u);
  EXPECT_FALSE(result[1].avg.has_value());
  EXPECT_EQ(result[2].sum, 2);
}

TEST(Aggregation, OnlyRequestedExtrasAreTracked) {
  std::vector<Sample> samples = {Sample::of_string(1, "x"), Sample::of_string(2, "y")};
  auto chunks = build_chunks(samples);
  Aggregator counts(*BucketPlan::create(0, 10, PeriodDuration{}, 10),
                    {AggregationMethod::kTotalCount});
  counts.add(decode_all(*chunks)[0]);
  auto result = counts.finish();
  EXPECT_EQ(result[0].total_count, 2u);
  EXPECT_EQ(result[0].distinct_count, 0u);
  EXPECT_FALSE(result[0].min_text.has_value());
}

// Merging the summaries of the parts of a run gives the summary of the whole run (up to
// rounding): large values close together, where stddev from sumsq would lose every digit.
// The bounds of scaled integers (AVX-512 eight at a time where the CPU has it, with a masked
// tail) are those of the values one by one, for every length and wherever the extremes lie.
TEST(Aggregation, BoundsOfScaledIntegersOfEveryLength) {
  std::mt19937_64 rng(17);
  for (std::size_t length = 1; length <= 70; ++length) {
    for (int round = 0; round < 40; ++round) {
      std::vector<std::int64_t> scaled(length);
      for (std::int64_t& m : scaled) {
        m = static_cast<std::int64_t>(rng() % 2'000'001) - 1'000'000;
      }
      if (round % 4 == 1) scaled[rng() % length] = kMaxDecimalMagnitude;
      if (round % 4 == 2) scaled[length - 1] = -kMaxDecimalMagnitude;
      const auto [low, high] = std::minmax_element(scaled.begin(), scaled.end());
      auto summary = summarize_scaled(scaled, 3, SummaryParts::kBoundsOnly);
      ASSERT_TRUE(summary.has_value());
      EXPECT_EQ(summary->count, length);
      EXPECT_EQ(summary->min, decimal_value(*low, 1000.0)) << length << " " << round;
      EXPECT_EQ(summary->max, decimal_value(*high, 1000.0)) << length << " " << round;
    }
  }
}

TEST(Aggregation, MergedNumberSummariesEqualTheSequentialOne) {
  std::mt19937_64 random(17);
  std::normal_distribution<double> noise(0, 0.01);
  for (int round = 0; round < 200; ++round) {
    std::vector<double> values(1 + random() % 500);
    for (double& x : values) x = 273.15 + noise(random);
    NumberSummary whole;
    for (double x : values) whole.add(x);
    NumberSummary merged;
    std::size_t begin = 0;
    while (begin < values.size()) {
      std::size_t end = std::min(values.size(), begin + 1 + random() % 120);
      NumberSummary part;
      for (std::size_t i = begin; i < end; ++i) part.add(values[i]);
      merged.merge(part);
      begin = end;
    }
    merged.merge(NumberSummary());  // an empty part changes nothing
    ASSERT_EQ(merged.count, whole.count);
    EXPECT_EQ(merged.min, whole.min);
    EXPECT_EQ(merged.max, whole.max);
    EXPECT_NEAR(merged.sum, whole.sum, 1e-9 * std::abs(whole.sum));
    EXPECT_NEAR(merged.sumsq, whole.sumsq, 1e-9 * whole.sumsq);
    EXPECT_NEAR(merged.mean, whole.mean, 1e-12 * std::abs(whole.mean));
    EXPECT_NEAR(merged.m2, whole.m2, 1e-6 * std::max(whole.m2, 1e-12));
  }
}

// add_to_period counts a summarized run as if each value had been aggregated in the period.
TEST(Aggregation, SummaryAddsToAPeriodAsItsValues) {
  auto plan = *BucketPlan::create(0, 100, PeriodDuration{0, 10}, 100);
  std::vector<Sample> samples = {Sample::of_number(21, 4.0), Sample::of_number(22, -1.5)};
  auto chunks = build_chunks(samples);
  Aggregator both(plan);
  Aggregator part(plan);
  for (double x : {1.0, 2.0, 6.0}) samples.push_back(Sample::of_number(25, x));
  both.add(decode_all(*build_chunks(samples))[0]);
  part.add(decode_all(*chunks)[0]);
  NumberSummary numbers;
  for (double x : {1.0, 2.0, 6.0}) numbers.add(x);
  BucketAggregate merged = part.finish()[2];
  add_to_period(merged, numbers);
  BucketAggregate expected = both.finish()[2];
  EXPECT_EQ(merged.total_count, expected.total_count);
  EXPECT_EQ(merged.number_count, expected.number_count);
  EXPECT_DOUBLE_EQ(merged.sum, expected.sum);
  EXPECT_DOUBLE_EQ(merged.sumsq, expected.sumsq);
  EXPECT_DOUBLE_EQ(*merged.avg, *expected.avg);
  EXPECT_EQ(merged.min, expected.min);
  EXPECT_EQ(merged.max, expected.max);
  EXPECT_NEAR(*merged.stddev, *expected.stddev, 1e-12);
  BucketAggregate empty = part.finish()[5];  // a period without values takes the run alone
  add_to_period(empty, numbers);
  EXPECT_EQ(empty.total_count, 3u);
  EXPECT_DOUBLE_EQ(*empty.avg, 3.0);
}

TEST(Aggregation, MethodNames) {
  EXPECT_EQ(*parse_aggregation_method("stddev"), AggregationMethod::kStddev);
  EXPECT_EQ(*parse_aggregation_method("distinctCount"), AggregationMethod::kDistinctCount);
  EXPECT_FALSE(parse_aggregation_method("median").ok());
  EXPECT_FALSE(parse_aggregation_method("SUM").ok());
}

// Decimal chunks without distinctCount take the exact integer path (ChunkColumns::scaled); it
// must agree with the reference and with the double path on the same columns (scaled
// dropped), for each decimal scale, periods cutting chunks anywhere and samples outside the
// range; integers of 2^31 and more fall back to the double path.
TEST(Aggregator, ScaledIntegerPathMatchesTheDoublePath) {
  const std::vector<AggregationMethod> methods = {
      AggregationMethod::kTotalCount, AggregationMethod::kSum, AggregationMethod::kAvg,
      AggregationMethod::kMin,        AggregationMethod::kMax, AggregationMethod::kStddev,
      AggregationMethod::kSumsq};
  const std::int64_t from = at("2026-01-01T00:00:00Z");
  const std::int64_t hour = 3'600'000'000;
  for (int exponent : {0, 1, 2, 6}) {
    for (std::int64_t magnitude : {std::int64_t{5000}, std::int64_t{3} << 30}) {
      std::mt19937_64 rng(static_cast<unsigned>(exponent * 31 + magnitude % 97));
      std::vector<Sample> samples;
      for (int i = 0; i < 5000; ++i) {
        std::int64_t time = from - 2 * hour + static_cast<std::int64_t>(rng() % (60 * hour));
        auto m = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * magnitude)) -
                 magnitude + 1;
        samples.push_back(Sample::of_number(
            time, std::stod(std::to_string(m) + "e-" + std::to_string(exponent))));
      }
      auto plan = *BucketPlan::create(from, from + 48 * hour, PeriodDuration{0, 5 * hour}, 100);
      auto chunks = decode_all(*build_chunks(samples, 700));
      ASSERT_FALSE(chunks[0].scaled.empty());
      Aggregator exact(plan, methods);
      Aggregator doubles(plan, methods);
      for (ChunkColumns& columns : chunks) {
        exact.add(columns);
        columns.scaled.clear();
        doubles.add(columns);
      }
      SCOPED_TRACE("exponent " + std::to_string(exponent));
      auto got = exact.finish();
      std::vector<BucketAggregate> want = doubles.finish();
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].total_count, want[i].total_count);
        EXPECT_EQ(got[i].number_count, want[i].number_count);
        EXPECT_NEAR(got[i].sum, want[i].sum, 1e-12 * std::max(1.0, std::fabs(want[i].sum)));
        EXPECT_NEAR(got[i].sumsq, want[i].sumsq, 1e-12 * std::max(1.0, want[i].sumsq));
        expect_near_optional(got[i].avg, want[i].avg);
        EXPECT_EQ(got[i].min, want[i].min);  // bounds are exact either way
        EXPECT_EQ(got[i].max, want[i].max);
        expect_near_optional(got[i].stddev, want[i].stddev);
      }
      for (std::size_t i = 0; i < got.size(); ++i) {
        BucketAggregate ref = reference(samples, plan.start(i), plan.end(i));
        EXPECT_EQ(got[i].total_count, ref.total_count);
        EXPECT_NEAR(got[i].sum, ref.sum, 1e-9 * std::max(1.0, std::fabs(ref.sum)));
        expect_near_optional(got[i].stddev, ref.stddev);
      }
    }
  }
}

// Asked for fewer methods, the integer path summarizes less (no squares without stddev or
// sumsq; bounds alone for min, max and totalCount), and what is asked for is what all
// methods give: small integers and ones of 2^31 and more (whose bounds alone need no
// overflow guard), whole chunks and runs cut by periods.
TEST(Aggregator, FewerMethodsSummarizeLessAndAgreeOnWhatIsAsked) {
  using M = AggregationMethod;
  const std::int64_t from = at("2026-01-01T00:00:00Z");
  const std::int64_t hour = 3'600'000'000;
  for (std::int64_t magnitude : {std::int64_t{5000}, std::int64_t{3} << 30}) {
    std::mt19937_64 rng(static_cast<unsigned>(magnitude % 89));
    std::vector<Sample> samples;
    for (int i = 0; i < 5000; ++i) {
      std::int64_t time = from + static_cast<std::int64_t>(i) * 30'000'000;
      auto m = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * magnitude)) -
               magnitude + 1;
      samples.push_back(Sample::of_number(time, std::stod(std::to_string(m) + "e-2")));
    }
    auto chunks = decode_all(*build_chunks(samples, 700));
    ASSERT_FALSE(chunks[0].scaled.empty());
    for (auto period : {PeriodDuration{0, hour}, PeriodDuration{0, 24 * hour}}) {
      auto plan = *BucketPlan::create(from, from + 48 * hour, period, 100);
      // Every method but distinctCount, which takes the double path.
      Aggregator all(plan, std::vector<M>{M::kTotalCount, M::kSum, M::kAvg, M::kMin, M::kMax,
                                          M::kStddev, M::kSumsq});
      Aggregator bounds(plan, std::vector<M>{M::kMax, M::kMin, M::kTotalCount});
      Aggregator sums(plan, std::vector<M>{M::kSum, M::kAvg, M::kMax});
      for (const ChunkColumns& columns : chunks) {
        all.add(columns);
        bounds.add(columns);
        sums.add(columns);
      }
      auto want = all.finish();
      auto got_bounds = bounds.finish();
      auto got_sums = sums.finish();
      ASSERT_EQ(got_bounds.size(), want.size());
      SCOPED_TRACE("magnitude " + std::to_string(magnitude) + ", period " +
                   std::to_string(period.micros));
      for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got_bounds[i].total_count, want[i].total_count);
        EXPECT_EQ(got_bounds[i].min, want[i].min);
        EXPECT_EQ(got_bounds[i].max, want[i].max);
        EXPECT_EQ(got_sums[i].total_count, want[i].total_count);
        EXPECT_EQ(got_sums[i].sum, want[i].sum);
        EXPECT_EQ(got_sums[i].avg, want[i].avg);
        EXPECT_EQ(got_sums[i].max, want[i].max);
      }
    }
  }
}

// Decimal numbers handed over as instants and integers (add_decimals) aggregate as a chunk of
// the same numbers at those instants: sorted or not, integers small or too large for the
// exact sums, with and without distinctCount.
TEST(Aggregator, DecimalsAtTheirInstantsMatchAChunkOfThem) {
  const std::int64_t from = at("2026-01-01T00:00:00Z");
  const std::int64_t hour = 3'600'000'000;
  auto plan = *BucketPlan::create(from, from + 48 * hour, PeriodDuration{0, 5 * hour}, 100);
  for (bool sorted : {true, false}) {
    for (std::int64_t magnitude : {std::int64_t{5000}, std::int64_t{3} << 40}) {
      for (bool distinct : {false, true}) {
        std::mt19937_64 rng(static_cast<unsigned>(magnitude % 89 + sorted * 7 + distinct));
        const std::uint8_t exponent = 2;
        std::vector<std::int64_t> times;
        std::vector<std::int64_t> scaled;
        for (int i = 0; i < 3000; ++i) {
          times.push_back(from - 2 * hour + static_cast<std::int64_t>(rng() % (60 * hour)));
          scaled.push_back(
              static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * magnitude)) -
              magnitude);
        }
        if (sorted) std::sort(times.begin(), times.end());
        std::vector<Sample> samples;
        for (std::size_t i = 0; i < times.size(); ++i) {
          samples.push_back(Sample::of_number(times[i], decimal_value(scaled[i], 100.0)));
        }
        std::vector<AggregationMethod> methods = {
            AggregationMethod::kTotalCount, AggregationMethod::kSum, AggregationMethod::kMin,
            AggregationMethod::kMax, AggregationMethod::kStddev};
        if (distinct) methods.push_back(AggregationMethod::kDistinctCount);
        Aggregator decimals(plan, methods);
        EXPECT_EQ(decimals.add_decimals(times, scaled, exponent),
                  *std::max_element(times.begin(), times.end()));
        EXPECT_EQ(decimals.add_decimals({}, {}, exponent), std::nullopt);
        SCOPED_TRACE(std::string(sorted ? "sorted" : "unsorted") + " magnitude " +
                     std::to_string(magnitude) + (distinct ? " distinct" : ""));
        auto got = decimals.finish();
        for (std::size_t i = 0; i < got.size(); ++i) {
          BucketAggregate ref = reference(samples, plan.start(i), plan.end(i));
          EXPECT_EQ(got[i].total_count, ref.total_count);
          if (distinct) {
            EXPECT_EQ(got[i].distinct_count, ref.distinct_count);
          }
          EXPECT_NEAR(got[i].sum, ref.sum, 1e-9 * std::max(1.0, std::fabs(ref.sum)));
          EXPECT_EQ(got[i].min, ref.min);
          EXPECT_EQ(got[i].max, ref.max);
          expect_near_optional(got[i].stddev, ref.stddev);
        }
      }
    }
  }
}

}  // namespace
}  // namespace citytwin::series

namespace citytwin::series {
namespace {

// A part [first, last) of a chunk placed at other times (a second timestamp column, sorted or
// not) aggregates as the samples it stands for: decimal, XOR and mixed chunks, with and
// without distinctCount, against the reference over those samples re-timed.
TEST(Aggregator, PartOfAChunkAtOtherTimesMatchesTheReference) {
  const std::int64_t from = at("2026-01-01T00:00:00Z");
  const std::int64_t minute = 60'000'000;
  std::mt19937_64 rng(17);
  for (int round = 0; round < 60; ++round) {
    std::vector<Sample> samples;
    for (int i = 0; i < 900; ++i) {
      std::int64_t time = from + i * minute;
      switch (round % 3) {
        case 0:  // decimal
          samples.push_back(Sample::of_number(time, static_cast<double>(rng() % 5000) / 100));
          break;
        case 1:  // no short decimal: the XOR column
          samples.push_back(Sample::of_number(time, std::sqrt(2.0) * static_cast<double>(rng())));
          break;
        default:
          samples = random_mixed_series(from, 900 * minute, 900, static_cast<unsigned>(round));
          std::sort(samples.begin(), samples.end(),
                    [](const Sample& a, const Sample& b) { return a.time < b.time; });
          i = 900;
      }
    }
    auto chunks = decode_all(*build_chunks(samples, 4096));
    ASSERT_EQ(chunks.size(), 1u);
    const ChunkColumns& columns = chunks[0];
    ASSERT_EQ(columns.scaled.empty(), round % 3 != 0);
    // Other times: shifted by a few seconds (sorted) or scrambled within the hour.
    const bool sorted = round % 2 == 0;
    std::vector<std::int64_t> times(columns.size());
    for (std::size_t i = 0; i < times.size(); ++i) {
      times[i] =
          columns.times[i] + static_cast<std::int64_t>(sorted ? 7'000'000 : rng() % (60 * minute));
    }
    std::size_t first = rng() % columns.size();
    std::size_t last = first + rng() % (columns.size() - first + 1);
    std::vector<Sample> part;
    for (std::size_t i = first; i < last; ++i) {
      Sample sample = columns.sample(i);
      sample.time = times[i];
      part.push_back(std::move(sample));
    }
    static const char* const kPeriods[] = {"PT7M", "PT1H", "PT3H"};
    auto period = *parse_period_duration(kPeriods[round % 3]);
    auto plan = *BucketPlan::create(from + 30 * minute, from + 700 * minute, period, 1000);
    std::vector<AggregationMethod> methods = {AggregationMethod::kTotalCount,
                                              AggregationMethod::kSum, AggregationMethod::kMin,
                                              AggregationMethod::kStddev};
    if (round % 4 < 2) methods.push_back(AggregationMethod::kDistinctCount);
    Aggregator aggregator(plan, methods);
    aggregator.add(columns, times, first, last);
    SCOPED_TRACE("round " + std::to_string(round));
    auto got = aggregator.finish();
    ASSERT_EQ(got.size(), plan.size());
    // The filled periods alone are those of the whole list with a value, the same.
    auto filled = aggregator.finish_filled();
    auto next = filled.begin();
    for (const BucketAggregate& period : got) {
      if (period.total_count == 0) continue;
      ASSERT_NE(next, filled.end());
      EXPECT_EQ(next->index, period.index);
      EXPECT_EQ(next->start, period.start);
      EXPECT_EQ(next->end, period.end);
      EXPECT_EQ(next->total_count, period.total_count);
      EXPECT_EQ(next->distinct_count, period.distinct_count);
      EXPECT_EQ(next->sum, period.sum);
      EXPECT_EQ(next->min, period.min);
      EXPECT_EQ(next->stddev, period.stddev);
      EXPECT_EQ(next->min_text, period.min_text);
      ++next;
    }
    EXPECT_EQ(next, filled.end());
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].index, i);
      BucketAggregate want = reference(part, plan.start(i), plan.end(i));
      EXPECT_EQ(got[i].total_count, want.total_count);
      if (round % 4 < 2) {
        EXPECT_EQ(got[i].distinct_count, want.distinct_count);
      }
      EXPECT_EQ(got[i].number_count, want.number_count);
      EXPECT_NEAR(got[i].sum, want.sum, 1e-9 * std::max(1.0, std::fabs(want.sum)));
      expect_near_optional(got[i].min, want.min);
      expect_near_optional(got[i].stddev, want.stddev);
      EXPECT_EQ(got[i].min_text, want.min_text);
    }
  }
}

}  // namespace
}  // namespace citytwin::series
