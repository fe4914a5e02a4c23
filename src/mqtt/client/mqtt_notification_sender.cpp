#include "citytwin/mqtt/mqtt_notification_sender.hpp"

#include <csignal>
#include <exception>
#include <optional>

#include <mosquitto.h>
#include <pthread.h>
#include <boost/json.hpp>

#include "broker_connection.hpp"
#include "citytwin/core/mqtt_endpoint.hpp"

namespace citytwin::mqtt {
namespace {

// libmosquitto writes TLS records with write(), which raises SIGPIPE on a socket the broker
// closed. Blocked in the notifier threads that publish (the error then comes back as EPIPE).
void block_sigpipe_in_this_thread() {
  thread_local bool blocked = false;
  if (blocked) return;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  blocked = true;
}

std::string connection_key(const core::MqttEndpoint& endpoint, core::MqttVersion version) {
  std::string key = endpoint.tls ? "mqtts" : "mqtt";
  key += '\x1f' + endpoint.host + '\x1f' + std::to_string(endpoint.port) + '\x1f';
  key += endpoint.username.value_or("") + '\x1f' + endpoint.password.value_or("");
  key += version == core::MqttVersion::kV5 ? "\x1f"
                                             "5"
                                           : "\x1f"
                                             "4";
  return key;
}

}  // namespace

std::string mqtt_notification_payload(const core::OutgoingNotification& notification) {
  boost::json::object metadata;
  for (const auto& [name, value] : notification.headers) metadata[name] = value;
  std::string payload = "{\"metadata\":";
  payload += boost::json::serialize(metadata);
  payload += ",\"body\":";
  payload += notification.body;
  payload += '}';
  return payload;
}

MqttNotificationSender::MqttNotificationSender(MqttNotificationSenderOptions options)
    : options_(std::move(options)) {
  mosquitto_lib_init();
}

MqttNotificationSender::~MqttNotificationSender() {
  connections_.clear();
  mosquitto_lib_cleanup();
}

std::size_t MqttNotificationSender::connection_count() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

// Connections unused for two keep-alive periods are closed, at most once per keep-alive.
void MqttNotificationSender::sweep_idle() {
  auto now = std::chrono::steady_clock::now();
  if (now < next_sweep_) return;
  next_sweep_ = now + options_.keep_alive;
  std::erase_if(connections_, [&](const auto& entry) {
    return entry.second.use_count() == 1 && entry.second->idle_for(2 * options_.keep_alive);
  });
}

std::shared_ptr<MqttBrokerConnection> MqttNotificationSender::connection(
    const std::string& key, const core::MqttEndpoint& endpoint, core::MqttVersion version) {
  std::lock_guard lock(mutex_);
  sweep_idle();
  auto& slot = connections_[key];
  if (!slot) slot = std::make_shared<MqttBrokerConnection>(endpoint, version, options_);
  return slot;
}

Status MqttNotificationSender::send(const core::OutgoingNotification& notification) {
  try {
    block_sigpipe_in_this_thread();
    auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    auto endpoint = core::parse_mqtt_endpoint(notification.uri);
    if (!endpoint) return make_error(ErrorKind::kServiceUnavailable, endpoint.error().detail);
    auto publish = core::parse_mqtt_notifier_info(notification.notifier_info);
    if (!publish) return make_error(ErrorKind::kServiceUnavailable, publish.error().detail);
    return connection(connection_key(*endpoint, publish->version), *endpoint, publish->version)
        ->publish(endpoint->topic, mqtt_notification_payload(notification), publish->qos, deadline);
  } catch (const std::exception& exception) {
    return make_error(ErrorKind::kServiceUnavailable,
                      std::string("internal error in the MQTT client: ") + exception.what());
  }
}

std::string MqttNotificationSender::lane(const core::OutgoingNotification& notification) {
  auto endpoint = core::parse_mqtt_endpoint(notification.uri);
  auto publish = core::parse_mqtt_notifier_info(notification.notifier_info);
  if (!endpoint || !publish) return {};  // send() reports why
  return connection_key(*endpoint, publish->version);
}

std::vector<Status> MqttNotificationSender::send_batch(
    const std::vector<const core::OutgoingNotification*>& batch) {
  try {
    block_sigpipe_in_this_thread();
    std::vector<MqttBrokerConnection::Message> messages;
    messages.reserve(batch.size());
    std::optional<core::MqttEndpoint> first;
    std::string key;
    core::MqttVersion version = core::MqttVersion::kV5;
    for (const auto* notification : batch) {
      auto endpoint = core::parse_mqtt_endpoint(notification->uri);
      auto publish = core::parse_mqtt_notifier_info(notification->notifier_info);
      if (!endpoint || !publish) return NotificationSender::send_batch(batch);
      std::string this_key = connection_key(*endpoint, publish->version);
      if (!first) {
        key = this_key;
        version = publish->version;
        first = *endpoint;
      } else if (this_key != key) {
        return NotificationSender::send_batch(batch);
      }
      messages.push_back(MqttBrokerConnection::Message{
          endpoint->topic, mqtt_notification_payload(*notification), publish->qos});
    }
    if (!first) return {};
    return connection(key, *first, version)->publish_all(messages, options_.timeout);
  } catch (const std::exception& exception) {
    return std::vector<Status>(
        batch.size(),
        make_error(ErrorKind::kServiceUnavailable,
                   std::string("internal error in the MQTT client: ") + exception.what()));
  }
}

}  // namespace citytwin::mqtt
