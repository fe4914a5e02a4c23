#pragma once

#include "citytwin/http/router.hpp"
#include "citytwin/ingest/command_dispatcher.hpp"

namespace citytwin::http {

// Device commands over HTTP (docs/ingest.md, "Commands"), IoT Agent conventions:
//   GET  /iot/json?k=..&i=..&getCmd=1   the device's pending commands, JSON {"<cmd>": value}
//   GET  /iot/d?k=..&i=..&getCmd=1      the same in UltraLight, "<id>@<cmd>|<value>" ('#'-joined)
//   POST /iot/json/commands?k=..&i=..   command results {"<cmd>": <result>}
//   POST /iot/d/commands?k=..&i=..      command results "<id>@<cmd>|<result>"
// All are device writes (editor keys), as posting measures is.
void add_iot_command_routes(Router& router, ingest::CommandDispatcher& commands);

}  // namespace citytwin::http
