#include "mqtt_hooks.hpp"

#include "citytwin/mqtt/topic.hpp"
#include "command_transports.hpp"
#include "mqtt_topic.hpp"

namespace citytwin::server {

Status MqttHooks::authenticate(const mqtt::ClientIdentity& client,
                               std::optional<std::string_view> password) {
  if (keys_ == nullptr) return ok_status();
  if (!password || password->empty()) {
    return make_error(ErrorKind::kUnauthorized, "an API key is required as the MQTT password");
  }
  auto principal = keys_->authenticate(*password);
  if (!principal) return std::move(principal).error();
  // Devices write measurements: a viewer key is not enough. Scope the check to the key's
  // own tenant (an all-tenant admin key passes for the default tenant).
  std::string_view tenant =
      principal->tenant == security::kAllTenants ? std::string_view{} : principal->tenant;
  CT_RETURN_IF_ERROR(security::authorize(*principal, security::Permission::kWrite, tenant));
  std::lock_guard lock(principals_mutex_);
  principals_[client.client_id] = std::move(*principal);
  return ok_status();
}

std::optional<security::Principal> MqttHooks::principal_of(const std::string& client_id) {
  std::lock_guard lock(principals_mutex_);
  auto found = principals_.find(client_id);
  if (found == principals_.end()) return std::nullopt;
  return found->second;
}

void MqttHooks::on_disconnect(const mqtt::ClientIdentity& client) {
  std::lock_guard lock(principals_mutex_);
  principals_.erase(client.client_id);
}

// The check of a measurement's or command result's tenant against the client's key (empty
// with authentication off); `refused` is set when the client has no key on record.
std::function<Status(std::string_view)> MqttHooks::authorizer(const mqtt::ClientIdentity& client,
                                                              Status& refused) {
  if (keys_ == nullptr) return {};
  auto principal = principal_of(client.client_id);
  if (!principal) {
    refused = make_error(ErrorKind::kUnauthorized, "the MQTT client is not authenticated");
    return {};
  }
  return [principal = std::move(*principal)](std::string_view tenant) {
    return security::authorize(principal, security::Permission::kWrite, tenant);
  };
}

void MqttHooks::on_publish(const mqtt::ClientIdentity& client, const mqtt::InboundPublish& message,
                           std::function<void(Status)> done) {
  auto topic = parse_device_topic(message.topic);
  // Plain MQTT traffic (and cmdexe without commands): forwarded only.
  bool result = topic && topic->kind == DeviceTopic::Kind::kCommandResult && commands_ != nullptr;
  if (!topic || (topic->kind != DeviceTopic::Kind::kMeasures && !result)) {
    done(ok_status());
    return;
  }
  Status refused = ok_status();
  auto authorize = authorizer(client, refused);
  if (!refused.ok()) {
    done(std::move(refused));
    return;
  }
  if (result) {
    commands_->complete("mqtt", topic->apikey, topic->device_id,
                        payload_format(*topic, message.payload), message.payload, authorize,
                        std::move(done));
    return;
  }
  ingest::Measurement measurement;
  measurement.transport = "mqtt";
  measurement.apikey = topic->apikey;
  measurement.device_id = topic->device_id;
  measurement.object_id = topic->object_id;
  measurement.format = payload_format(*topic, message.payload);
  measurement.payload = message.payload;
  measurement.authorize = std::move(authorize);
  ingest_.ingest(measurement, [done = std::move(done)](Result<ingest::IngestReceipt> receipt) {
    done(receipt ? ok_status() : Status(std::move(receipt).error()));
  });
}

void MqttHooks::on_subscribed(const mqtt::ClientIdentity& client, std::string_view topic_filter) {
  (void)client;
  if (commands_ == nullptr) return;
  std::string filter(topic_filter);
  commands_->redeliver([&filter](const ingest::CommandDevice& device) {
    // Only a subscription that names the device (its own: /{apikey}/{id}/cmd, /{apikey}/{id}/#),
    // not a catch-all such as a monitoring client's '#', which would spend the redelivery
    // while the device is still away.
    return filter.find("/" + device.device_id + "/") != std::string::npos &&
           mqtt::topic_matches(filter, command_topic(device));
  });
}

bool MqttHooks::may_subscribe(const mqtt::ClientIdentity& client, std::string_view topic_filter) {
  (void)client;
  (void)topic_filter;
  return true;  // every authenticated client may subscribe (command topics included)
}

}  // namespace citytwin::server
