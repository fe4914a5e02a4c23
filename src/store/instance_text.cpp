#include "citytwin/store/instance_text.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

namespace citytwin::store {
namespace {

using series::ValueKind;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::size_t skip_space(std::string_view text, std::size_t pos) {
  while (pos < text.size() && is_space(text[pos])) ++pos;
  return pos;
}

// The end of the string starting at text[pos] == '"', or npos.
std::size_t skip_string(std::string_view text, std::size_t pos) {
  for (++pos; pos < text.size(); ++pos) {
    if (text[pos] == '\\') {
      ++pos;
    } else if (text[pos] == '"') {
      return pos + 1;
    }
  }
  return std::string_view::npos;
}

std::size_t skip_value(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return std::string_view::npos;
  if (text[pos] == '"') return skip_string(text, pos);
  if (text[pos] == '{' || text[pos] == '[') {
    int depth = 0;
    while (pos < text.size()) {
      char c = text[pos];
      if (c == '"') {
        pos = skip_string(text, pos);
        if (pos == std::string_view::npos) return pos;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return pos + 1;
      }
      ++pos;
    }
    return std::string_view::npos;
  }
  std::size_t start = pos;
  while (pos < text.size() && text[pos] != ',' && text[pos] != '}' && text[pos] != ']' &&
         !is_space(text[pos])) {
    ++pos;
  }
  return pos == start ? std::string_view::npos : pos;
}

}  // namespace

std::optional<std::vector<InstanceMember>> top_level_members(std::string_view text) {
  std::vector<InstanceMember> members;
  members.reserve(8);  // a stored instance's usual count at most: no regrowth
  std::size_t pos = skip_space(text, 0);
  if (pos >= text.size() || text[pos] != '{') return std::nullopt;
  pos = skip_space(text, pos + 1);
  if (pos < text.size() && text[pos] == '}') {
    return skip_space(text, pos + 1) == text.size() ? std::optional(members) : std::nullopt;
  }
  for (;;) {
    if (pos >= text.size() || text[pos] != '"') return std::nullopt;
    std::size_t key_end = skip_string(text, pos);
    if (key_end == std::string_view::npos) return std::nullopt;
    InstanceMember member;
    member.key = text.substr(pos + 1, key_end - pos - 2);
    pos = skip_space(text, key_end);
    if (pos >= text.size() || text[pos] != ':') return std::nullopt;
    pos = skip_space(text, pos + 1);
    member.value_begin = pos;
    member.value_end = skip_value(text, pos);
    if (member.value_end == std::string_view::npos) return std::nullopt;
    members.push_back(member);
    pos = skip_space(text, member.value_end);
    if (pos >= text.size()) return std::nullopt;
    if (text[pos] == '}') break;
    if (text[pos] != ',') return std::nullopt;
    pos = skip_space(text, pos + 1);
  }
  if (skip_space(text, pos + 1) != text.size()) return std::nullopt;
  return members;
}

std::string format_integer(std::int64_t value) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// Ryu's d2s output, which Boost.JSON writes for doubles: shortest round-trip digits in
// scientific form with "E" and no exponent padding or '+' (2.15E1, 1E0, -0E0, 5E-324).
// libstdc++'s to_chars is Ryu too, so the digits agree; encode verifies anyway.
std::string format_double(double value) {
  char buffer[40];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  std::size_t e = text.find('e');
  if (e == std::string_view::npos) return std::string(text);  // inf/nan: never from JSON
  std::string out(text.substr(0, e));
  out.push_back('E');
  std::string_view exponent = text.substr(e + 1);
  if (!exponent.empty() && exponent.front() == '-') out.push_back('-');
  if (!exponent.empty() && (exponent.front() == '-' || exponent.front() == '+')) {
    exponent.remove_prefix(1);
  }
  while (exponent.size() > 1 && exponent.front() == '0') exponent.remove_prefix(1);
  out.append(exponent);
  return out;
}

ScalarValue classify_value_text(std::string_view value) {
  ScalarValue out;
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"' &&
      value.substr(1, value.size() - 2).find('\\') == std::string_view::npos) {
    out.kind = ValueKind::kString;
    out.text = std::string(value.substr(1, value.size() - 2));
    return out;
  }
  if (value == "true" || value == "false") {
    out.kind = ValueKind::kBool;
    out.boolean = value == "true";
    return out;
  }
  const char* end = value.data() + value.size();
  std::int64_t integer = 0;
  auto parsed_integer = std::from_chars(value.data(), end, integer);
  if (parsed_integer.ec == std::errc() && parsed_integer.ptr == end &&
      std::abs(static_cast<double>(integer)) <= kMaxExactInteger &&
      format_integer(integer) == value) {
    out.kind = ValueKind::kNumber;
    out.style = NumberStyle::kInteger;
    out.number = static_cast<double>(integer);
    return out;
  }
  double number = 0;
  auto parsed_double = std::from_chars(value.data(), end, number);
  if (parsed_double.ec == std::errc() && parsed_double.ptr == end && std::isfinite(number) &&
      format_double(number) == value) {
    out.kind = ValueKind::kNumber;
    out.style = NumberStyle::kDouble;
    out.number = number;
    return out;
  }
  out.kind = ValueKind::kJson;
  out.text = std::string(value);
  return out;
}

ScalarValue classify_value_member(std::string_view instance) {
  auto members = top_level_members(instance);
  if (!members) return {};
  for (const InstanceMember& member : *members) {
    if (member.key == "value") {
      return classify_value_text(
          instance.substr(member.value_begin, member.value_end - member.value_begin));
    }
  }
  return {};
}

}  // namespace citytwin::store
