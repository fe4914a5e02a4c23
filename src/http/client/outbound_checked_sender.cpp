#include "citytwin/http/outbound_checked_sender.hpp"

namespace citytwin::http {

Status OutboundCheckedSender::send(const core::OutgoingNotification& notification) {
  CT_RETURN_IF_ERROR(policy_.check_resolved_url(notification.uri));
  return inner_.send(notification);
}

std::vector<Status> OutboundCheckedSender::send_batch(
    const std::vector<const core::OutgoingNotification*>& batch) {
  std::vector<Status> statuses(batch.size());
  std::vector<const core::OutgoingNotification*> allowed;
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    statuses[i] = policy_.check_resolved_url(batch[i]->uri);
    if (statuses[i].ok()) {
      allowed.push_back(batch[i]);
      positions.push_back(i);
    }
  }
  if (allowed.empty()) return statuses;
  std::vector<Status> sent = inner_.send_batch(allowed);
  for (std::size_t i = 0; i < positions.size() && i < sent.size(); ++i) {
    statuses[positions[i]] = std::move(sent[i]);
  }
  return statuses;
}

}  // namespace citytwin::http
