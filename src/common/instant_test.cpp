#include "citytwin/common/instant.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "citytwin/common/date_time_buffer.hpp"

namespace citytwin {
namespace {

TEST(Instant, ParsesUtcDateTimeWithFraction) {
  auto instant = parse_date_time("2026-11-22T10:15:30.123Z");
  ASSERT_TRUE(instant);
  EXPECT_EQ(format_date_time(*instant), "2026-11-22T10:15:30.123Z");
}

TEST(Instant, AppliesZoneOffset) {
  auto local = parse_date_time("2026-11-22T12:15:30+02:00");
  auto utc = parse_date_time("2026-11-22T10:15:30Z");
  ASSERT_TRUE(local && utc);
  EXPECT_EQ(*local, *utc);
}

TEST(Instant, KeepsMicroseconds) {
  auto instant = parse_date_time("1970-01-01T00:00:00.000001Z");
  ASSERT_TRUE(instant);
  EXPECT_EQ(instant->micros, 1);
  EXPECT_EQ(format_date_time(*instant), "1970-01-01T00:00:00.000001Z");
}

TEST(Instant, FormatsBeforeEpoch) {
  EXPECT_EQ(format_date_time(Instant{-1000}), "1969-12-31T23:59:59.999Z");
}

TEST(Instant, RejectsMalformed) {
  EXPECT_FALSE(parse_date_time("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_date_time("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_date_time("2026-11-22"));
  EXPECT_FALSE(parse_date_time("2026-11-22T25:00:00Z"));
  EXPECT_FALSE(parse_date_time("2026-11-22T10:00:00Zjunk"));
  EXPECT_FALSE(parse_date_time(""));
}

TEST(Instant, ParsesDateAndTime) {
  EXPECT_EQ(parse_date("1970-01-02")->micros, 86400LL * 1000000);
  EXPECT_EQ(*parse_time_of_day("01:00:00Z"), 3600LL * 1000000);
  EXPECT_FALSE(parse_date("1970-1-2"));
}

}  // namespace
// The hand-written formatter agrees with a printf-based one (the former implementation) on
// instants across and beyond ISO 8601's four-digit years.
TEST(Instant, FormattingMatchesAPrintfReference) {
  auto reference = [](std::int64_t micros) {
    using namespace std::chrono;
    constexpr std::int64_t kDay = 86400LL * 1000000LL;
    std::int64_t days = micros / kDay;
    std::int64_t rest = micros % kDay;
    if (rest < 0) {
      rest += kDay;
      --days;
    }
    year_month_day ymd{sys_days{std::chrono::days{days}}};
    std::int64_t seconds = rest / 1000000;
    std::int64_t fraction = rest % 1000000;
    char buffer[64];
    int length = std::snprintf(
        buffer, sizeof buffer, "%04d-%02u-%02uT%02lld:%02lld:%02lld", static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
        static_cast<long long>(seconds / 3600), static_cast<long long>(seconds / 60 % 60),
        static_cast<long long>(seconds % 60));
    length += fraction % 1000 == 0
                  ? std::snprintf(buffer + length, sizeof buffer - length, ".%03lldZ",
                                  static_cast<long long>(fraction / 1000))
                  : std::snprintf(buffer + length, sizeof buffer - length, ".%06lldZ",
                                  static_cast<long long>(fraction));
    return std::string(buffer, length);
  };
  std::mt19937_64 random(5);
  for (int i = 0; i < 200'000; ++i) {
    // Years about -30000 to +30000, and every granularity of fraction.
    std::int64_t micros = static_cast<std::int64_t>(random() % 1'900'000'000'000'000'000ULL) -
                          950'000'000'000'000'000LL;
    if (i % 3 == 0) micros -= micros % 1000;
    if (i % 7 == 0) micros -= micros % 1'000'000;
    ASSERT_EQ(format_date_time(Instant{micros}), reference(micros)) << micros;
  }
}

// The formatter that rewrites only the fraction within one second gives format_date_time's
// text for runs of close instants and for jumps, across seconds, days, years, 1970 and the
// years that are not four digits long.
// Steps of seconds to hours (a day's period bounds), across midnights, before 1970 and at the
// ends of the four-digit years.
TEST(DateTimeFormatter, GivesFormatDateTimesTextForStepsWithinADay) {
  DateTimeFormatter formatter;
  std::mt19937_64 random(12);
  const std::int64_t starts[] = {0, -86'400'000'000 * 3 - 7, 1'767'225'600'000'000,
                                 -62'167'219'200'000'000 + 3'600'000'000,
                                 253'402'300'799'999'995 - 86'400'000'000 * 2};
  for (std::int64_t start : starts) {
    std::int64_t micros = start;
    for (int i = 0; i < 5000; ++i) {
      ASSERT_EQ(std::string(formatter.format(Instant{micros})), format_date_time(Instant{micros}))
          << micros;
      std::int64_t step = static_cast<std::int64_t>(random() % 7'200) * 1'000'000;
      if (i % 3 == 0) step += static_cast<std::int64_t>(random() % 1'000'000);
      micros += i % 50 == 49 ? -step : step;
    }
  }
}

TEST(DateTimeFormatter, GivesFormatDateTimesText) {
  DateTimeFormatter formatter;
  std::mt19937_64 random(11);
  const std::int64_t starts[] = {0,
                                 -1,
                                 -1'000'000,
                                 1'780'000'000'000'000,
                                 1'780'000'000'999'990,
                                 -62'167'219'200'000'000 - 5,
                                 253'402'300'799'999'995,
                                 -950'000'000'000'000'000,
                                 950'000'000'000'000'000};
  for (std::int64_t start : starts) {
    std::int64_t micros = start;
    for (int i = 0; i < 5000; ++i) {
      ASSERT_EQ(std::string(formatter.format(Instant{micros})), format_date_time(Instant{micros}))
          << micros;
      micros += i % 100 == 99 ? static_cast<std::int64_t>(random() % 3'000'000) : 1;
      if (i % 1000 == 999) micros -= micros % 1000;
    }
  }
}

}  // namespace citytwin
