#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace citytwin::series {

// Appends bit fields most significant bit first; the last byte is padded with zero bits.
class BitWriter {
 public:
  // Writes the low `bits` bits of `value`; bits is 0..64.
  void write(std::uint64_t value, int bits);
  void write_bit(bool bit) { write(bit ? 1 : 0, 1); }
  std::size_t bit_count() const { return bytes_.size() * 8 + fill_; }
  // Flushes the partial byte and returns the stream; the writer is empty afterwards.
  std::string finish();

 private:
  std::string bytes_;
  std::uint64_t acc_ = 0;  // the pending bits of the partial byte, right-aligned
  int fill_ = 0;           // how many bits acc_ holds, 0..7
};

// Reads what BitWriter wrote. Reading past the end yields zero bits and sets a sticky
// overrun flag instead of failing each call: the hot decode loops stay branch-light and
// the column decoders check ok() once per value or at the end, turning overrun into an Error.
class BitReader {
 public:
  explicit BitReader(std::string_view bytes) : bytes_(bytes), size_bits_(bytes.size() * 8) {}

  // Reads `bits` bits (0..64) as an unsigned value. Inline: the column decoders call it for
  // every field of every sample, and the call itself was most of its cost.
  std::uint64_t read(int bits) {
    const std::size_t byte = pos_ / 8;
    // Fast path: one unaligned 8-byte big-endian load covers up to 57 bits.
    if (bits > 0 && bits <= 56 && byte + 8 <= bytes_.size()) {
      std::uint64_t word;
      std::memcpy(&word, bytes_.data() + byte, sizeof(word));
      if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
      const int offset = static_cast<int>(pos_ % 8);
      pos_ += static_cast<std::size_t>(bits);
      return (word << offset) >> (64 - bits);
    }
    return read_slow(bits);
  }
  bool read_bit() { return read(1) != 0; }
  // Consumes zero bits up to the next one bit, at most `limit` (<= 56) of them, and says how
  // many: a run of "unchanged" codes (regular timestamps) is read a word at a time.
  int skip_zeros(int limit) {
    const std::size_t byte = pos_ / 8;
    if (byte + 8 <= bytes_.size()) {
      std::uint64_t word;
      std::memcpy(&word, bytes_.data() + byte, sizeof(word));
      if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
      const int offset = static_cast<int>(pos_ % 8);
      word <<= offset;
      int zeros = word == 0 ? 64 : std::countl_zero(word);
      zeros = std::min({zeros, 64 - offset, limit});
      pos_ += static_cast<std::size_t>(zeros);
      return zeros;
    }
    int zeros = 0;
    while (zeros < limit && pos_ < size_bits_) {
      if (read_slow(1) != 0) {
        --pos_;  // the one bit that ends the run stays unread
        break;
      }
      ++zeros;
    }
    return zeros;
  }

  bool ok() const { return !overrun_; }
  // True when everything was read except zero padding in the last byte: a stricter check
  // than ok() that catches sections with trailing garbage.
  bool finished_cleanly() const;

 private:
  std::uint64_t read_slow(int bits);

  std::string_view bytes_;
  std::size_t size_bits_;
  std::size_t pos_ = 0;  // in bits
  bool overrun_ = false;
};

}  // namespace citytwin::series
