#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"
#include "citytwin/ingest/ingest_service.hpp"

namespace citytwin::server {

// What an MQTT message on a device topic (mqtt_topic.hpp) means to the twin, whichever
// transport carried it: the built-in broker (mqtt_hooks.hpp) or a subscription to an external
// broker (external_broker.hpp). One path, so both ingest, refuse and acknowledge alike.
class DeviceMessages {
 public:
  explicit DeviceMessages(ingest::IngestService& ingest) : ingest_(ingest) {}

  // Measures on `topic` go through ingestion; `done` is called once, when they are durable
  // in the twin and its history, or with why they were refused. Topics that carry no
  // measures (command results, plain MQTT traffic) are done(OK) at once. `authorize`, when
  // set, is asked about the tenant the measures resolve to before anything is written.
  void handle(const std::string& topic, const std::string& payload,
              std::function<Status(std::string_view tenant)> authorize,
              std::function<void(Status)> done);

 private:
  ingest::IngestService& ingest_;
};

}  // namespace citytwin::server
