#include "citytwin/http/outbound_checked_sender.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

namespace citytwin::http {
namespace {

// "scheme://authority" of a URI: all the policy judges (host and port, the scheme for the
// default port). Userinfo cannot hold '/', '?' or '#' unencoded (RFC 3986 clause 3.2.1).
std::string_view origin_of(std::string_view uri) {
  auto scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return uri;
  return uri.substr(0, uri.find_first_of("/?#", scheme_end + 3));
}

}  // namespace

Status OutboundCheckedSender::send(const core::OutgoingNotification& notification) {
  CT_RETURN_IF_ERROR(policy_.check_resolved_url(notification.uri()));
  return inner_.send(notification);
}

std::vector<Status> OutboundCheckedSender::send_batch(
    const std::vector<const core::OutgoingNotification*>& batch) {
  std::vector<Status> statuses(batch.size());
  std::vector<const core::OutgoingNotification*> allowed;
  std::vector<std::size_t> positions;
  // The notifications of a batch mostly go to one broker: an origin allowed once is allowed
  // for the rest of the batch (checked per notification, it was parsed twice each time, and a
  // host name resolved each time). Refusals are not reused, so each names its own URI.
  std::vector<std::string_view> allowed_origins;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::string_view origin = origin_of(batch[i]->uri());
    bool known =
        std::find(allowed_origins.begin(), allowed_origins.end(), origin) != allowed_origins.end();
    statuses[i] = known ? ok_status() : policy_.check_resolved_url(batch[i]->uri());
    if (statuses[i].ok() && !known) allowed_origins.push_back(origin);
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
