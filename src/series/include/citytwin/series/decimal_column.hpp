#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"

namespace citytwin::series {

// Decimal-scaled numbers (chunk format version 2, docs/timeseries.md "Decimal column"): when
// every value of a column is exactly the double nearest to m / 10^e for integers |m| < 2^53
// and one e, the column stores e once and the integers m, delta coded and bit-packed in blocks
// (as ALP, Elf and VictoriaMetrics do for the decimal numbers sensors send). Two-decimal noisy
// temperatures cost about one byte instead of five and a half in the XOR column, and the
// integers decode in a loop without data-dependent branches.
inline constexpr int kMaxDecimalExponent = 22;  // 10^22 is the largest power of ten a double holds
inline constexpr std::int64_t kMaxDecimalMagnitude = (std::int64_t{1} << 53) - 1;

struct DecimalNumbers {
  std::uint8_t exponent = 0;         // e: value i is scaled[i] / 10^e
  std::vector<std::int64_t> scaled;  // m, each |m| <= kMaxDecimalMagnitude
};

// 10^e as a double, exact for e in 0..kMaxDecimalExponent.
double power_of_ten(int exponent);

// The value scaled integer m stands for: m / 10^e, one correctly rounded IEEE division of two
// exactly represented doubles, so it is the double nearest the decimal m·10^-e: what parsing
// its decimal text gives.
inline double decimal_value(std::int64_t scaled, double power) {
  return static_cast<double>(scaled) / power;
}

// The smallest e at which every value round-trips bit for bit through decimal_value, with
// the integers; nullopt when there is none (NaN, infinities, -0.0, too many digits or too
// large): the chunk keeps the XOR column then.
std::optional<DecimalNumbers> to_decimal(std::span<const double> values);

// Layout (all blocks of 128 deltas but the last):
//   u8 e, then for n > 0: varint zigzag(m_0); then the n-1 deltas m_i - m_{i-1}, zigzagged,
//   in blocks: u8 bit width w (0..55), u8 exception count k, ceil(len·w/8) bytes of the low
//   w bits of each delta packed least significant bit first, then k exceptions (u8 position
//   in the block, strictly increasing; varint of the bits above w, non-zero).
std::string encode_decimal_column(const DecimalNumbers& numbers);

Result<DecimalNumbers> decode_decimal_column(std::string_view bytes, std::size_t count);
// The same into `out` (its integers resized to `count`; unspecified after an Error), so a
// reader of many chunks reuses one buffer.
Status decode_decimal_column(std::string_view bytes, std::size_t count, DecimalNumbers& out);

}  // namespace citytwin::series
