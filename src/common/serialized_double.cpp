#include "citytwin/common/serialized_double.hpp"

#include <charconv>
#include <string_view>

namespace citytwin {

// libstdc++'s to_chars is Ryu too, so its digits are the serializer's; only the exponent's
// spelling differs ("2.15e+01").
void append_serialized_double(std::string& out, double value) {
  char buffer[40];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  std::size_t e = text.find('e');
  if (e == std::string_view::npos) {
    out.append(text);
    return;
  }
  out.append(text.substr(0, e));
  out.push_back('E');
  std::string_view exponent = text.substr(e + 1);
  if (!exponent.empty() && exponent.front() == '-') out.push_back('-');
  if (!exponent.empty() && (exponent.front() == '-' || exponent.front() == '+')) {
    exponent.remove_prefix(1);
  }
  while (exponent.size() > 1 && exponent.front() == '0') exponent.remove_prefix(1);
  out.append(exponent);
}

}  // namespace citytwin
