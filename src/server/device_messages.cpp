#include "device_messages.hpp"

#include "mqtt_topic.hpp"

namespace citytwin::server {

void DeviceMessages::handle(const std::string& topic, const std::string& payload,
                            const security::AuditRecord& sender,
                            std::function<Status(std::string_view tenant)> authorize,
                            std::function<void(Status)> done) {
  auto device_topic = parse_device_topic(topic);
  const bool result = device_topic && device_topic->kind == DeviceTopic::Kind::kCommandResult &&
                      commands_ != nullptr;
  // Plain MQTT traffic (and cmdexe without commands): nothing to store.
  if (!device_topic || (device_topic->kind != DeviceTopic::Kind::kMeasures && !result)) {
    done(ok_status());
    return;
  }
  auto audited = audit_.track(sender, "MQTT PUBLISH", audit_path(*device_topic),
                              device_topic->device_id, std::move(authorize), std::move(done));
  authorize = std::move(audited.authorize);
  done = std::move(audited.done);
  if (result) {
    commands_->complete("mqtt", device_topic->apikey, device_topic->device_id,
                        payload_format(*device_topic, payload), payload, std::move(authorize),
                        std::move(done));
    return;
  }
  ingest::Measurement measurement;
  measurement.transport = "mqtt";
  measurement.apikey = device_topic->apikey;
  measurement.device_id = device_topic->device_id;
  measurement.object_id = device_topic->object_id;
  measurement.format = payload_format(*device_topic, payload);
  measurement.payload = payload;
  measurement.authorize = std::move(authorize);
  ingest_.ingest(measurement, [done = std::move(done)](Result<ingest::IngestReceipt> receipt) {
    done(receipt ? ok_status() : Status(std::move(receipt).error()));
  });
}

}  // namespace citytwin::server
