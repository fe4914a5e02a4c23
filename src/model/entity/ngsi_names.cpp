#include "citytwin/model/ngsi_names.hpp"

namespace citytwin::model {
namespace {

bool is_control_or_space(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte <= 0x20 || byte == 0x7f;
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// RFC 3986 clause 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool is_valid_scheme(std::string_view scheme) {
  if (scheme.empty() || !is_alpha(scheme.front())) return false;
  for (char c : scheme) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

bool is_valid_uri(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return false;
  if (!is_valid_scheme(text.substr(0, colon))) return false;
  for (char c : text) {
    if (is_control_or_space(c)) return false;
    if (std::string_view("<>\"{}|\\^`").find(c) != std::string_view::npos) return false;
  }
  return true;
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.front() == '@') return false;
  for (char c : name) {
    if (is_control_or_space(c)) return false;
    if (std::string_view("<>\"'=;()").find(c) != std::string_view::npos) return false;
  }
  return true;
}

}  // namespace citytwin::model
