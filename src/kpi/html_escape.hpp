#pragma once

#include <string>
#include <string_view>

namespace citytwin::kpi {

// Text made safe inside HTML and SVG elements and double-quoted attributes (& < > ").
std::string html_escape(std::string_view text);

}  // namespace citytwin::kpi
