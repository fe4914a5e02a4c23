#include "mqtt_hooks.hpp"

namespace citytwin::server {

Status MqttHooks::authenticate(const mqtt::ClientIdentity& client,
                               std::optional<std::string_view> password) {
  (void)client;
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
  return security::authorize(*principal, security::Permission::kWrite, tenant);
}

void MqttHooks::on_publish(const mqtt::ClientIdentity& client, const mqtt::InboundPublish& message,
                           std::function<void(Status)> done) {
  (void)client;
  (void)message;
  // Forwarding only: ingestion is not wired yet (see the class comment), so there is no
  // write to wait for.
  done(ok_status());
}

bool MqttHooks::may_subscribe(const mqtt::ClientIdentity& client, std::string_view topic_filter) {
  (void)client;
  (void)topic_filter;
  return true;  // every authenticated client may subscribe (command topics included)
}

}  // namespace citytwin::server
