#include "citytwin/series/period_duration.hpp"

#include "citytwin/common/instant.hpp"

#include <gtest/gtest.h>

namespace citytwin::series {
namespace {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kDay = 86'400 * kSecond;

PeriodDuration parse(std::string_view text) {
  auto result = parse_period_duration(text);
  EXPECT_TRUE(result.ok()) << text;
  return result.ok() ? *result : PeriodDuration{-1, -1};
}

TEST(PeriodDuration, AcceptsTheSpecificationForms) {
  EXPECT_EQ(parse("PT1H"), (PeriodDuration{0, 3600 * kSecond}));
  EXPECT_EQ(parse("P1D"), (PeriodDuration{0, kDay}));
  EXPECT_EQ(parse("P1M"), (PeriodDuration{1, 0}));
  EXPECT_EQ(parse("PT1M"), (PeriodDuration{0, 60 * kSecond}));
  EXPECT_EQ(parse("P1Y"), (PeriodDuration{12, 0}));
  EXPECT_EQ(parse("P2W"), (PeriodDuration{0, 14 * kDay}));
  EXPECT_EQ(parse("P3Y6M4DT12H30M5S"),
            (PeriodDuration{42, 4 * kDay + (12 * 3600 + 30 * 60 + 5) * kSecond}));
  EXPECT_EQ(parse("PT0.5S"), (PeriodDuration{0, kSecond / 2}));
  EXPECT_EQ(parse("PT1,000001S"), (PeriodDuration{0, kSecond + 1}));
  EXPECT_EQ(parse("PT36H"), (PeriodDuration{0, 36 * 3600 * kSecond}));
  EXPECT_EQ(parse("P0010M"), (PeriodDuration{10, 0}));
  EXPECT_TRUE(parse("PT0S").is_zero());
  EXPECT_TRUE(parse("P0D").is_zero());
}

TEST(PeriodDuration, RejectsMalformedInput) {
  for (std::string_view bad : {"",
                               "P",
                               "PT",
                               "1D",
                               "p1d",
                               "P1",
                               "PT1",
                               "P1H",
                               "PT1D",
                               "P1DT",
                               "P1S",
                               "P1D1M",
                               "P1M1Y",
                               "PT1S1M",
                               "P1D1D",
                               "P1W1D",
                               "P1Y1W",
                               "P-1D",
                               "P+1D",
                               "P1.5D",
                               "PT1.5M",
                               "PT.5S",
                               "PT1.S",
                               "PT1.1234567S",
                               "P1DTT1H",
                               "P1Dx",
                               " P1D",
                               "P1D ",
                               "P0001-02-03T04:05:06",
                               "P99999999999999999999D",
                               "P106751992D"}) {
    auto result = parse_period_duration(bad);
    EXPECT_FALSE(result.ok()) << bad;
    if (!result.ok()) {
      EXPECT_EQ(result.error().kind, ErrorKind::kBadRequestData);
    }
  }
}

TEST(PeriodDuration, MovesBackByCalendarMonthsThenFixedTime) {
  auto at = [](const char* text) { return parse_date_time(text)->micros; };
  auto back = [](std::int64_t time, const char* period) {
    return before_by(time, *parse_period_duration(period));
  };
  EXPECT_EQ(back(at("2026-03-31T10:00:00Z"), "P1M"), at("2026-02-28T10:00:00Z"));
  EXPECT_EQ(back(at("2024-02-29T00:00:00Z"), "P1Y"), at("2023-02-28T00:00:00Z"));
  EXPECT_EQ(back(at("2026-01-15T00:00:00Z"), "P2Y1MT1H"), at("2023-12-14T23:00:00Z"));
  EXPECT_EQ(back(at("2026-01-01T00:00:00Z"), "P730D"), at("2024-01-02T00:00:00Z"));
  EXPECT_FALSE(back(at("2026-01-01T00:00:00Z"), "P40000Y").has_value());
}

}  // namespace
}  // namespace citytwin::series
