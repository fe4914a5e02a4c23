#pragma once

#include "citytwin/core/notification_sender.hpp"
#include "citytwin/http/outbound_policy.hpp"

namespace citytwin::http {

// Applies the outbound policy (SSRF protection, outbound_policy.hpp) to a notification sender
// that does not apply it itself (the MQTT one): the endpoint's host is resolved and every
// address checked before the notification is handed on; a refused destination fails the
// delivery with the reason, and the receiver is never contacted.
class OutboundCheckedSender final : public core::NotificationSender {
 public:
  // Both must outlive this sender.
  OutboundCheckedSender(const OutboundPolicy& policy, core::NotificationSender& inner)
      : policy_(policy), inner_(inner) {}

  Status send(const core::OutgoingNotification& notification) override;
  std::string lane(const core::OutgoingNotification& notification) override {
    return inner_.lane(notification);
  }
  // Each destination is checked; those allowed go on to the inner sender as one batch.
  std::vector<Status> send_batch(
      const std::vector<const core::OutgoingNotification*>& batch) override;

 private:
  const OutboundPolicy& policy_;
  core::NotificationSender& inner_;
};

}  // namespace citytwin::http
