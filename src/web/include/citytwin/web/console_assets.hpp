#pragma once

#include <span>

#include "citytwin/http/console_routes.hpp"

namespace citytwin::web {

// Every file of the web console as built by Vite from web/ (the build generates the table,
// see src/web/CMakeLists.txt). Static storage: the views stay valid for the whole run.
std::span<const http::StaticAsset> console_assets();

}  // namespace citytwin::web
