#include "mqtt_hooks.hpp"

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

void MqttHooks::on_publish(const mqtt::ClientIdentity& client, const mqtt::InboundPublish& message,
                           std::function<void(Status)> done) {
  std::function<Status(std::string_view)> authorize;
  if (keys_ != nullptr) {
    auto principal = principal_of(client.client_id);
    if (!principal) {
      done(make_error(ErrorKind::kUnauthorized, "the MQTT client is not authenticated"));
      return;
    }
    authorize = [principal = std::move(*principal)](std::string_view tenant) {
      return security::authorize(principal, security::Permission::kWrite, tenant);
    };
  }
  devices_.handle(message.topic, message.payload, std::move(authorize), std::move(done));
}

bool MqttHooks::may_subscribe(const mqtt::ClientIdentity& client, std::string_view topic_filter) {
  (void)client;
  (void)topic_filter;
  return true;  // every authenticated client may subscribe (command topics included)
}

}  // namespace citytwin::server
