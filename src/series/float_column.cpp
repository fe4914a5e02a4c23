#include "citytwin/series/float_column.hpp"

#include <bit>
#include <cstdint>

#include "citytwin/series/bit_stream.hpp"
#include "corrupt.hpp"

namespace citytwin::series {
namespace {

constexpr int kMaxLeading = 31;  // what 5 bits can say

// The window of meaningful bits the previous XOR used; `valid` is false until one exists.
struct Window {
  int leading = 0;
  int trailing = 0;
  bool valid = false;
  int length() const { return 64 - leading - trailing; }
};

void write_xor(BitWriter& out, std::uint64_t x, Window& window) {
  if (x == 0) {
    out.write_bit(false);
    return;
  }
  int leading = std::countl_zero(x);
  int trailing = std::countr_zero(x);
  if (leading > kMaxLeading) leading = kMaxLeading;
  if (window.valid && leading >= window.leading && trailing >= window.trailing) {
    out.write(0b10, 2);
    out.write(x >> window.trailing, window.length());
    return;
  }
  window = Window{leading, trailing, true};
  int length = window.length();
  out.write(0b11, 2);
  out.write(static_cast<std::uint64_t>(leading), 5);
  out.write(static_cast<std::uint64_t>(length == 64 ? 0 : length), 6);
  out.write(x >> trailing, length);
}

// Returns false on a stream no encoder produces.
bool read_xor(BitReader& in, std::uint64_t& x, Window& window) {
  if (!in.read_bit()) {
    x = 0;
    return true;
  }
  if (in.read_bit()) {
    int leading = static_cast<int>(in.read(5));
    int length = static_cast<int>(in.read(6));
    if (length == 0) length = 64;
    if (leading + length > 64) return false;
    window = Window{leading, 64 - leading - length, true};
  } else if (!window.valid) {
    return false;
  }
  x = in.read(window.length()) << window.trailing;
  return x != 0;  // an encoder writes a zero XOR as the single 0 bit
}

}  // namespace

std::string encode_doubles(std::span<const double> values) {
  BitWriter out;
  Window window;
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto bits = std::bit_cast<std::uint64_t>(values[i]);
    if (i == 0) {
      out.write(bits, 64);
    } else {
      write_xor(out, bits ^ previous, window);
    }
    previous = bits;
  }
  return out.finish();
}

Result<std::vector<double>> decode_doubles(std::string_view bytes, std::size_t count) {
  if (count > 0 && bytes.size() * 8 < 64 + (count - 1)) {
    return corrupt_chunk("number column shorter than its sample count");
  }
  BitReader in(bytes);
  std::vector<double> values;
  values.reserve(count);
  Window window;
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (i == 0) {
      previous = in.read(64);
    } else {
      std::uint64_t x = 0;
      if (!read_xor(in, x, window) || !in.ok()) return corrupt_chunk("bad number encoding");
      previous ^= x;
    }
    values.push_back(std::bit_cast<double>(previous));
  }
  if (!in.finished_cleanly()) return corrupt_chunk("number column length mismatch");
  return values;
}

}  // namespace citytwin::series
