#include <gtest/gtest.h>

#include <random>

#include "citytwin/series/byte_io.hpp"
#include "citytwin/series/chunk.hpp"
#include "citytwin/series/crc32c.hpp"

namespace citytwin::series {
namespace {

std::string sample_chunk() {
  ChunkBuilder builder;
  for (int i = 0; i < 200; ++i) {
    std::int64_t time = 1'700'000'000'000'000 + std::int64_t{i} * 60'000'000 + (i % 3) * 1000;
    if (i % 10 == 3) {
      builder.add(Sample::of_string(time, "state" + std::to_string(i % 4)));
    } else if (i % 10 == 7) {
      builder.add(Sample::of_null(time));
    } else {
      Sample sample = Sample::of_number(time, 20 + i % 13 * 0.1);
      if (i % 2) sample.time2 = time + 2000;
      builder.add(sample);
    }
  }
  builder.add(Sample::of_bool(1'700'000'000'000'000, true));
  return *builder.finish();
}

// All numbers, two decimals, with steps and outliers: the decimal column (format v2) with
// packed blocks and exceptions.
std::string decimal_chunk() {
  ChunkBuilder builder;
  std::mt19937_64 rng(77);
  for (int i = 0; i < 300; ++i) {
    std::int64_t time = 1'700'000'000'000'000 + std::int64_t{i} * 60'000'000;
    double value = static_cast<double>(2000 + static_cast<int>(rng() % 200) + (i / 90) * 400) / 100;
    if (i % 53 == 7) value = -1234567.89;
    Sample sample = Sample::of_number(time, value);
    sample.time2 = time - 5000;
    builder.add(sample);
  }
  std::string chunk = *builder.finish();
  EXPECT_TRUE(peek_chunk_header(chunk)->flags & ChunkHeader::kDecimalNumbers);
  return chunk;
}

std::vector<std::string> sample_chunks() {
  return {sample_chunk(), decimal_chunk()};
}

// Replaces the trailer so the checksum matches: reaches the decoder's own checks.
std::string reseal(std::string chunk) {
  chunk.resize(chunk.size() - 4);
  append_u32(chunk, crc32c(chunk));
  return chunk;
}

TEST(Crc32c, KnownVector) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c_portable("123456789"), 0xE3069283u);
  // The instruction and the table agree at every length and alignment.
  std::string bytes;
  for (int i = 0; i < 300; ++i) bytes.push_back(static_cast<char>(i * 37 + 11));
  for (std::size_t start = 0; start < 9; ++start) {
    for (std::size_t length = 0; start + length <= bytes.size(); length += 7) {
      std::string_view part = std::string_view(bytes).substr(start, length);
      ASSERT_EQ(crc32c(part), crc32c_portable(part)) << start << " " << length;
    }
  }
}

TEST(ChunkCorruption, EveryBitFlipIsDetected) {
  for (const std::string& chunk : sample_chunks()) {
    ASSERT_TRUE(ChunkReader::open(chunk).ok());
    for (std::size_t bit = 0; bit < chunk.size() * 8; ++bit) {
      std::string damaged = chunk;
      damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
      EXPECT_FALSE(ChunkReader::open(damaged).ok()) << "bit " << bit;
    }
  }
}

void check_truncations(const std::string& chunk) {
  for (std::size_t size = 0; size < chunk.size(); ++size) {
    EXPECT_FALSE(ChunkReader::open(chunk.substr(0, size)).ok()) << size;
    // Truncated body with a valid checksum (a torn write that kept its trailer's shape).
    if (size + 4 < chunk.size()) {
      std::string torn = reseal(chunk.substr(0, size) + std::string(4, '\0'));
      EXPECT_FALSE(ChunkReader::open(torn).ok()) << size;
    }
  }
  EXPECT_FALSE(ChunkReader::open(chunk + "x").ok());
}

TEST(ChunkCorruption, EveryTruncationIsDetected) {
  for (const std::string& chunk : sample_chunks()) check_truncations(chunk);
}

TEST(ChunkCorruption, HeaderChecksWithValidChecksum) {
  std::string chunk = sample_chunk();
  auto with = [&](std::size_t offset, char value) {
    std::string damaged = chunk;
    damaged[offset] = value;
    return ChunkReader::open(reseal(damaged)).ok();
  };
  EXPECT_FALSE(with(0, 3));     // version
  EXPECT_FALSE(with(1, 0x08));  // unknown flag
  EXPECT_FALSE(with(1, 0x02));  // partial second timestamps without the column
  EXPECT_FALSE(with(2, 0x20));  // unknown kind
  EXPECT_FALSE(with(6, 0x7F));  // sample count
  EXPECT_FALSE(with(7, 0x01));  // min time disagrees with the column

  std::string decimal = decimal_chunk();
  auto decimal_with = [&](std::size_t offset, char value) {
    std::string damaged = decimal;
    damaged[offset] = value;
    return ChunkReader::open(reseal(damaged)).ok();
  };
  EXPECT_FALSE(decimal_with(0, 1));                       // version 1 has no decimal column
  EXPECT_FALSE(decimal_with(1, ChunkHeader::kHasTime2));  // decimal bytes read as XOR
  EXPECT_FALSE(decimal_with(2, 0x02));                    // decimal flag without numbers
}

// Random damage, with and without a matching checksum: the reader must return (an error
// or, when the checksum was recomputed, possibly a chunk whose values changed) without
// crashing; the sanitizer build checks for undefined behaviour.
void check_random_mutations(const std::string& chunk) {
  std::mt19937_64 rng(1234);
  int accepted_unsealed = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string damaged = chunk;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t at = rng() % damaged.size();
      switch (rng() % 3) {
        case 0:
          damaged[at] = static_cast<char>(rng());
          break;
        case 1:
          damaged.erase(at, 1 + rng() % 8);
          break;
        default:
          damaged.insert(at, 1 + rng() % 4, static_cast<char>(rng()));
      }
      if (damaged.empty()) break;
    }
    if (damaged == chunk) continue;  // an edit that wrote the byte already there
    bool sealed = damaged.size() >= 4 && round % 2 == 0;
    if (sealed) damaged = reseal(damaged);
    auto reader = ChunkReader::open(damaged);
    if (reader.ok()) {
      if (!sealed) ++accepted_unsealed;
      for (std::size_t i = 0; i < reader->size(); ++i) (void)reader->sample(i);
    }
  }
  EXPECT_EQ(accepted_unsealed, 0);
}

TEST(ChunkCorruption, RandomMutationsNeverCrash) {
  for (const std::string& chunk : sample_chunks()) check_random_mutations(chunk);
}

}  // namespace
}  // namespace citytwin::series
