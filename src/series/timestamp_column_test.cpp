#include "citytwin/series/timestamp_column.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>

namespace citytwin::series {
namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMinute = 60'000'000;
constexpr std::int64_t k2026 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z

void expect_round_trip(const std::vector<std::int64_t>& times) {
  std::string bytes = encode_timestamps(times);
  auto decoded = decode_timestamps(bytes, times.size());
  ASSERT_TRUE(decoded.ok()) << decoded.error().detail;
  EXPECT_EQ(*decoded, times);
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
