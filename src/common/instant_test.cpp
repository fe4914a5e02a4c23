#include "citytwin/common/instant.hpp"

#include <gtest/gtest.h>

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
}  // namespace citytwin
