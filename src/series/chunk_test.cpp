#include "citytwin/series/chunk.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "series_test_util.hpp"

namespace citytwin::series {
namespace {

constexpr std::int64_t k2026 = 1'767'225'600'000'000;
constexpr std::int64_t kMinute = 60'000'000;

std::string build(const std::vector<Sample>& samples) {
  ChunkBuilder builder;
  for (const Sample& sample : samples) builder.add(sample);
  auto bytes = builder.finish();
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : std::string();
}

std::vector<Sample> read(const std::string& bytes) {
  auto reader = ChunkReader::open(bytes);
  EXPECT_TRUE(reader.ok()) << (reader.ok() ? "" : reader.error().detail);
  return reader.ok() ? reader->columns().samples() : std::vector<Sample>{};
}

std::vector<Sample> sorted(std::vector<Sample> samples) {
  std::stable_sort(samples.begin(), samples.end(),
                   [](const Sample& a, const Sample& b) { return a.time < b.time; });
  return samples;
}

TEST(Chunk, EmptyChunk) {
  std::string bytes = build({});
  auto reader = ChunkReader::open(bytes);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader->size(), 0u);
  EXPECT_EQ(reader->header().count, 0u);
  EXPECT_EQ(reader->header().kind_mask, 0u);
}

TEST(Chunk, SingleSampleOfEachKind) {
  for (const Sample& sample : {Sample::of_number(k2026, 21.5), Sample::of_bool(k2026, true),
                               Sample::of_bool(k2026, false), Sample::of_string(k2026, "ok"),
                               Sample::of_json(k2026, R"({"a":[1,2]})"), Sample::of_null(k2026)}) {
    EXPECT_TRUE(same_samples(read(build({sample})), {sample}));
  }
}

TEST(Chunk, MixedSeriesOutOfOrderRoundTripsSorted) {
  std::mt19937_64 rng(21);
  std::vector<Sample> samples;
  for (int i = 0; i < 3000; ++i) {
    std::int64_t time = k2026 + static_cast<std::int64_t>(rng() % 1000) * kMinute;  // dups too
    switch (rng() % 6) {
      case 0:
        samples.push_back(Sample::of_number(time, std::bit_cast<double>(rng())));
        break;
      case 1:
        samples.push_back(Sample::of_bool(time, rng() % 2));
        break;
      case 2:
        samples.push_back(Sample::of_string(time, "s" + std::to_string(rng() % 40)));
        break;
      case 3:
        samples.push_back(Sample::of_json(time, "{\"n\":" + std::to_string(rng() % 40) + "}"));
        break;
      case 4:
        samples.push_back(Sample::of_null(time));
        break;
      default:
        samples.push_back(Sample::of_number(time, static_cast<double>(rng() % 100) / 10));
    }
  }
  std::string bytes = build(samples);
  EXPECT_TRUE(same_samples(read(bytes), sorted(samples)));
  auto header = peek_chunk_header(bytes);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->count, samples.size());
  EXPECT_EQ(header->kind_mask, 0b11111);
  EXPECT_EQ(header->min_time, sorted(samples).front().time);
  EXPECT_EQ(header->max_time, sorted(samples).back().time);
}

TEST(Chunk, EqualTimestampsKeepInsertionOrder) {
  std::vector<Sample> samples = {Sample::of_number(5, 1), Sample::of_number(3, 2),
                                 Sample::of_number(5, 3), Sample::of_number(3, 4)};
  std::vector<Sample> expected = {samples[1], samples[3], samples[0], samples[2]};
  EXPECT_TRUE(same_samples(read(build(samples)), expected));
}

TEST(Chunk, SecondTimestampOnAllOrSomeSamples) {
  std::vector<Sample> all;
  for (int i = 0; i < 100; ++i) {
    Sample sample = Sample::of_number(k2026 + i * kMinute, i);
    sample.time2 = k2026 + i * kMinute + 1500 + i % 7;
    all.push_back(sample);
  }
  std::string bytes = build(all);
  EXPECT_TRUE(same_samples(read(bytes), all));
  EXPECT_EQ(peek_chunk_header(bytes)->flags, ChunkHeader::kHasTime2 | ChunkHeader::kDecimalNumbers);

  std::vector<Sample> some = all;
  for (int i = 0; i < 100; i += 3) some[i].time2.reset();
  bytes = build(some);
  EXPECT_TRUE(same_samples(read(bytes), some));
  EXPECT_EQ(peek_chunk_header(bytes)->flags,
            ChunkHeader::kHasTime2 | ChunkHeader::kTime2Partial | ChunkHeader::kDecimalNumbers);
}

TEST(Chunk, ExtremeTimestamps) {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  std::vector<Sample> samples = {Sample::of_number(kMax, 1), Sample::of_number(kMin, 2),
                                 Sample::of_number(0, 3)};
  samples[0].time2 = kMin;
  samples[1].time2 = kMax;
  EXPECT_TRUE(same_samples(read(build(samples)), sorted(samples)));
}

TEST(Chunk, BooleanSeriesIsRunLengthEncoded) {
  std::vector<Sample> samples;
  for (int i = 0; i < 1000; ++i) samples.push_back(Sample::of_bool(k2026 + i * kMinute, i >= 500));
  std::string bytes = build(samples);
  EXPECT_TRUE(same_samples(read(bytes), samples));
  EXPECT_LT(bytes.size(), 200u);
}

TEST(Chunk, ColumnsAreAlignedPerSample) {
  std::vector<Sample> samples = {Sample::of_string(1, "b"), Sample::of_number(2, 4.5),
                                 Sample::of_bool(3, true), Sample::of_string(4, "a"),
                                 Sample::of_string(5, "b")};
  auto reader = ChunkReader::open(build(samples));
  ASSERT_TRUE(reader.ok());
  const ChunkColumns& columns = reader->columns();
  EXPECT_EQ(columns.times, (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(columns.numbers[1], 4.5);
  EXPECT_EQ(columns.numbers[2], 1.0);
  EXPECT_EQ(columns.dictionary, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(columns.text_indices[4], 0u);
  EXPECT_TRUE(columns.times2.empty());
}

TEST(Chunk, SensorSeriesIsSmall) {
  std::vector<Sample> samples;
  for (int i = 0; i < 1024; ++i) {
    // Slowly varying, one decimal: the value changes every few samples.
    samples.push_back(Sample::of_number(k2026 + i * kMinute, 20.0 + (i / 7 % 10) / 10.0));
  }
  std::string bytes = build(samples);
  EXPECT_TRUE(same_samples(read(bytes), samples));
  EXPECT_LT(bytes.size(), 1024u * 3);
}

// The second timestamps and decimal integers alone (read_time2_decimals) are what the whole
// decode gives, for the one chunk shape that has them; any other shape is false, a corrupt
// column an Error.
TEST(Chunk, Time2DecimalsReadAloneAsTheWholeDecodeGivesThem) {
  std::mt19937_64 rng(9);
  std::vector<Sample> samples;
  for (int i = 0; i < 700; ++i) {
    Sample sample =
        Sample::of_number(k2026 + i * kMinute, (static_cast<int>(rng() % 5000) - 2500) / 100.0);
    sample.time2 = k2026 + i * kMinute - static_cast<std::int64_t>(rng() % 90'000'000);  // unsorted
    samples.push_back(sample);
  }
  std::string bytes = build(samples);
  auto reader = ChunkReader::open(bytes);
  ASSERT_TRUE(reader.ok());
  Time2Decimals alone;
  alone.times2.assign(3000, 7);  // a buffer that held a longer chunk before
  auto read = read_time2_decimals(bytes, alone);
  ASSERT_TRUE(read.ok()) << read.error().detail;
  ASSERT_TRUE(*read);
  EXPECT_EQ(alone.times2, reader->columns().times2);
  EXPECT_EQ(alone.scaled, reader->columns().scaled);
  EXPECT_EQ(alone.decimal_exponent, reader->columns().decimal_exponent);
  EXPECT_EQ(alone.decimal_exponent, 2);

  auto shape = [&](std::vector<Sample> other) {
    Time2Decimals buffer;
    auto read = read_time2_decimals(build(other), buffer);
    EXPECT_TRUE(read.ok());
    return read.ok() && !*read;
  };
  std::vector<Sample> partly = samples;
  partly[5].time2.reset();
  EXPECT_TRUE(shape(partly));
  std::vector<Sample> without = samples;
  for (Sample& sample : without) sample.time2.reset();
  EXPECT_TRUE(shape(without));
  std::vector<Sample> irrational = samples;
  irrational[9].number = std::sqrt(2.0);
  EXPECT_TRUE(shape(irrational));
  std::vector<Sample> mixed = samples;
  mixed[3] = Sample::of_string(mixed[3].time, "x");
  mixed[3].time2 = mixed[3].time;
  EXPECT_TRUE(shape(mixed));
  EXPECT_TRUE(shape({}));

  // A flipped bit in the columns read (the checksum is the caller's) or a cut: an Error or
  // false, never a crash. Flips in the first timestamps, not read here, go unseen.
  for (std::size_t at = kChunkHeaderSize; at + 4 < bytes.size(); at += 7) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    (void)read_time2_decimals(flipped, alone);
  }
  EXPECT_FALSE(read_time2_decimals(bytes.substr(0, bytes.size() / 2), alone).ok());
}

// Two-decimal sensor values: the decimal column (flag kDecimalNumbers), its integers handed to
// the columns, and far fewer bytes than the XOR column.
TEST(Chunk, DecimalNumbersUseTheDecimalColumn) {
  std::mt19937_64 rng(4);
  std::vector<Sample> samples;
  for (int i = 0; i < 1024; ++i) {
    double value = static_cast<double>(1500 + static_cast<int>(rng() % 120)) / 100;
    samples.push_back(Sample::of_number(k2026 + i * kMinute, value));
  }
  std::string bytes = build(samples);
  EXPECT_EQ(peek_chunk_header(bytes)->version, kChunkVersion);
  EXPECT_TRUE(peek_chunk_header(bytes)->flags & ChunkHeader::kDecimalNumbers);
  EXPECT_TRUE(same_samples(read(bytes), samples));
  EXPECT_LT(bytes.size(), 1024u * 2);  // about 7 bits a delta; the XOR column takes ~5 bytes
  auto reader = ChunkReader::open(bytes);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader->columns().decimal_exponent, 2);
  ASSERT_EQ(reader->columns().scaled.size(), samples.size());
  EXPECT_EQ(reader->columns().scaled[0], std::llround(samples[0].number * 100));
}

// Numbers beside other kinds still take the decimal column, but the integers are handed over
// only for all-number chunks (aggregation's exact path needs one per sample).
TEST(Chunk, DecimalNumbersBesideOtherKinds) {
  std::vector<Sample> samples = {
      Sample::of_number(k2026, 21.37),  Sample::of_string(k2026 + 1, "x"),
      Sample::of_null(k2026 + 2),       Sample::of_number(k2026 + 3, -4.5),
      Sample::of_bool(k2026 + 4, true), Sample::of_number(k2026 + 5, 0)};
  std::string bytes = build(samples);
  EXPECT_TRUE(peek_chunk_header(bytes)->flags & ChunkHeader::kDecimalNumbers);
  EXPECT_TRUE(same_samples(read(bytes), samples));
  EXPECT_TRUE(ChunkReader::open(bytes)->columns().scaled.empty());
}

// One value that is not a short decimal (NaN, -0.0, infinities, a long binary fraction) puts
// the whole chunk's numbers in the XOR column, bit for bit.
TEST(Chunk, NonDecimalNumbersFallBackToTheXorColumn) {
  using limits = std::numeric_limits<double>;
  for (double odd : {limits::quiet_NaN(), -0.0, limits::infinity(), -limits::infinity(), 0.1 + 0.2,
                     std::bit_cast<double>(std::uint64_t{0xFFF8DEADBEEF0001})}) {
    std::vector<Sample> samples;
    for (int i = 0; i < 300; ++i) samples.push_back(Sample::of_number(k2026 + i * kMinute, 20.25));
    samples[150].number = odd;
    std::string bytes = build(samples);
    EXPECT_FALSE(peek_chunk_header(bytes)->flags & ChunkHeader::kDecimalNumbers);
    EXPECT_TRUE(same_samples(read(bytes), samples));
    EXPECT_TRUE(ChunkReader::open(bytes)->columns().scaled.empty());
  }
}

// A chunk written by the version-1 builder (before the decimal column: XOR numbers, a
// partial second timestamp column, text, a deletion and a boolean) still reads.
TEST(Chunk, Version1ChunkStillReads) {
  const std::string hex =
      "01031b0b00000000402046484706000086e36948470600090400080101050104010c02000000006955b900bc"
      "000002aa0015010000019b76daa7ffe0ea6140e09038240e0901004140355eb851eb851fe5771bc6f1bc6f38"
      "3fc0356666666666677f1bf21e44003ace90639f6944667b01cff113333333333360004800000000001c30de"
      "b851eb851f0501026f6e00719a8896";
  std::string bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  std::vector<Sample> expected;
  const double numbers[] = {21.37, 21.4, -0.0, 1e300, 0.1, 17.0, 21.5, 21.37};
  for (int i = 0; i < 8; ++i) {
    Sample sample = Sample::of_number(k2026 + i * kMinute, numbers[i]);
    if (i % 2 == 0) sample.time2 = k2026 + i * kMinute - 1000;
    expected.push_back(sample);
  }
  expected.push_back(Sample::of_string(k2026 + 8 * kMinute, "on"));
  expected.push_back(Sample::of_null(k2026 + 9 * kMinute));
  expected.push_back(Sample::of_bool(k2026 + 10 * kMinute, true));
  EXPECT_EQ(peek_chunk_header(bytes)->version, kChunkVersion1);
  EXPECT_TRUE(same_samples(read(bytes), expected));
}

}  // namespace
}  // namespace citytwin::series
