#include "citytwin/store/instance_text.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

namespace citytwin::store {

using series::ValueKind;

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
  // Doubles are written with an exponent (Ryu's form), integers without.
  const bool integer_text = value.find_first_of(".eE") == std::string_view::npos;
  std::int64_t integer = 0;
  auto parsed_integer = integer_text
                            ? std::from_chars(value.data(), end, integer)
                            : std::from_chars_result{value.data(), std::errc::invalid_argument};
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
  for (const JsonMember& member : *members) {
    if (member.key == "value") {
      return classify_value_text(
          instance.substr(member.value_begin, member.value_end - member.value_begin));
    }
  }
  return {};
}

}  // namespace citytwin::store
