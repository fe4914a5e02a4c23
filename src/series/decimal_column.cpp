#include "citytwin/series/decimal_column.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

#include "citytwin/series/byte_io.hpp"
#include "corrupt.hpp"

namespace citytwin::series {
namespace {

constexpr std::size_t kBlock = 128;
// |m| < 2^53, so a delta is below 2^54 in magnitude and its zigzag below 2^55.
constexpr int kMaxWidth = 55;
// The packed bytes of the widest block, plus the 8 bytes an unaligned 64-bit load may touch
// past the last value.
constexpr std::size_t kPackedCapacity = (kBlock * kMaxWidth + 7) / 8 + 8;

constexpr std::array<double, kMaxDecimalExponent + 1> kPowers = [] {
  std::array<double, kMaxDecimalExponent + 1> powers{};
  double power = 1;
  for (double& p : powers) {
    p = power;
    power *= 10;  // exact up to 10^22: every factor of 5 still fits the 53-bit significand
  }
  return powers;
}();

std::uint64_t zigzag(std::int64_t value) {
  auto bits = static_cast<std::uint64_t>(value);
  return (bits << 1) ^ (0 - (bits >> 63));
}

std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>((value >> 1) ^ (0 - (value & 1)));
}

bool decodes_to(std::int64_t m, int exponent, double x) {
  // Bit comparison: -0.0 would compare equal to the +0.0 that m = 0 gives back.
  return std::bit_cast<std::uint64_t>(decimal_value(m, kPowers[exponent])) ==
         std::bit_cast<std::uint64_t>(x);
}

// An integer m with decimal_value(m, 10^e) bit-identical to x, if there is one. x·10^e is
// within 1.5 of such an m (x is m/10^e rounded, |m| < 2^53, then the product is rounded), so
// the candidates are its rounding and the integers up to 2 away; each is checked exactly.
std::optional<std::int64_t> scaled_at(double x, int exponent) {
  double scaled = std::round(x * kPowers[exponent]);
  // Also false for NaN and infinities.
  if (!(std::fabs(scaled) <= static_cast<double>(kMaxDecimalMagnitude) + 2)) return std::nullopt;
  auto nearest = static_cast<std::int64_t>(scaled);
  for (std::int64_t offset : {0, -1, 1, -2, 2}) {
    std::int64_t m = nearest + offset;
    if (m >= -kMaxDecimalMagnitude && m <= kMaxDecimalMagnitude && decodes_to(m, exponent, x)) {
      return m;
    }
  }
  return std::nullopt;
}

int bit_length(std::uint64_t value) {
  return 64 - std::countl_zero(value);
}

// The width that makes a block smallest: packed bytes plus the exceptions that do not fit.
int best_width(std::span<const std::uint64_t> deltas) {
  std::array<std::size_t, kMaxWidth + 1> lengths{};
  int widest = 0;
  for (std::uint64_t delta : deltas) {
    int length = bit_length(delta);
    ++lengths[static_cast<std::size_t>(length)];
    widest = std::max(widest, length);
  }
  int best = widest;
  std::size_t best_cost = (deltas.size() * static_cast<std::size_t>(widest) + 7) / 8;
  for (int width = 0; width < widest; ++width) {
    std::size_t cost = (deltas.size() * static_cast<std::size_t>(width) + 7) / 8;
    for (int length = width + 1; length <= widest; ++length) {
      cost += lengths[static_cast<std::size_t>(length)] *
              static_cast<std::size_t>(1 + (length - width + 6) / 7);
    }
    if (cost < best_cost) {
      best = width;
      best_cost = cost;
    }
  }
  return best;
}

void encode_block(std::string& out, std::span<const std::uint64_t> deltas) {
  int width = best_width(deltas);
  std::uint64_t mask = (std::uint64_t{1} << width) - 1;
  std::size_t exceptions = 0;
  for (std::uint64_t delta : deltas) exceptions += (delta >> width) != 0 ? 1 : 0;
  append_u8(out, static_cast<std::uint8_t>(width));
  append_u8(out, static_cast<std::uint8_t>(exceptions));
  std::uint64_t pending = 0;  // bits not yet written, right-aligned
  int filled = 0;
  for (std::uint64_t delta : deltas) {
    std::uint64_t low = delta & mask;
    // At most 7 + 55 bits pending: no overflow.
    pending |= low << filled;
    filled += width;
    while (filled >= 8) {
      out.push_back(static_cast<char>(pending & 0xFF));
      pending >>= 8;
      filled -= 8;
    }
  }
  if (filled > 0) out.push_back(static_cast<char>(pending & 0xFF));
  for (std::size_t i = 0; i < deltas.size(); ++i) {
    if ((deltas[i] >> width) == 0) continue;
    append_u8(out, static_cast<std::uint8_t>(i));
    append_varint(out, deltas[i] >> width);
  }
}

std::uint64_t load_le64(const unsigned char* bytes) {
  std::uint64_t word;
  std::memcpy(&word, bytes, sizeof word);
  if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
  return word;
}

// Unpacks `count` values of `width` bits from `packed`, which must be readable for 8 bytes
// past the last value's first byte (the bits past the value are masked off, whatever they
// hold). No branch depends on the data: the loop the whole column's decode rests on. With the
// width known at compile time each group of 8 values (8 * Width bits: whole bytes) unpacks
// with constant offsets and shifts (docs/performance.md: the scan that decodes every point
// took a fifth to a third less CPU than with one loop for every width).
template <int Width>
void unpack_fixed(const unsigned char* packed, std::uint64_t* out, std::size_t count) {
  constexpr std::uint64_t kMask = (std::uint64_t{1} << Width) - 1;
  std::size_t j = 0;
  for (; j + 8 <= count; j += 8) {
    const unsigned char* group = packed + j / 8 * Width;
#pragma GCC unroll 8
    for (std::size_t k = 0; k < 8; ++k) {
      const std::size_t bit = k * Width;
      out[j + k] = (load_le64(group + bit / 8) >> (bit % 8)) & kMask;
    }
  }
  for (; j < count; ++j) {
    const std::size_t bit = j * Width;
    out[j] = (load_le64(packed + bit / 8) >> (bit % 8)) & kMask;
  }
}

using UnpackFunction = void (*)(const unsigned char*, std::uint64_t*, std::size_t);

template <std::size_t... Widths>
constexpr std::array<UnpackFunction, sizeof...(Widths)> unpack_functions(
    std::index_sequence<Widths...>) {
  return {&unpack_fixed<static_cast<int>(Widths)>...};
}

constexpr auto kUnpack = unpack_functions(std::make_index_sequence<kMaxWidth + 1>());

void unpack(const unsigned char* packed, int width, std::span<std::uint64_t> out) {
  kUnpack[static_cast<std::size_t>(width)](packed, out.data(), out.size());
}

// Reads one block's deltas into `deltas` (its size is the block's length).
Status decode_block(ByteReader& in, std::span<std::uint64_t> deltas) {
  std::uint8_t width = 0;
  std::uint8_t exceptions = 0;
  if (!in.read_u8(width) || !in.read_u8(exceptions) || width > kMaxWidth ||
      exceptions > deltas.size()) {
    return corrupt_chunk("bad decimal block header");
  }
  std::size_t packed_bits = deltas.size() * width;
  std::string_view packed;
  if (!in.read_bytes((packed_bits + 7) / 8, packed))
    return corrupt_chunk("truncated decimal block");
  if (packed_bits % 8 != 0 &&
      (static_cast<unsigned char>(packed.back()) >> (packed_bits % 8)) != 0) {
    return corrupt_chunk("decimal block padding");
  }
  // unpack() reads up to 8 bytes past the block's last value. The column's own bytes after
  // the block (exceptions, the next block) serve when there are 8 of them; only the last
  // block of a column is copied next to zeros.
  const auto* packed_bytes = reinterpret_cast<const unsigned char*>(packed.data());
  if (in.remaining() >= 8) {
    unpack(packed_bytes, width, deltas);
  } else {
    unsigned char buffer[kPackedCapacity];
    std::memcpy(buffer, packed_bytes, packed.size());
    std::memset(buffer + packed.size(), 0, 8);
    unpack(buffer, width, deltas);
  }
  int previous = -1;
  for (std::uint8_t e = 0; e < exceptions; ++e) {
    std::uint8_t position = 0;
    std::uint64_t high = 0;
    if (!in.read_u8(position) || position <= previous || position >= deltas.size() ||
        !in.read_varint(high) || high == 0 || bit_length(high) > kMaxWidth - width) {
      return corrupt_chunk("bad decimal exception");
    }
    deltas[position] |= high << width;
    previous = position;
  }
  return ok_status();
}

}  // namespace

double power_of_ten(int exponent) {
  return kPowers[static_cast<std::size_t>(exponent)];
}

std::optional<DecimalNumbers> to_decimal(std::span<const double> values) {
  // Every value needs at least its own smallest exponent. When a value needs a larger one
  // than those before it, the earlier values are scaled again (usually near the start), and
  // each is checked at the new exponent rather than assumed exact there.
  DecimalNumbers numbers;
  int exponent = 0;
  numbers.scaled.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::optional<std::int64_t> m = scaled_at(values[i], exponent);
    if (m) {
      numbers.scaled.push_back(*m);
      continue;
    }
    while (!m) {
      if (++exponent > kMaxDecimalExponent) return std::nullopt;
      m = scaled_at(values[i], exponent);
    }
    for (std::size_t j = 0; j < i; ++j) {
      std::optional<std::int64_t> earlier = scaled_at(values[j], exponent);
      if (!earlier) return std::nullopt;
      numbers.scaled[j] = *earlier;
    }
    numbers.scaled.push_back(*m);
  }
  numbers.exponent = static_cast<std::uint8_t>(exponent);
  return numbers;
}

std::string encode_decimal_column(const DecimalNumbers& numbers) {
  std::string out;
  append_u8(out, numbers.exponent);
  const std::vector<std::int64_t>& scaled = numbers.scaled;
  if (scaled.empty()) return out;
  append_varint(out, zigzag(scaled[0]));
  std::vector<std::uint64_t> deltas;
  deltas.reserve(scaled.size());
  for (std::size_t i = 1; i < scaled.size(); ++i)
    deltas.push_back(zigzag(scaled[i] - scaled[i - 1]));
  for (std::size_t start = 0; start < deltas.size(); start += kBlock) {
    std::size_t length = std::min(kBlock, deltas.size() - start);
    encode_block(out, std::span<const std::uint64_t>(deltas).subspan(start, length));
  }
  return out;
}

Result<DecimalNumbers> decode_decimal_column(std::string_view bytes, std::size_t count) {
  DecimalNumbers numbers;
  CT_RETURN_IF_ERROR(decode_decimal_column(bytes, count, numbers));
  return numbers;
}

Status decode_decimal_column(std::string_view bytes, std::size_t count, DecimalNumbers& numbers) {
  ByteReader in(bytes);
  if (!in.read_u8(numbers.exponent) || numbers.exponent > kMaxDecimalExponent) {
    return corrupt_chunk("decimal exponent");
  }
  if (count == 0) {
    numbers.scaled.clear();
    if (in.remaining() != 0) return corrupt_chunk("decimal column length mismatch");
    return ok_status();
  }
  // Each block of up to 128 values costs at least its two header bytes: refuse counts the
  // bytes cannot hold before allocating for them.
  if ((count - 1 + kBlock - 1) / kBlock * 2 > bytes.size()) {
    return corrupt_chunk("decimal column shorter than its sample count");
  }
  std::uint64_t first = 0;
  if (!in.read_varint(first)) return corrupt_chunk("decimal first value");
  numbers.scaled.resize(count);
  std::int64_t* out = numbers.scaled.data();
  auto current = static_cast<std::uint64_t>(unzigzag(first));
  out[0] = static_cast<std::int64_t>(current);
  // Wrapping arithmetic, then one range check per value: corrupt deltas give an Error, not UB.
  std::uint64_t out_of_range = current + kMaxDecimalMagnitude;
  std::array<std::uint64_t, kBlock> deltas;
  for (std::size_t start = 1; start < count; start += kBlock) {
    std::size_t length = std::min(kBlock, count - start);
    std::span<std::uint64_t> block(deltas.data(), length);
    CT_RETURN_IF_ERROR(decode_block(in, block));
    for (std::size_t j = 0; j < length; ++j) {
      current += static_cast<std::uint64_t>(unzigzag(block[j]));
      out[start + j] = static_cast<std::int64_t>(current);
      out_of_range = std::max(out_of_range, current + kMaxDecimalMagnitude);
    }
  }
  if (out_of_range > 2 * static_cast<std::uint64_t>(kMaxDecimalMagnitude)) {
    return corrupt_chunk("decimal value out of range");
  }
  if (in.remaining() != 0) return corrupt_chunk("decimal column length mismatch");
  return ok_status();
}

}  // namespace citytwin::series
