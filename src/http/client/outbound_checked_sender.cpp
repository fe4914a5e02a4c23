#include "citytwin/http/outbound_checked_sender.hpp"

namespace citytwin::http {

Status OutboundCheckedSender::send(const core::OutgoingNotification& notification) {
  CT_RETURN_IF_ERROR(policy_.check_resolved_url(notification.uri));
  return inner_.send(notification);
}

}  // namespace citytwin::http
