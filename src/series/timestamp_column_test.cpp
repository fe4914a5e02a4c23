#include "citytwin/series/timestamp_column.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>

namespace citytwin::series {
namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMinute = 60'000'000;
constexpr std::int64_t k2026 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z

// Round trips, and whether the decoder says the times ascend: never when they do not.
bool round_trip_ascending(const std::vector<std::int64_t>& times) {
  std::string bytes = encode_timestamps(times);
  std::vector<std::int64_t> decoded = {1, 2, 3};
  bool ascending = false;
  Status status = decode_timestamps(bytes, times.size(), decoded, &ascending);
  EXPECT_TRUE(status.ok()) << status.error().detail;
  EXPECT_EQ(decoded, times);
  if (ascending) {
    EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
  }
  return ascending;
}

void expect_round_trip(const std::vector<std::int64_t>& times) {
  std::string bytes = encode_timestamps(times);
  auto decoded = decode_timestamps(bytes, times.size());
  ASSERT_TRUE(decoded.ok()) << decoded.error().detail;
  EXPECT_EQ(*decoded, times);
  round_trip_ascending(times);
}

TEST(TimestampColumn, EmptyAndSingle) {
  expect_round_trip({});
  expect_round_trip({k2026});
  expect_round_trip({kMin});
  EXPECT_TRUE(encode_timestamps({}).empty());
}

// Runs of unchanged deltas are decoded a word at a time (BitReader::skip_zeros): runs of every
// length around the 56-bit window, ending anywhere, including in the last 8 bytes of the
// column where the word-wide read is not possible; and a truncated column still fails.
TEST(TimestampColumn, RunsOfRegularDeltasOfEveryLength) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 300; ++round) {
    std::vector<std::int64_t> times = {k2026};
    std::int64_t step = kMinute;
    while (times.size() < static_cast<std::size_t>(round + 2)) {
      std::size_t run = rng() % 130;
      for (std::size_t k = 0; k < run; ++k) times.push_back(times.back() + step);
      step += static_cast<std::int64_t>(rng() % 3) * 1000 - 1000;
      times.push_back(times.back() + step);
    }
    expect_round_trip(times);
    std::string bytes = encode_timestamps(times);
    EXPECT_FALSE(decode_timestamps(bytes.substr(0, bytes.size() - 1), times.size()).ok());
  }
}

TEST(TimestampColumn, RegularSeriesCostsOneBitPerSample) {
  std::vector<std::int64_t> times;
  for (int i = 0; i < 1000; ++i) times.push_back(k2026 + i * kMinute);
  expect_round_trip(times);
  // 64 bits raw, the first delta in a wide bucket, then one bit each.
  EXPECT_LE(encode_timestamps(times).size(), (8 + 64 + 37 + 998 + 7) / 8);
}

TEST(TimestampColumn, JitterOutOfOrderAndDuplicates) {
  std::mt19937_64 rng(3);
  std::vector<std::int64_t> times;
  for (int i = 0; i < 2000; ++i) {
    std::int64_t jitter = static_cast<std::int64_t>(rng() % 2'000'000) - 1'000'000;
    times.push_back(k2026 + i * kMinute + jitter);
  }
  std::shuffle(times.begin() + 100, times.begin() + 300, rng);  // late data
  times.insert(times.begin() + 50, times[50]);                  // duplicate
  expect_round_trip(times);
}

TEST(TimestampColumn, ExtremeValuesAndHugeDeltas) {
  expect_round_trip({kMin, kMax, kMin, 0, kMax, kMax, -1, 1, kMin + 1, kMax - 1});
  std::mt19937_64 rng(11);
  std::vector<std::int64_t> times;
  for (int i = 0; i < 3000; ++i) times.push_back(static_cast<std::int64_t>(rng()));
  expect_round_trip(times);
}

// Times that never decrease are known as such from their deltas, scaled or not, up to the
// largest time; a descent anywhere, or a step past the largest time, is not ascending.
TEST(TimestampColumn, AscendingIsKnownFromTheDeltas) {
  std::mt19937_64 rng(5);
  for (std::int64_t unit : {std::int64_t{1}, std::int64_t{1000}, std::int64_t{1'000'000}}) {
    std::vector<std::int64_t> times;
    for (int i = 0; i < 1500; ++i) {
      times.push_back(k2026 +
                      (i * kMinute + static_cast<std::int64_t>(rng() % 2000)) / unit * unit);
    }
    std::sort(times.begin(), times.end());
    times.insert(times.begin() + 700, times[700]);  // equal times still ascend
    EXPECT_TRUE(round_trip_ascending(times)) << unit;
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<std::int64_t> fallen = times;
      const std::size_t at = 1 + rng() % (fallen.size() - 1);
      fallen[at] = fallen[at - 1] - unit;
      EXPECT_FALSE(round_trip_ascending(fallen)) << unit << " " << at;
    }
  }
  EXPECT_TRUE(round_trip_ascending({}));
  EXPECT_TRUE(round_trip_ascending({kMin}));
  EXPECT_TRUE(round_trip_ascending({kMax - 10, kMax - 5, kMax, kMax}));
  EXPECT_TRUE(round_trip_ascending({-5, -5, 0, 3}));
  EXPECT_FALSE(round_trip_ascending({kMax - 1, kMax, kMin}));  // +1 wraps
  EXPECT_FALSE(round_trip_ascending({0, kMax, kMin, 0}));
  EXPECT_FALSE(round_trip_ascending({3, 2}));
}

TEST(TimestampColumn, EveryBucketBoundary) {
  std::vector<std::int64_t> times = {0, 0};
  std::uint64_t delta = 0;  // wraps, as the codec's own arithmetic does
  for (int shift = 0; shift < 63; ++shift) {
    for (std::int64_t dod :
         {(std::int64_t{1} << shift) - 1, std::int64_t{1} << shift, -(std::int64_t{1} << shift)}) {
      delta += static_cast<std::uint64_t>(dod);
      times.push_back(static_cast<std::int64_t>(static_cast<std::uint64_t>(times.back()) + delta));
    }
  }
  expect_round_trip(times);
}

TEST(TimestampColumn, TruncatedOrPaddedInputIsAnError) {
  std::vector<std::int64_t> times = {k2026, k2026 + 5, k2026 + 1'000'000'000, k2026 - 7};
  std::string bytes = encode_timestamps(times);
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(decode_timestamps(bytes.substr(0, size), times.size()).ok()) << size;
  }
  EXPECT_FALSE(decode_timestamps(bytes + '\0', times.size()).ok());
  // A few more zero bits may hide in the padding; more samples than bits cannot.
  EXPECT_FALSE(decode_timestamps(bytes, times.size() + 8).ok());
  EXPECT_FALSE(decode_timestamps(bytes, 1'000'000'000).ok());
}

}  // namespace
}  // namespace citytwin::series

namespace citytwin::series {
namespace {

TEST(TimestampColumn, WholeMillisecondsAndSecondsAreScaled) {
  std::vector<std::int64_t> millis = {-5'000, 3'000, -1'000'000'000, 7'000, 7'000};
  expect_round_trip(millis);
  EXPECT_EQ(encode_timestamps(millis)[0], 1);
  std::vector<std::int64_t> seconds = {-2'000'000, 60'000'000, 120'000'000};
  expect_round_trip(seconds);
  EXPECT_EQ(encode_timestamps(seconds)[0], 2);
  std::string bad = encode_timestamps(seconds);
  bad[0] = 3;
  EXPECT_FALSE(decode_timestamps(bad, seconds.size()).ok());
}

}  // namespace
}  // namespace citytwin::series
