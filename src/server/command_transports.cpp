#include "command_transports.hpp"

#include <boost/json.hpp>
#include <future>

namespace citytwin::server {

std::string command_topic(const ingest::CommandDevice& device) {
  return "/" + device.apikey + "/" + device.device_id + "/cmd";
}

Result<std::optional<boost::json::value>> MqttCommandTransport::send(
    const ingest::DeviceCommand& command) {
  // Handed over only once durably queued for the device's persistent session, if it has
  // one: a crash after this delivers it from the session journal (docs/mqtt.md, "Sessions").
  auto queued = std::make_shared<std::promise<Status>>();
  CT_RETURN_IF_ERROR(broker_.publish(command_topic(command.device), ingest::encode_command(command),
                                     command.mqtt.qos, command.mqtt.retain,
                                     [queued](Status status) { queued->set_value(status); }));
  CT_RETURN_IF_ERROR(queued->get_future().get());
  return std::optional<boost::json::value>();
}

Result<std::optional<boost::json::value>> HttpCommandTransport::send(
    const ingest::DeviceCommand& command) {
  const ingest::CommandDevice& device = command.device;
  bool json = device.format == ingest::PayloadFormat::kJson;
  core::OutgoingNotification request;
  request.endpoint = core::make_endpoint(
      device.endpoint, {{"Content-Type", json ? "application/json" : "text/plain"},
                        {"Fiware-Service", device.scope.tenant},
                        {"Fiware-ServicePath", device.scope.servicepath}});
  request.body = ingest::encode_command(command);
  auto answer = sender_.post(request);
  if (!answer) return std::move(answer).error();
  if (answer->status < 200 || answer->status > 299) {
    return make_error(ErrorKind::kServiceUnavailable,
                      "the device answered HTTP " + std::to_string(answer->status));
  }
  if (answer->body.empty()) return std::optional<boost::json::value>(boost::json::string());
  auto format = json ? ingest::PayloadFormat::kJson : ingest::PayloadFormat::kUltraLight;
  auto results = ingest::decode_command_results(answer->body, format, device.device_id);
  if (results) {
    for (auto& [name, result] : *results) {
      if (name == command.name) return std::optional<boost::json::value>(std::move(result));
    }
  }
  // An answer in neither form is the result as the device wrote it.
  return std::optional<boost::json::value>(boost::json::string(answer->body));
}

}  // namespace citytwin::server
