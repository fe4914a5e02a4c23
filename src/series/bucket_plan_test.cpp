#include "citytwin/series/bucket_plan.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <optional>

#include "citytwin/common/instant.hpp"

namespace citytwin::series {
namespace {

std::int64_t at(std::string_view text) {
  std::optional<Instant> instant = parse_date_time(text);
  EXPECT_TRUE(instant.has_value()) << text;
  return instant ? instant->micros : 0;
}

BucketPlan plan(std::string_view from, std::string_view to, std::string_view period) {
  auto duration = parse_period_duration(period);
  EXPECT_TRUE(duration.ok());
  auto result = BucketPlan::create(at(from), at(to), *duration, 100000);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().detail);
  return std::move(result).value();
}

TEST(BucketPlan, FixedPeriodsStartAtFromAndCutTheLastOne) {
  BucketPlan hours = plan("2026-01-01T00:30:00Z", "2026-01-01T03:00:00Z", "PT1H");
  ASSERT_EQ(hours.size(), 3u);
  EXPECT_EQ(hours.start(1), at("2026-01-01T01:30:00Z"));
  EXPECT_EQ(hours.end(2), at("2026-01-01T03:00:00Z"));
  EXPECT_EQ(hours.index_of(at("2026-01-01T00:30:00Z")), 0u);
  EXPECT_EQ(hours.index_of(at("2026-01-01T01:29:59.999999Z")), 0u);
  EXPECT_EQ(hours.index_of(at("2026-01-01T01:30:00Z")), 1u);
  EXPECT_EQ(hours.index_of(at("2026-01-01T03:00:00Z")), BucketPlan::kNone);
  EXPECT_EQ(hours.index_of(at("2026-01-01T00:29:59Z")), BucketPlan::kNone);
}

TEST(BucketPlan, ZeroPeriodIsTheWholeRange) {
  BucketPlan whole = plan("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "PT0S");
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole.end(0), at("2027-01-01T00:00:00Z"));
  EXPECT_EQ(whole.index_of(at("2026-07-01T00:00:00Z")), 0u);
}

TEST(BucketPlan, MonthsFollowTheCalendarAndClampToMonthEnd) {
  BucketPlan months = plan("2024-01-31T12:00:00Z", "2024-06-01T00:00:00Z", "P1M");
  ASSERT_EQ(months.size(), 5u);
  EXPECT_EQ(months.start(1), at("2024-02-29T12:00:00Z"));  // leap year
  EXPECT_EQ(months.start(2), at("2024-03-31T12:00:00Z"));  // no drift from the clamp
  EXPECT_EQ(months.start(3), at("2024-04-30T12:00:00Z"));
  EXPECT_EQ(months.start(4), at("2024-05-31T12:00:00Z"));
  EXPECT_EQ(months.end(4), at("2024-06-01T00:00:00Z"));
  EXPECT_EQ(months.index_of(at("2024-02-29T11:59:59Z")), 0u);
  EXPECT_EQ(months.index_of(at("2024-03-01T00:00:00Z")), 1u);

  BucketPlan plain = plan("2023-01-31T00:00:00Z", "2023-04-01T00:00:00Z", "P1M");
  EXPECT_EQ(plain.start(1), at("2023-02-28T00:00:00Z"));
}

TEST(BucketPlan, YearsFromALeapDay) {
  BucketPlan years = plan("2024-02-29T00:00:00Z", "2029-01-01T00:00:00Z", "P1Y");
  ASSERT_EQ(years.size(), 5u);
  EXPECT_EQ(years.start(1), at("2025-02-28T00:00:00Z"));
  EXPECT_EQ(years.start(4), at("2028-02-29T00:00:00Z"));
}

TEST(BucketPlan, MixedCalendarAndFixedParts) {
  BucketPlan mixed = plan("2026-01-31T00:00:00Z", "2026-04-01T00:00:00Z", "P1M1D");
  EXPECT_EQ(mixed.start(1), at("2026-03-01T00:00:00Z"));  // Feb 28 + 1 day
  EXPECT_EQ(mixed.size(), 2u);                            // the third would start on April 2nd
}

TEST(BucketPlan, BeforeTheEpoch) {
  BucketPlan months = plan("1969-11-15T00:00:00Z", "1970-03-01T00:00:00Z", "P1M");
  ASSERT_EQ(months.size(), 4u);
  EXPECT_EQ(months.start(2), at("1970-01-15T00:00:00Z"));
}

TEST(BucketPlan, Errors) {
  EXPECT_FALSE(BucketPlan::create(10, 5, PeriodDuration{0, 1}, 10).ok());
  auto too_many = BucketPlan::create(0, 1'000'000, PeriodDuration{0, 1}, 1000);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().kind, ErrorKind::kTooManyResults);
  EXPECT_FALSE(BucketPlan::create(0, 1'000'000'000'000'000, PeriodDuration{1, 0}, 10).ok());
  auto empty = BucketPlan::create(5, 5, PeriodDuration{0, 1}, 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), 0u);
  EXPECT_EQ(empty->index_of(5), BucketPlan::kNone);
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  auto huge = BucketPlan::create(kMin, kMax, PeriodDuration{}, 10);
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(huge->index_of(0), 0u);
  EXPECT_FALSE(BucketPlan::create(kMin, kMax, PeriodDuration{1, 0}, 10).ok());
}

}  // namespace
}  // namespace citytwin::series
