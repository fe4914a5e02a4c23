#include "citytwin/store/instance_text.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

#include "citytwin/common/serialized_double.hpp"

namespace citytwin::store {

using series::ValueKind;

std::string format_integer(std::int64_t value) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string format_double(double value) {
  std::string out;
  append_serialized_double(out, value);
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
  if (parsed_integer.ec == std::errc() && parsed_integer.ptr == end && is_exact_double(integer) &&
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
