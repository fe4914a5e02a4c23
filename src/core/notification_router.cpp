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

Status NotificationRouter::send(const OutgoingNotification& notification) {
  auto colon = notification.uri.find(':');
  std::string scheme =
      lower(std::string_view(notification.uri).substr(0, colon == std::string::npos ? 0 : colon));
  for (const auto& [name, sender] : routes_) {
    if (name == scheme) return sender->send(notification);
  }
  // Subscription validation refuses such URIs; a notification saved by another version may
  // still carry one.
  return make_error(ErrorKind::kServiceUnavailable,
                    "no notifier for the endpoint scheme '" + scheme + "'");
}

}  // namespace citytwin::core
