#include "mqtt_hooks.hpp"

#include "citytwin/mqtt/topic.hpp"
#include "command_transports.hpp"
#include "mqtt_topic.hpp"

namespace citytwin::server {

// A verified client certificate (docs/mqtt.md, "Client certificates") stands for the device
// credential its subject CN names, as the right password would: the same topics and tenant.
Result<bool> MqttHooks::authenticate_certificate(const mqtt::ClientIdentity& client) {
  if (!client.username.empty() && client.username != client.certificate_cn) {
    return make_error(ErrorKind::kUnauthorized,
                      "the user name differs from the client certificate's CN");
  }
  using Found = std::optional<security::DeviceCredential>;
  auto credential = access_.credentials == nullptr
                        ? Result<Found>(Found())
                        : access_.credentials->find(client.certificate_cn);
  if (!credential) return std::move(credential).error();
  if (!*credential) {
    return make_error(ErrorKind::kUnauthorized,
                      "the client certificate's CN names no device credential");
  }
  std::lock_guard lock(principals_mutex_);
  device_credentials_[client.client_id] = std::move(**credential);
  return true;
}

Result<bool> MqttHooks::authenticate_device(const mqtt::ClientIdentity& client,
                                            std::optional<std::string_view> password) {
  if (!client.certificate_cn.empty()) return authenticate_certificate(client);
  if (access_.credentials == nullptr || client.username.empty()) return false;
  auto known = access_.credentials->exists(client.username);
  if (!known) return std::move(known).error();
  if (!*known) return false;
  auto credential = access_.credentials->authenticate(client.username, password.value_or(""));
  if (!credential) return std::move(credential).error();
  std::lock_guard lock(principals_mutex_);
  device_credentials_[client.client_id] = std::move(*credential);
  return true;
}

Status MqttHooks::authenticate(const mqtt::ClientIdentity& client,
                               std::optional<std::string_view> password) {
  auto device = authenticate_device(client, password);
  if (!device) return std::move(device).error();
  if (*device) return ok_status();
  const bool anonymous = !password || password->empty();
  if (keys_ == nullptr || anonymous) {
    if (access_.allow_anonymous) return ok_status();
    return make_error(ErrorKind::kUnauthorized,
                      keys_ == nullptr ? "anonymous MQTT clients are not accepted: connect "
                                         "with a device credential"
                                       : "an API key or a device credential is required");
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

std::optional<security::DeviceCredential> MqttHooks::device_of(const std::string& client_id) {
  std::lock_guard lock(principals_mutex_);
  auto found = device_credentials_.find(client_id);
  if (found == device_credentials_.end()) return std::nullopt;
  return found->second;
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
  device_credentials_.erase(client.client_id);
}

Status MqttHooks::check_device_rate(std::string_view topic) {
  if (!device_limiter_) return ok_status();
  auto device = parse_device_topic(topic);
  if (!device) return ok_status();  // plain MQTT traffic: the connection's limit applies
  std::string key = device->apikey + "/" + device->device_id;
  if (!device_limiter_->acquire(key, std::chrono::steady_clock::now())) return ok_status();
  if (access_.metrics != nullptr) {
    access_.metrics->add_counter("citytwin_mqtt_device_rate_limited", {});
  }
  return make_error(ErrorKind::kTooManyRequests,
                    "device '" + device->device_id + "' is over its rate limit");
}

// The check of a measurement's or command result's tenant against the client's key (empty
// with authentication off); `refused` is set when the client has no key on record.

void MqttHooks::on_publish(const mqtt::ClientIdentity& client, const mqtt::InboundPublish& message,
                           std::function<void(Status)> done) {
  std::function<Status(std::string_view)> authorize;
  security::AuditRecord who;
  if (auto device = device_of(client.client_id)) {
    // A device writes only its own topics, into its credential's tenant.
    if (!topic_allowed(*device, message.topic, false)) {
      done(make_error(ErrorKind::kForbidden, "the topic '" + message.topic +
                                                 "' is not one of device credential '" +
                                                 device->username + "'"));
      return;
    }
    security::Principal principal = security::device_principal(*device);
    who = DeviceAudit::actor_of(&principal, "");
    authorize = [tenant = device->tenant](std::string_view target) {
      if (target == tenant) return ok_status();
      return Status(make_error(ErrorKind::kForbidden, "the device credential's tenant differs"));
    };
  } else if (auto principal = principal_of(client.client_id)) {
    who = DeviceAudit::actor_of(&*principal, "");
    authorize = [principal = std::move(*principal)](std::string_view tenant) {
      return security::authorize(principal, security::Permission::kWrite, tenant);
    };
  } else if (keys_ != nullptr && !access_.allow_anonymous) {
    done(make_error(ErrorKind::kUnauthorized, "the MQTT client is not authenticated"));
    return;
  } else {
    who = DeviceAudit::actor_of(nullptr, keys_ == nullptr ? "unauthenticated" : "anonymous");
  }
  if (auto rate = check_device_rate(message.topic); !rate.ok()) {
    done(std::move(rate));
    return;
  }
  devices_.handle(message.topic, message.payload, who, std::move(authorize), std::move(done));
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

void MqttHooks::on_session_resumed(const mqtt::ClientIdentity& client,
                                   const std::vector<std::string>& topic_filters) {
  for (const auto& filter : topic_filters) on_subscribed(client, filter);
}

bool MqttHooks::may_subscribe(const mqtt::ClientIdentity& client, std::string_view topic_filter) {
  // A device subscribes to its own command topics only; other clients to anything.
  if (auto device = device_of(client.client_id)) {
    return topic_allowed(*device, topic_filter, true);
  }
  return true;
}

}  // namespace citytwin::server
