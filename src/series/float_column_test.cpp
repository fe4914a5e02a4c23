#include "citytwin/series/float_column.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

namespace citytwin::series {
namespace {

void expect_round_trip(const std::vector<double>& values) {
  std::string bytes = encode_doubles(values);
  auto decoded = decode_doubles(bytes, values.size());
  ASSERT_TRUE(decoded.ok()) << decoded.error().detail;
  ASSERT_EQ(decoded->size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(std::bit_cast<std::uint64_t>((*decoded)[i]), std::bit_cast<std::uint64_t>(values[i]))
        << "at " << i;
  }
}

TEST(FloatColumn, SpecialValuesKeepTheirBits) {
  using limits = std::numeric_limits<double>;
  expect_round_trip({});
  expect_round_trip({42.5});
  expect_round_trip({0.0, -0.0, 0.0, limits::infinity(), -limits::infinity(), limits::quiet_NaN(),
                     std::bit_cast<double>(std::uint64_t{0x7FF0000000000001}),  // signalling NaN
                     std::bit_cast<double>(std::uint64_t{0xFFF8DEADBEEF0001}),  // payload, sign
                     limits::denorm_min(), -limits::denorm_min(), limits::min(), limits::max(),
                     limits::lowest(), limits::epsilon(), 1.0, 1.0, -1.0});
}

TEST(FloatColumn, RandomBitPatterns) {
  std::mt19937_64 rng(5);
  std::vector<double> values;
  for (int i = 0; i < 5000; ++i) values.push_back(std::bit_cast<double>(rng()));
  expect_round_trip(values);
}

TEST(FloatColumn, SensorSeriesCompresses) {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> noise(0, 0.2);
  std::vector<double> values;
  double temperature = 18.0;
  for (int i = 0; i < 1440; ++i) {
    temperature += noise(rng) * 0.3;
    values.push_back(std::round(temperature * 10) / 10);
  }
  expect_round_trip(values);
  EXPECT_LT(encode_doubles(values).size(), values.size() * 8 / 2);

  std::vector<double> constant(1000, 21.5);
  expect_round_trip(constant);
  EXPECT_LE(encode_doubles(constant).size(), 8u + 1000 / 8 + 1);
}

TEST(FloatColumn, CorruptStreamsAreErrors) {
  std::vector<double> values = {1.5, 2.25, 2.25, -7.0, 1e300};
  std::string bytes = encode_doubles(values);
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(decode_doubles(bytes.substr(0, size), values.size()).ok()) << size;
  }
  EXPECT_FALSE(decode_doubles(bytes + "\x01", values.size()).ok());
  // Reusing a window before any was set: first value, then control bits 1 0.
  std::string no_window(8, '\0');
  no_window += '\x80';
  no_window += '\0';
  EXPECT_FALSE(decode_doubles(no_window, 2).ok());
  // A window wider than 64 bits: leading 31 and length 40.
  std::string wide(8, '\0');
  wide += static_cast<char>(0b11111111);  // 1 1 then leading 11111
  wide += static_cast<char>(0b10100000);  // length 101000 = 40
  wide += std::string(6, '\xFF');
  EXPECT_FALSE(decode_doubles(wide, 2).ok());
}

}  // namespace
}  // namespace citytwin::series
