#include "citytwin/series/decimal_column.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>

namespace citytwin::series {
namespace {

// What a device's decimal text parses to: strtod is correctly rounded, independently of the
// division the column decodes with.
double parse_decimal(std::int64_t scaled, int exponent) {
  char text[64];
  std::snprintf(text, sizeof text, "%lldE-%d", static_cast<long long>(scaled), exponent);
  return std::strtod(text, nullptr);
}

std::uint64_t bits(double x) {
  return std::bit_cast<std::uint64_t>(x);
}

// Encodes, decodes and checks every value bit for bit; returns the encoded size.
std::size_t expect_round_trip(const std::vector<double>& values) {
  std::optional<DecimalNumbers> decimal = to_decimal(values);
  EXPECT_TRUE(decimal.has_value());
  if (!decimal) return 0;
  std::string bytes = encode_decimal_column(*decimal);
  auto decoded = decode_decimal_column(bytes, values.size());
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().detail);
  if (!decoded.ok()) return 0;
  EXPECT_EQ(int{decoded->exponent}, int{decimal->exponent});
  EXPECT_EQ(decoded->scaled, decimal->scaled);
  double power = power_of_ten(decoded->exponent);
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(bits(decimal_value(decoded->scaled[i], power)), bits(values[i])) << "at " << i;
  }
  return bytes.size();
}

TEST(DecimalColumn, RandomDecimalsOfEachScaleRoundTrip) {
  std::mt19937_64 rng(3);
  for (int exponent = 0; exponent <= 15; ++exponent) {
    for (std::int64_t magnitude :
         {std::int64_t{1000}, std::int64_t{1} << 30, kMaxDecimalMagnitude}) {
      std::vector<double> values;
      // The first value ends in a non-zero digit, so e is the smallest exponent that works.
      values.push_back(parse_decimal((magnitude - 10) / 10 * 10 + 7, exponent));
      for (int i = 0; i < 700; ++i) {
        // Never -0: "-0E-2" parses to -0.0, which is not decimal (its sign would be lost).
        auto m = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(magnitude)) *
                     ((rng() & 1) ? 1 : -1) +
                 1;
        values.push_back(parse_decimal(m, exponent));
      }
      expect_round_trip(values);
      EXPECT_EQ(int{to_decimal(values)->exponent}, exponent) << magnitude;
    }
  }
}

TEST(DecimalColumn, PicksTheSmallestExponent) {
  EXPECT_EQ(int{to_decimal(std::vector<double>{17.0, 21.0, -3.0})->exponent}, 0);
  EXPECT_EQ(int{to_decimal(std::vector<double>{17.5, 21.0})->exponent}, 1);
  EXPECT_EQ(int{to_decimal(std::vector<double>{21.37, 21.4, 0.29})->exponent}, 2);
  EXPECT_EQ(to_decimal(std::vector<double>{21.37, 21.4, 0.29})->scaled,
            (std::vector<std::int64_t>{2137, 2140, 29}));
  EXPECT_EQ(int{to_decimal(std::vector<double>{})->exponent}, 0);
}

TEST(DecimalColumn, BoundaryValues) {
  const double max = static_cast<double>(kMaxDecimalMagnitude);
  expect_round_trip({0.0});
  expect_round_trip({max, -max, max, 0.0, -max});  // the widest deltas: 55 bits
  expect_round_trip({1e-22, 5e-22, -9.9e-21});
  expect_round_trip({0.1, 0.2, 0.3});
  expect_round_trip({123456789.123456, -0.000001});
  std::vector<double> ramp;
  for (int i = 0; i < 1000; ++i) ramp.push_back(parse_decimal(i * 3 - 1500, 2));
  expect_round_trip(ramp);
}

TEST(DecimalColumn, NonDecimalValuesFallBack) {
  using limits = std::numeric_limits<double>;
  for (double bad : {limits::quiet_NaN(), limits::infinity(), -limits::infinity(), -0.0, 1e300,
                     limits::denorm_min(), 0.1 + 0.2, 9007199254740992.0}) {
    EXPECT_FALSE(to_decimal(std::vector<double>{21.5, bad, 22.0}).has_value()) << bad;
  }
}

TEST(DecimalColumn, BlockBoundariesAndExceptions) {
  std::mt19937_64 rng(9);
  for (std::size_t count : {1u, 2u, 128u, 129u, 130u, 256u, 257u, 1000u, 1024u}) {
    std::vector<double> flat(count, 20.5);
    std::size_t flat_size = expect_round_trip(flat);
    EXPECT_LE(flat_size, 4 + 2 * ((count + 127) / 128)) << count;  // width-0 blocks
    std::vector<double> spiky;
    for (std::size_t i = 0; i < count; ++i) {
      std::int64_t m = 2000 + static_cast<std::int64_t>(rng() % 5);
      if (i % 37 == 5) m += 1'000'000'000;  // a rare outlier: stored as an exception
      spiky.push_back(parse_decimal(m, 2));
    }
    expect_round_trip(spiky);
  }
}

// Every block width has its own unpacking loop: deltas whose zigzag is `width` bits long
// make the encoder pick each width, and lengths around whole groups of 8 and whole blocks
// reach both the in-place read (8 bytes follow the block) and the copied last block.
TEST(DecimalColumn, EveryBlockWidthRoundTrips) {
  std::mt19937_64 rng(55);
  for (int width = 0; width <= 54; ++width) {
    for (std::size_t count : {2u, 9u, 16u, 129u, 130u, 137u, 300u}) {
      DecimalNumbers numbers;
      numbers.exponent = 2;
      std::int64_t m = 0;
      numbers.scaled.push_back(m);
      for (std::size_t i = 1; i < count; ++i) {
        if (width == 1) {
          m -= static_cast<std::int64_t>(i % 2);  // deltas -1 and 0: zigzag 1 and 0
        } else if (width >= 2) {
          // Up by a step of width - 1 bits and back to 0: zigzags of width (or width - 1) bits.
          const std::int64_t low = std::int64_t{1} << (width - 2);
          const std::int64_t step =
              low + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(low));
          m = i % 2 == 1 ? step : 0;
        }
        numbers.scaled.push_back(m);
      }
      std::string bytes = encode_decimal_column(numbers);
      // Exponent, the first value's varint (0: one byte), then the first block's width.
      ASSERT_GT(bytes.size(), 2u);
      EXPECT_EQ(int{static_cast<unsigned char>(bytes[2])}, width) << count << " values";
      auto decoded = decode_decimal_column(bytes, count);
      ASSERT_TRUE(decoded.ok()) << "width " << width << ", " << count
                                << " values: " << (decoded.ok() ? "" : decoded.error().detail);
      EXPECT_EQ(decoded->scaled, numbers.scaled) << "width " << width << ", " << count;
    }
  }
}

TEST(DecimalColumn, StepsCostExceptionsNotWideBlocks) {
  std::vector<double> stepped;
  for (int i = 0; i < 1024; ++i) stepped.push_back((i / 180) % 4 == 0 ? 17.0 : 21.0);
  std::size_t size = expect_round_trip(stepped);
  EXPECT_LT(size, 40u);  // 8 blocks of 2 header bytes and a few 2-byte exceptions
}

TEST(DecimalColumn, CorruptBytesAreErrorsNeverCrashes) {
  std::vector<double> values;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 300; ++i) {
    values.push_back(parse_decimal(2000 + static_cast<std::int64_t>(rng() % 300), 2));
  }
  std::string bytes = encode_decimal_column(*to_decimal(values));
  EXPECT_FALSE(decode_decimal_column(bytes, values.size() + 1).ok());
  EXPECT_FALSE(decode_decimal_column(bytes, values.size() - 1).ok());
  EXPECT_FALSE(decode_decimal_column(bytes + "x", values.size()).ok());
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(decode_decimal_column(bytes.substr(0, size), values.size()).ok()) << size;
  }
  EXPECT_FALSE(decode_decimal_column(std::string(1, '\x17'), 0).ok());  // exponent 23
  // Bit flips and random bytes: an Error or some other values, never undefined behaviour
  // (the sanitizer build checks); every decoded value stays in range.
  for (std::size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    std::string damaged = bytes;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    auto decoded = decode_decimal_column(damaged, values.size());
    if (!decoded.ok()) continue;
    for (std::int64_t m : decoded->scaled) ASSERT_LE(std::llabs(m), kMaxDecimalMagnitude);
  }
  for (int round = 0; round < 5000; ++round) {
    std::string damaged = bytes;
    for (int e = 0; e < 4; ++e) damaged[rng() % damaged.size()] = static_cast<char>(rng());
    auto decoded = decode_decimal_column(damaged, values.size());
    if (!decoded.ok()) continue;
    for (std::int64_t m : decoded->scaled) ASSERT_LE(std::llabs(m), kMaxDecimalMagnitude);
  }
}

}  // namespace
}  // namespace citytwin::series
