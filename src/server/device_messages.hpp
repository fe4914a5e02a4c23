#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"
#include "citytwin/ingest/command_dispatcher.hpp"
#include "citytwin/ingest/ingest_service.hpp"
#include "device_audit.hpp"

namespace citytwin::server {

// What an MQTT message on a device topic (mqtt_topic.hpp) means to the twin, whichever
// transport carried it: the built-in broker (mqtt_hooks.hpp) or a subscription to an external
// broker (external_broker.hpp). One path, so both ingest, refuse and acknowledge alike.
class DeviceMessages {
 public:
  // Measures and command results are counted into the audit log's device summaries through
  // `audit` (device_audit.hpp; null log: not audited).
  DeviceMessages(ingest::IngestService& ingest, DeviceAudit audit)
      : ingest_(ingest), audit_(audit) {}

  // Device commands (docs/ingest.md, "Commands"): results on .../cmdexe complete them.
  // Null (default): cmdexe is plain MQTT traffic. Set before messages flow.
  void set_commands(ingest::CommandDispatcher* commands) { commands_ = commands; }

  // Measures on `topic` go through ingestion, command results complete their commands;
  // `done` is called once, when they are durable in the twin and its history, or with why
  // they were refused. Other topics (plain MQTT traffic) are done(OK) at once. `authorize`,
  // when set, is asked about the tenant the message resolves to before anything is written.
  // `sender` (actor, role, scope) is who the audit log counts the write for.
  void handle(const std::string& topic, const std::string& payload,
              const security::AuditRecord& sender,
              std::function<Status(std::string_view tenant)> authorize,
              std::function<void(Status)> done);

 private:
  ingest::IngestService& ingest_;
  DeviceAudit audit_;
  ingest::CommandDispatcher* commands_ = nullptr;
};

}  // namespace citytwin::server
