#pragma once

#include <array>
#include <string_view>

#include "citytwin/common/instant.hpp"

namespace citytwin {

// format_date_time (instant.hpp) into a caller's buffer, without allocating: the history
// formats several instants for every sample it records or packs.
using DateTimeBuffer = std::array<char, 48>;
std::string_view format_date_time(Instant instant, DateTimeBuffer& buffer);

}  // namespace citytwin
