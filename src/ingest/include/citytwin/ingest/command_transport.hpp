#pragma once

#include <boost/json/value.hpp>
#include <optional>

#include "citytwin/common/result.hpp"
#include "citytwin/ingest/command.hpp"

namespace citytwin::ingest {

// Hands a command to a device over one protocol (MQTT publish, HTTP push, a LoRaWAN
// downlink, ...). The dispatcher picks the transport by the device's `transport` (and
// `endpoint` for HTTP push) and calls send() on its delivery thread, one command at a time.
// A transport for another protocol implements this and is registered with
// CommandDispatcher::add_transport("<TRANSPORT>", t) in src/server/app.cpp; the device's
// results come back through CommandDispatcher::report_results() (or complete() for IoT Agent
// JSON / UltraLight payloads).
class CommandTransport {
 public:
  virtual ~CommandTransport() = default;
  // OK(nullopt): handed over, the result comes later (cmdexe); OK(value): the device answered
  // at once with this result (HTTP push); an error: it could not be delivered (ERROR, the
  // detail goes to `<cmd>_info`). May block up to the transport's own timeout.
  virtual Result<std::optional<boost::json::value>> send(const DeviceCommand& command) = 0;
  // Whether a command handed over (OK(nullopt)) before a restart must be sent again when the
  // device next shows up (redeliver()); false: send again at start-up.
  virtual bool resend_on_reconnect() const { return false; }
};

}  // namespace citytwin::ingest
