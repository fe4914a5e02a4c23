#include "citytwin/common/base64.hpp"

#include <cstdint>

namespace citytwin {
namespace {

// The two alphabets differ in their last two characters only.
std::optional<std::string> decode(std::string_view text, char c62, char c63) {
  auto value_of = [c62, c63](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == c62) return 62;
    if (c == c63) return 63;
    return -1;
  };
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int value = value_of(c);
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  return decode(text, '+', '/');
}

std::optional<std::string> base64url_decode(std::string_view text) {
  return decode(text, '-', '_');
}

}  // namespace citytwin
