#include "citytwin/mqtt/mqtt_notification_sender.hpp"

#include <csignal>
#include <exception>

#include <mosquitto.h>
#include <pthread.h>

#include "broker_connection.hpp"
#include "citytwin/common/json_text.hpp"
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

// {"metadata":{headers},"body":
std::string payload_head(const std::vector<std::pair<std::string, std::string>>& headers) {
  auto same_name = [&](std::size_t a, std::size_t b) {
    return headers[a].first == headers[b].first;
  };
  std::string payload;
  payload += "{\"metadata\":{";
  bool first = true;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    // A name given twice keeps its first place and its last value, as a JSON object built
    // member by member would.
    bool repeated = false;
    for (std::size_t j = 0; j < i && !repeated; ++j) repeated = same_name(i, j);
    if (repeated) continue;
    const std::string* value = &headers[i].second;
    for (std::size_t j = i + 1; j < headers.size(); ++j) {
      if (same_name(i, j)) value = &headers[j].second;
    }
    if (!first) payload += ',';
    first = false;
    append_json_string(payload, headers[i].first);
    payload += ':';
    append_json_string(payload, *value);
  }
  payload += "},\"body\":";
  return payload;
}

std::string assemble(const std::string& head, const std::string& body) {
  std::string payload;
  payload.reserve(head.size() + body.size() + 1);
  payload += head;
  payload += body;
  payload += '}';
  return payload;
}

}  // namespace

std::string mqtt_notification_payload(const core::OutgoingNotification& notification) {
  return assemble(payload_head(notification.headers()), notification.body);
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

Result<std::shared_ptr<const MqttNotificationSender::Route>> MqttNotificationSender::route(
    const core::OutgoingNotification& notification) {
  constexpr std::size_t kMostRoutes = 10000;
  // Each part prefixed with its length, so no two different endpoints share a key.
  std::string key;
  auto add_part = [&](std::string_view part) {
    key += std::to_string(part.size());
    key += ':';
    key += part;
  };
  add_part(notification.uri());
  for (const auto& [name, value] : notification.notifier_info()) {
    add_part(name);
    add_part(value);
  }
  {
    std::lock_guard lock(routes_mutex_);
    if (auto found = routes_.find(key); found != routes_.end()) return found->second;
  }
  auto endpoint = core::parse_mqtt_endpoint(notification.uri());
  if (!endpoint) return make_error(ErrorKind::kServiceUnavailable, endpoint.error().detail);
  auto publish = core::parse_mqtt_notifier_info(notification.notifier_info());
  if (!publish) return make_error(ErrorKind::kServiceUnavailable, publish.error().detail);
  std::string connection = connection_key(*endpoint, publish->version);
  auto parsed =
      std::make_shared<const Route>(Route{std::move(*endpoint), *publish, std::move(connection)});
  std::lock_guard lock(routes_mutex_);
  if (routes_.size() >= kMostRoutes) {
    routes_.clear();
    by_endpoint_.clear();
  }
  routes_.emplace(std::move(key), parsed);
  return parsed;
}

Result<std::shared_ptr<const MqttNotificationSender::Prepared>> MqttNotificationSender::prepared(
    const core::OutgoingNotification& notification) {
  constexpr std::size_t kMostRoutes = 10000;
  if (notification.endpoint) {
    std::lock_guard lock(routes_mutex_);
    if (auto found = by_endpoint_.find(notification.endpoint.get()); found != by_endpoint_.end()) {
      return found->second.prepared;
    }
  }
  auto found = route(notification);
  if (!found) return std::move(found).error();
  auto made = std::make_shared<const Prepared>(
      Prepared{std::move(*found), payload_head(notification.headers())});
  if (notification.endpoint) {
    std::lock_guard lock(routes_mutex_);
    if (by_endpoint_.size() >= kMostRoutes) by_endpoint_.clear();
    by_endpoint_.emplace(notification.endpoint.get(), Known{notification.endpoint, made});
  }
  return made;
}

Status MqttNotificationSender::send(const core::OutgoingNotification& notification) {
  try {
    block_sigpipe_in_this_thread();
    auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    auto found = prepared(notification);
    if (!found) return std::move(found).error();
    const Route& to = *(*found)->route;
    return connection(to.connection_key, to.endpoint, to.publish.version)
        ->publish(to.endpoint.topic, assemble((*found)->head, notification.body), to.publish.qos,
                  deadline);
  } catch (const std::exception& exception) {
    return make_error(ErrorKind::kServiceUnavailable,
                      std::string("internal error in the MQTT client: ") + exception.what());
  }
}

std::string MqttNotificationSender::lane(const core::OutgoingNotification& notification) {
  auto found = prepared(notification);
  if (!found) return {};  // send() reports why
  return (*found)->route->connection_key;
}

std::vector<Status> MqttNotificationSender::send_batch(
    const std::vector<const core::OutgoingNotification*>& batch) {
  try {
    block_sigpipe_in_this_thread();
    std::vector<MqttBrokerConnection::Message> messages;
    messages.reserve(batch.size());
    std::shared_ptr<const Route> first;
    for (const auto* notification : batch) {
      auto found = prepared(*notification);
      if (!found) return NotificationSender::send_batch(batch);
      const Route& to = *(*found)->route;
      if (!first) {
        first = (*found)->route;
      } else if (to.connection_key != first->connection_key) {
        return NotificationSender::send_batch(batch);
      }
      messages.push_back(MqttBrokerConnection::Message{
          to.endpoint.topic, assemble((*found)->head, notification->body), to.publish.qos});
    }
    if (!first) return {};
    return connection(first->connection_key, first->endpoint, first->publish.version)
        ->publish_all(messages, options_.timeout);
  } catch (const std::exception& exception) {
    return std::vector<Status>(
        batch.size(),
        make_error(ErrorKind::kServiceUnavailable,
                   std::string("internal error in the MQTT client: ") + exception.what()));
  }
}

}  // namespace citytwin::mqtt
