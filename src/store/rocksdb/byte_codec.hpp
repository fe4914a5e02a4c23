#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Fixed-width and variable-length integers and doubles, written little-endian byte by byte
// so that database files do not depend on the host's byte order.
namespace citytwin::store::kv {

inline void put_fixed64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

inline std::optional<std::uint64_t> get_fixed64(std::string_view& in) {
  if (in.size() < 8) return std::nullopt;
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= std::uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  in.remove_prefix(8);
  return value;
}

inline void put_double(std::string& out, double value) {
  put_fixed64(out, std::bit_cast<std::uint64_t>(value));
}

inline std::optional<double> get_double(std::string_view& in) {
  auto bits = get_fixed64(in);
  if (!bits) return std::nullopt;
  return std::bit_cast<double>(*bits);
}

// LEB128: 7 bits per byte, high bit set on every byte but the last.
inline void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

inline std::optional<std::uint64_t> get_varint(std::string_view& in) {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    value |= std::uint64_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80) == 0) return value;
  }
  return std::nullopt;
}

inline void put_length_prefixed(std::string& out, std::string_view text) {
  put_varint(out, text.size());
  out.append(text);
}

inline std::optional<std::string> get_length_prefixed(std::string_view& in) {
  auto size = get_varint(in);
  if (!size || *size > in.size()) return std::nullopt;
  std::string text(in.substr(0, *size));
  in.remove_prefix(*size);
  return text;
}

}  // namespace citytwin::store::kv
