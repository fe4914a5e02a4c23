#include "citytwin/series/chunk_merge.hpp"

#include <gtest/gtest.h>

#include "citytwin/series/chunk.hpp"
#include "series_test_util.hpp"

namespace citytwin::series {
namespace {

std::vector<Sample> read_all(const std::vector<std::string>& chunks) {
  std::vector<Sample> out;
  for (const std::string& chunk : chunks) {
    auto reader = ChunkReader::open(chunk);
    EXPECT_TRUE(reader.ok());
    if (!reader.ok()) continue;
    for (const Sample& sample : reader->columns().samples()) out.push_back(sample);
  }
  return out;
}

TEST(ChunkMerge, BuildChunksCutsAtTheLimit) {
  std::vector<Sample> samples;
  for (int i = 2500; i-- > 0;) samples.push_back(Sample::of_number(i * 1000, i));
  auto chunks = build_chunks(samples, 1024);
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ(chunks->size(), 3u);
  EXPECT_EQ(peek_chunk_header((*chunks)[0])->count, 1024u);
  EXPECT_EQ(peek_chunk_header((*chunks)[2])->count, 452u);
  EXPECT_EQ(peek_chunk_header((*chunks)[1])->min_time, 1024 * 1000);
  std::vector<Sample> all = read_all(*chunks);
  ASSERT_EQ(all.size(), 2500u);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].number, static_cast<double>(i));
  EXPECT_TRUE(build_chunks({}, 1024)->empty());
  EXPECT_FALSE(build_chunks(samples, 0).ok());
}

TEST(ChunkMerge, LateDataLandsInOrderAfterEqualExistingSamples) {
  auto existing = build_chunks(
      {Sample::of_number(10, 1), Sample::of_number(30, 3), Sample::of_string(50, "x")});
  auto late =
      build_chunks({Sample::of_number(40, 4), Sample::of_number(30, 33), Sample::of_number(5, 0)});
  ASSERT_TRUE(existing.ok() && late.ok());
  auto merged = merge_chunks(existing->front(), late->front());
  ASSERT_TRUE(merged.ok());
  ASSERT_EQ(merged->size(), 1u);
  std::vector<Sample> expected = {Sample::of_number(5, 0),  Sample::of_number(10, 1),
                                  Sample::of_number(30, 3), Sample::of_number(30, 33),
                                  Sample::of_number(40, 4), Sample::of_string(50, "x")};
  EXPECT_TRUE(same_samples(read_all(*merged), expected));
}

TEST(ChunkMerge, MergeSplitsOversizedResult) {
  std::vector<Sample> a, b;
  for (int i = 0; i < 1000; ++i) a.push_back(Sample::of_number(i * 2, i));
  for (int i = 0; i < 1000; ++i) b.push_back(Sample::of_number(i * 2 + 1, i));
  auto merged = merge_chunks(build_chunks(a)->front(), build_chunks(b)->front(), 1024);
  ASSERT_TRUE(merged.ok());
  ASSERT_EQ(merged->size(), 2u);
  std::vector<Sample> all = read_all(*merged);
  ASSERT_EQ(all.size(), 2000u);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].time, static_cast<std::int64_t>(i));
  auto split = split_chunk((*merged)[0], 100);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->size(), 11u);
}

TEST(ChunkMerge, CorruptInputIsAnError) {
  std::string chunk = build_chunks({Sample::of_number(1, 1)})->front();
  chunk[10] ^= 1;
  EXPECT_FALSE(merge_chunks(chunk, chunk).ok());
  EXPECT_FALSE(split_chunk(chunk).ok());
}

}  // namespace
}  // namespace citytwin::series
