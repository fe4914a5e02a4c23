#pragma once

#include <string_view>

namespace citytwin::server {
inline constexpr std::string_view kVersion = CITYTWIN_VERSION;
}
