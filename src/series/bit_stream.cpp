#include "citytwin/series/bit_stream.hpp"

namespace citytwin::series {
namespace {

std::uint64_t low_mask(int bits) {
  return bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
}

}  // namespace

void BitWriter::write(std::uint64_t value, int bits) {
  value &= low_mask(bits);
  while (bits > 0) {
    int take = bits < 8 - fill_ ? bits : 8 - fill_;
    std::uint64_t part = (value >> (bits - take)) & low_mask(take);
    acc_ = (acc_ << take) | part;
    fill_ += take;
    bits -= take;
    if (fill_ == 8) {
      bytes_.push_back(static_cast<char>(acc_ & 0xFF));
      acc_ = 0;
      fill_ = 0;
    }
  }
}

std::string BitWriter::finish() {
  if (fill_ > 0) {
    bytes_.push_back(static_cast<char>((acc_ << (8 - fill_)) & 0xFF));
  }
  acc_ = 0;
  fill_ = 0;
  std::string out;
  out.swap(bytes_);
  return out;
}

std::uint64_t BitReader::read_slow(int bits) {
  if (bits == 0) return 0;
  if (overrun_ || pos_ + bits > size_bits_) {
    overrun_ = true;
    pos_ = size_bits_;
    return 0;
  }
  std::uint64_t value = 0;
  while (bits > 0) {
    int offset = static_cast<int>(pos_ % 8);
    int take = bits < 8 - offset ? bits : 8 - offset;
    auto byte = static_cast<std::uint8_t>(bytes_[pos_ / 8]);
    std::uint64_t part = (byte >> (8 - offset - take)) & low_mask(take);
    value = (value << take) | part;
    pos_ += take;
    bits -= take;
  }
  return value;
}

bool BitReader::finished_cleanly() const {
  if (overrun_ || size_bits_ - pos_ >= 8) return false;
  if (pos_ == size_bits_) return true;
  auto last = static_cast<std::uint8_t>(bytes_.back());
  return (last & low_mask(static_cast<int>(size_bits_ - pos_))) == 0;
}

}  // namespace citytwin::series
