#pragma once

#include "citytwin/http/http_notification_sender.hpp"
#include "citytwin/ingest/command_dispatcher.hpp"
#include "citytwin/mqtt/broker.hpp"

namespace citytwin::server {

// MQTT commands (iotagent-json / iotagent-ul "MQTT binding"): a PUBLISH of the command on
// /{apikey}/{device_id}/cmd through the built-in broker, QoS 1 unless the command's "mqtt"
// member says otherwise. A device with a
// persistent session that is offline gets it when it reconnects (the broker's session queue,
// journaled: send() returns once the command is durably queued). A command not yet handed
// over when the process ended is published again when the device subscribes anew or
// resumes its session (resend_on_reconnect), so after a crash a device may get a command
// twice, never not at all. The result comes on cmdexe.
class MqttCommandTransport final : public ingest::CommandTransport {
 public:
  explicit MqttCommandTransport(mqtt::Broker& broker) : broker_(broker) {}
  Result<std::optional<boost::json::value>> send(const ingest::DeviceCommand& command) override;
  bool resend_on_reconnect() const override { return true; }

 private:
  mqtt::Broker& broker_;
};

// The command topic of a device: /{apikey}/{device_id}/cmd.
std::string command_topic(const ingest::CommandDevice& device);

// HTTP push commands (iotagent-json "Push commands"): a POST of the command to the device's
// `endpoint` with Fiware-Service and Fiware-ServicePath, under the server's outbound policy
// (the sender checks every resolved address). A 2xx answer's body is the result: JSON
// {"<cmd>": <result>} (the member for the command, else the whole body) or UltraLight
// "<device_id>@<cmd>|<result>"; any other answer or no answer is an error (status ERROR).
class HttpCommandTransport final : public ingest::CommandTransport {
 public:
  explicit HttpCommandTransport(http::HttpNotificationSender& sender) : sender_(sender) {}
  Result<std::optional<boost::json::value>> send(const ingest::DeviceCommand& command) override;

 private:
  http::HttpNotificationSender& sender_;
};

}  // namespace citytwin::server
