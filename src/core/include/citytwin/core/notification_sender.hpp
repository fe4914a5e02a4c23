#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "citytwin/common/result.hpp"

namespace citytwin::core {

// Where and how a notification goes: the same for every notification of a subscription, so
// it is built once (when the subscription is filed) and shared by them instead of copied into
// each (bench/subscriptions: copying these per notification, the Link header formatted each
// time, was a tenth of the dispatcher's CPU).
struct NotificationEndpoint {
  std::string uri;                                           // endpoint.uri
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type, Link, tenant, ...
  // endpoint.notifierInfo pairs (clause 5.2.15): how to deliver, e.g. MQTT-QoS/MQTT-Version.
  std::vector<std::pair<std::string, std::string>> notifier_info;

  bool operator==(const NotificationEndpoint&) const = default;
};

// A shared endpoint (tests and restored notifications build their own).
inline std::shared_ptr<const NotificationEndpoint> make_endpoint(
    std::string uri, std::vector<std::pair<std::string, std::string>> headers = {},
    std::vector<std::pair<std::string, std::string>> notifier_info = {}) {
  return std::make_shared<const NotificationEndpoint>(
      NotificationEndpoint{std::move(uri), std::move(headers), std::move(notifier_info)});
}

// One notification ready to go (GS CIM 009 V1.8.1 clause 5.3.1 and, for HTTP, 7.2).
struct OutgoingNotification {
  // Never changed once shared: a notification with another endpoint gets another one. Null
  // reads as an empty endpoint.
  std::shared_ptr<const NotificationEndpoint> endpoint;
  std::string body;  // the Notification JSON
  // Held until the notification is delivered or given up (dropped, or its subscription
  // deleted); the last holder's release tells the sender of the change it came from that it
  // is handled. Null when nobody waits for it.
  std::shared_ptr<const void> completion;

  // For a change notification: where the items of its `data` array sit in `body`, the ids of
  // the entities they hold and the trigger reason. While such notifications of one
  // subscription wait in its queue, the Notifier joins them into one whose `data` holds each
  // one's entities, in order (clause 5.3.1: data is an array of entities), so a subscription
  // that falls behind catches up with fewer, larger messages. Unset: never joined.
  struct Joinable {
    std::size_t data_begin = 0;  // offset in body of the first item
    std::size_t data_end = 0;    // offset in body one past the last item (its closing ']')
    std::vector<std::string> entity_ids;
    std::string trigger;
  };
  std::optional<Joinable> joinable;

  const NotificationEndpoint& to() const {
    static const NotificationEndpoint kNowhere;
    return endpoint ? *endpoint : kNowhere;
  }
  const std::string& uri() const { return to().uri; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return to().headers; }
  const std::vector<std::pair<std::string, std::string>>& notifier_info() const {
    return to().notifier_info;
  }
  // Whether both go to the same endpoint the same way (the same pointer, or equal).
  bool same_endpoint(const OutgoingNotification& other) const {
    return endpoint == other.endpoint || to() == other.to();
  }
};

// Delivers a notification to its receiver. Implemented over HTTP in src/http/client (Beast
// stays out of core), over MQTT in src/mqtt/client (clause 7.2: `headers` become the message's
// "metadata"), and by fakes in tests. send() blocks the calling notifier thread until
// the receiver answered or the implementation's timeout passed; it must be safe to call from
// several threads at once. OK means the receiver answered 2xx; any other answer, a timeout or
// a network error is an error whose detail says which.
class NotificationSender {
 public:
  virtual ~NotificationSender() = default;
  virtual Status send(const OutgoingNotification& notification) = 0;

  // Notifications that the implementation delivers one after another anyway (MQTT: those
  // published on one broker connection) share a non-empty lane. The Notifier hands such
  // notifications of different subscriptions to send_batch() together, from one thread,
  // instead of letting its threads queue up for the connection one notification each
  // (bench/subscriptions: that contention was a third of the server's CPU). Empty, the
  // default (HTTP): each is sent on its own, so a slow receiver holds up nobody else.
  virtual std::string lane(const OutgoingNotification& /*notification*/) { return {}; }
  // Sends each, in order, and answers one status per notification (as send() would).
  virtual std::vector<Status> send_batch(const std::vector<const OutgoingNotification*>& batch) {
    std::vector<Status> statuses;
    statuses.reserve(batch.size());
    for (const auto* notification : batch) statuses.push_back(send(*notification));
    return statuses;
  }
};

}  // namespace citytwin::core
