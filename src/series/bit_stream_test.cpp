#include "citytwin/series/bit_stream.hpp"

#include <gtest/gtest.h>

#include <random>
#include <utility>
#include <vector>

namespace citytwin::series {
namespace {

TEST(BitStream, RandomFieldsRoundTrip) {
  std::mt19937_64 rng(7);
  std::vector<std::pair<std::uint64_t, int>> fields;
  BitWriter out;
  for (int i = 0; i < 5000; ++i) {
    int bits = static_cast<int>(rng() % 65);
    std::uint64_t value = bits == 64 ? rng() : rng() & ((std::uint64_t{1} << bits) - 1);
    fields.emplace_back(value, bits);
    out.write(value, bits);
  }
  std::size_t bit_count = out.bit_count();
  std::string bytes = out.finish();
  EXPECT_EQ(bytes.size(), (bit_count + 7) / 8);
  BitReader in(bytes);
  for (auto [value, bits] : fields) ASSERT_EQ(in.read(bits), value);
  EXPECT_TRUE(in.finished_cleanly());
}

TEST(BitStream, WriteKeepsOnlyTheLowBits) {
  BitWriter out;
  out.write(0xFF, 3);
  out.write(0, 5);
  EXPECT_EQ(out.finish(), std::string("\xE0", 1));
}

TEST(BitStream, ReadingPastTheEndIsStickyNotUndefined) {
  BitReader in(std::string_view("\xAB", 1));
  EXPECT_EQ(in.read(4), 0xAu);
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.read(8), 0u);
  EXPECT_FALSE(in.ok());
  EXPECT_EQ(in.read(1), 0u);
  EXPECT_FALSE(in.ok());
  EXPECT_FALSE(in.finished_cleanly());
}

TEST(BitStream, FinishedCleanlyRejectsTrailingDataAndDirtyPadding) {
  BitReader whole_byte_left(std::string_view("\x80\x00", 2));
  whole_byte_left.read(1);
  EXPECT_FALSE(whole_byte_left.finished_cleanly());
  BitReader dirty(std::string_view("\x81", 1));
  dirty.read(1);
  EXPECT_FALSE(dirty.finished_cleanly());
  BitReader clean(std::string_view("\x80", 1));
  clean.read(1);
  EXPECT_TRUE(clean.finished_cleanly());
}

}  // namespace
}  // namespace citytwin::series
