#pragma once

#include "citytwin/http/request.hpp"
#include "citytwin/http/response.hpp"
#include "citytwin/ingest/command_dispatcher.hpp"
#include "citytwin/ingest/ingest_service.hpp"

namespace citytwin::http::iot {

// POST /iot/json and /iot/d (post_measures), and with getCmd=1 and `commands` the answer
// carries the device's pending commands (iotagent-json "polling commands"), now DELIVERED.
Response post_measures_and_poll(const Request& request, ingest::IngestService& ingest,
                                ingest::PayloadFormat format, std::string_view resource,
                                ingest::CommandDispatcher* commands);

}  // namespace citytwin::http::iot
