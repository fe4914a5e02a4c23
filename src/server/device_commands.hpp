#pragma once

#include <memory>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/metrics.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/http/http_notification_sender.hpp"
#include "citytwin/ingest/command_dispatcher.hpp"
#include "citytwin/mqtt/broker.hpp"
#include "command_transports.hpp"

namespace citytwin::server {

// Device commands as the server runs them (docs/ingest.md, "Commands"): the dispatcher with
// its HTTP push transport (and MQTT once the broker runs), the entity service's write hook
// that queues commands in the same durable write as the update, the provisioning observer
// that gives devices their command attributes, and the pending-commands gauge.
class DeviceCommands {
 public:
  DeviceCommands(ingest::DeviceRegistry& devices, core::EntityService& entities,
                 std::shared_ptr<const jsonld::TermMapper> terms, const Clock& clock,
                 MetricsRegistry& metrics, http::HttpNotificationSender& http_sender,
                 ingest::CommandOptions options);
  ~DeviceCommands();

  // Restores the queued commands, hooks into entity writes and provisioning, and gives
  // provisioned devices their command attributes. An error: the queue cannot be read.
  Status open();
  // MQTT commands go through `broker` (which must outlive this).
  void use_broker(mqtt::Broker& broker);
  void start() { dispatcher_.start(); }
  // Stops the delivery thread and unhooks; writes are ordered before it returns.
  void stop();

  ingest::CommandDispatcher& dispatcher() { return dispatcher_; }

 private:
  void sync();

  ingest::DeviceRegistry& devices_;
  core::EntityService& entities_;
  ingest::CommandDispatcher dispatcher_;
  HttpCommandTransport http_;
  std::unique_ptr<MqttCommandTransport> mqtt_;
};

}  // namespace citytwin::server
