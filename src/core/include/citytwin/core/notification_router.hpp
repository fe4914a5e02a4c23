#pragma once

#include <string>
#include <utility>
#include <vector>

#include "citytwin/core/notification_sender.hpp"

namespace citytwin::core {

// A NotificationSender that hands each notification to the sender registered for the scheme
// of its endpoint URI (http/https to the HTTP client, mqtt/mqtts to the MQTT client; GS CIM
// 009 V1.8.1 clauses 7.2 and 5.2.15). Schemes compare case-insensitively. Registration
// happens before the first send; send() is then safe from several threads.
class NotificationRouter final : public NotificationSender {
 public:
  // `sender` must outlive the router.
  void route(std::string scheme, NotificationSender& sender);
  Status send(const OutgoingNotification& notification) override;
  // The scheme's sender's lane, prefixed with the scheme; a batch goes to the sender of its
  // first notification's scheme (one lane, so one scheme).
  std::string lane(const OutgoingNotification& notification) override;
  std::vector<Status> send_batch(const std::vector<const OutgoingNotification*>& batch) override;

 private:
  // The sender for the notification's scheme, or null.
  NotificationSender* sender_for(const OutgoingNotification& notification, std::string& scheme);

  std::vector<std::pair<std::string, NotificationSender*>> routes_;
};

}  // namespace citytwin::core
