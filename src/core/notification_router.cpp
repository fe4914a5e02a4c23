#include "citytwin/core/notification_router.hpp"

#include <cctype>

namespace citytwin::core {
namespace {

std::string lower(std::string_view text) {
  std::string out;
  for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void NotificationRouter::route(std::string scheme, NotificationSender& sender) {
  routes_.emplace_back(lower(scheme), &sender);
}

NotificationSender* NotificationRouter::sender_for(const OutgoingNotification& notification,
                                                   std::string& scheme) {
  auto colon = notification.uri().find(':');
  scheme =
      lower(std::string_view(notification.uri()).substr(0, colon == std::string::npos ? 0 : colon));
  for (const auto& [name, sender] : routes_) {
    if (name == scheme) return sender;
  }
  return nullptr;
}

Status NotificationRouter::send(const OutgoingNotification& notification) {
  std::string scheme;
  if (auto* sender = sender_for(notification, scheme)) return sender->send(notification);
  // Subscription validation refuses such URIs; a notification saved by another version may
  // still carry one.
  return make_error(ErrorKind::kServiceUnavailable,
                    "no notifier for the endpoint scheme '" + scheme + "'");
}

std::string NotificationRouter::lane(const OutgoingNotification& notification) {
  std::string scheme;
  auto* sender = sender_for(notification, scheme);
  std::string inner = sender ? sender->lane(notification) : std::string();
  return inner.empty() ? inner : scheme + '\x1f' + inner;
}

std::vector<Status> NotificationRouter::send_batch(
    const std::vector<const OutgoingNotification*>& batch) {
  std::string scheme;
  auto* sender = batch.empty() ? nullptr : sender_for(*batch.front(), scheme);
  if (sender == nullptr) return NotificationSender::send_batch(batch);
  return sender->send_batch(batch);
}

}  // namespace citytwin::core
