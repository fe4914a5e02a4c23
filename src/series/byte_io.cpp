#include "citytwin/series/byte_io.hpp"

namespace citytwin::series {
namespace {

void append_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }
}

}  // namespace

void append_u8(std::string& out, std::uint8_t value) {
  out.push_back(static_cast<char>(value));
}

void append_u32(std::string& out, std::uint32_t value) {
  append_le(out, value, 4);
}

void append_u64(std::string& out, std::uint64_t value) {
  append_le(out, value, 8);
}

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void append_section(std::string& out, std::string_view bytes) {
  append_varint(out, bytes.size());
  out.append(bytes);
}

bool ByteReader::read_u8(std::uint8_t& out) {
  if (remaining() < 1) return false;
  out = static_cast<std::uint8_t>(bytes_[pos_++]);
  return true;
}

bool ByteReader::read_u32(std::uint32_t& out) {
  std::uint64_t wide = 0;
  if (remaining() < 4) return false;
  for (int i = 0; i < 4; ++i) {
    wide |= std::uint64_t{static_cast<std::uint8_t>(bytes_[pos_ + i])} << (8 * i);
  }
  pos_ += 4;
  out = static_cast<std::uint32_t>(wide);
  return true;
}

bool ByteReader::read_u64(std::uint64_t& out) {
  std::uint64_t value = 0;
  if (remaining() < 8) return false;
  for (int i = 0; i < 8; ++i) {
    value |= std::uint64_t{static_cast<std::uint8_t>(bytes_[pos_ + i])} << (8 * i);
  }
  pos_ += 8;
  out = value;
  return true;
}

bool ByteReader::read_varint(std::uint64_t& out) {
  std::uint64_t value = 0;
  std::size_t pos = pos_;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= bytes_.size()) return false;
    auto byte = static_cast<std::uint8_t>(bytes_[pos++]);
    // The tenth byte may only carry the top bit of a 64-bit value.
    if (shift == 63 && byte > 1) return false;
    value |= std::uint64_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80) == 0) {
      pos_ = pos;
      out = value;
      return true;
    }
  }
  return false;
}

bool ByteReader::read_bytes(std::size_t size, std::string_view& out) {
  if (remaining() < size) return false;
  out = bytes_.substr(pos_, size);
  pos_ += size;
  return true;
}

bool ByteReader::read_section(std::string_view& out) {
  std::uint64_t size = 0;
  std::size_t start = pos_;
  if (!read_varint(size) || size > remaining() || !read_bytes(size, out)) {
    pos_ = start;
    return false;
  }
  return true;
}

}  // namespace citytwin::series
