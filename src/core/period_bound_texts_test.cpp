#include "period_bound_texts.hpp"

#include <gtest/gtest.h>

#include <string>

#include "citytwin/common/instant.hpp"

namespace citytwin::core {
namespace {

constexpr std::int64_t kHour = 3'600'000'000;
constexpr std::int64_t kStart = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z

std::string formatted(std::int64_t micros) {
  return format_date_time(Instant{micros});
}

// Entities aggregated one after another with their periods laid alike share the texts; a
// bound at another instant (periods laid otherwise) is written for its own instant.
TEST(PeriodBoundTexts, BoundsAreTheirInstantsWhateverWasAskedBefore) {
  PeriodBoundTexts bounds;
  for (int entity = 0; entity < 3; ++entity) {
    bounds.begin(24);
    for (std::size_t i = 0; i <= 24; ++i) {
      const std::int64_t micros = kStart + static_cast<std::int64_t>(i) * kHour;
      EXPECT_EQ(bounds.text(i, micros), formatted(micros)) << entity << " " << i;
    }
  }
  bounds.begin(2);
  EXPECT_EQ(bounds.text(0, kStart + 30 * 60'000'000), "2026-01-01T00:30:00.000Z");
  EXPECT_EQ(bounds.text(1, kStart + 1), formatted(kStart + 1));
  EXPECT_EQ(bounds.text(7, kStart + 7 * kHour), formatted(kStart + 7 * kHour));
  // Past the bounds begin() was told of.
  EXPECT_EQ(bounds.text(100, kStart - kHour), "2025-12-31T23:00:00.000Z");
}

// Many answers with periods laid each its own way: begin() drops the texts of earlier
// layouts once they outgrow their room, and every bound is still right after.
TEST(PeriodBoundTexts, ManyLayoutsOneAfterAnotherAreEachRight) {
  PeriodBoundTexts bounds;
  for (int shift = 0; shift < 2000; ++shift) {
    bounds.begin(4);
    for (std::size_t i = 0; i <= 4; ++i) {
      const std::int64_t micros = kStart + shift * 1000 + static_cast<std::int64_t>(i) * kHour;
      ASSERT_EQ(bounds.text(i, micros), formatted(micros));
    }
  }
}

}  // namespace
}  // namespace citytwin::core
