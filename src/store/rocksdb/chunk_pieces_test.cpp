#include "chunk_pieces.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace citytwin::store::kv {
namespace {

using Instants = std::vector<std::optional<std::int64_t>>;
using Ends = std::vector<std::size_t>;

constexpr std::int64_t kMinute = 60'000'000;
constexpr std::int64_t kDay = 1440 * kMinute;
constexpr std::int64_t kJan1 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z

Instants every(std::int64_t start, std::int64_t step, std::size_t count) {
  Instants out;
  for (std::size_t i = 0; i < count; ++i)
    out.push_back(start + step * static_cast<std::int64_t>(i));
  return out;
}

TEST(ChunkPieces, DaysTooLargeForAChunkAreCutEvenlyEachOnItsOwn) {
  // A minute series from midnight: 1,440 samples a day, 3,000 in all.
  EXPECT_EQ(chunk_piece_ends(every(kJan1, kMinute, 3000), 1024),
            (Ends{720, 1440, 2160, 2880, 3000}));
  // Starting at 12:00: the first day's 720 fit one chunk.
  EXPECT_EQ(chunk_piece_ends(every(kJan1 + kDay / 2, kMinute, 2160), 1024),
            (Ends{720, 1440, 2160}));
  // With room for 2,048: the second day and the 120 samples of the third share one.
  EXPECT_EQ(chunk_piece_ends(every(kJan1, kMinute, 3000), 2048), (Ends{1440, 3000}));
}

TEST(ChunkPieces, WholeDaysShareAChunkWhileTheyFit) {
  // Every 15 minutes: 96 a day, so 10 days (960) to a chunk of at most 1,024.
  EXPECT_EQ(chunk_piece_ends(every(kJan1, 15 * kMinute, 2000), 1024), (Ends{960, 1920, 2000}));
  // One a day: as many days as fit.
  EXPECT_EQ(chunk_piece_ends(every(kJan1, kDay, 10), 4), (Ends{4, 8, 10}));
}

TEST(ChunkPieces, DaysBeforeTheEpochCountToo) {
  EXPECT_EQ(chunk_piece_ends(every(-kDay / 2, kMinute, 1440), 1024), (Ends{720, 1440}));
}

TEST(ChunkPieces, WithoutADayOrderSamplesAreCutEvenly) {
  Instants missing = every(kJan1, kMinute, 3000);
  missing[5].reset();
  EXPECT_EQ(chunk_piece_ends(missing, 1024), (Ends{1000, 2000, 3000}));
  Instants backwards = every(kJan1, kMinute, 3000);
  std::swap(backwards[10], backwards[11]);
  EXPECT_EQ(chunk_piece_ends(backwards, 1024), (Ends{1000, 2000, 3000}));
  EXPECT_EQ(chunk_piece_ends({}, 1024), Ends{});
}

// Random series: the pieces cover every sample in order, none is larger than chunk_samples,
// and a day is split between pieces only when it is too large for one.
TEST(ChunkPieces, PiecesCoverEverySampleAndKeepDaysWhole) {
  std::mt19937_64 random(7);
  for (int round = 0; round < 500; ++round) {
    const std::size_t chunk_samples = 1 + random() % 64;
    Instants observed;
    std::int64_t at = kJan1 - 3 * kDay + static_cast<std::int64_t>(random() % kDay);
    const std::size_t count = random() % 400;
    for (std::size_t i = 0; i < count; ++i) {
      at += static_cast<std::int64_t>(random() % (random() % 2 ? kDay / 8 : 2 * kDay));
      observed.push_back(at);
    }
    auto ends = chunk_piece_ends(observed, chunk_samples);
    std::map<std::int64_t, std::size_t> day_sizes;
    for (const auto& instant : observed) ++day_sizes[(*instant - kJan1 + 100 * kDay) / kDay];
    auto day = [&](std::size_t i) { return (*observed[i] - kJan1 + 100 * kDay) / kDay; };
    std::size_t begin = 0;
    for (std::size_t end : ends) {
      ASSERT_GT(end, begin);
      ASSERT_LE(end - begin, chunk_samples);
      // A day split between pieces is one too large for a piece.
      if (end < observed.size() && day(end - 1) == day(end)) {
        EXPECT_GT(day_sizes[day(end)], chunk_samples);
      }
      begin = end;
    }
    EXPECT_EQ(begin, observed.size());
  }
}

}  // namespace
}  // namespace citytwin::store::kv
