#include "device_audit.hpp"

#include <memory>
#include <mutex>
#include <optional>

#include "citytwin/http/problem.hpp"

namespace citytwin::server {

security::AuditRecord DeviceAudit::actor_of(const security::Principal* principal,
                                            std::string_view without_principal) {
  security::AuditRecord who;
  if (principal == nullptr) {
    who.actor = std::string(without_principal);
    return who;
  }
  who.actor = principal->key_id;
  who.role = std::string(security::role_name(principal->role));
  who.scope = principal->tenant;
  return who;
}

DeviceAudit::Tracked DeviceAudit::track(security::AuditRecord who, std::string method,
                                        std::string path, std::string device, Authorize authorize,
                                        Done done) const {
  if (log_ == nullptr) return Tracked{std::move(authorize), std::move(done)};
  // The tenant is noted on the pipeline's thread and read on the store's commit thread.
  struct Message {
    std::mutex mutex;
    std::optional<std::string> tenant;
  };
  auto message = std::make_shared<Message>();
  Tracked tracked;
  tracked.authorize = [message, authorize = std::move(authorize)](std::string_view tenant) {
    {
      std::lock_guard lock(message->mutex);
      message->tenant = std::string(tenant);
    }
    return authorize ? authorize(tenant) : ok_status();
  };
  who.kind = "write";
  who.method = std::move(method);
  who.path = std::move(path);
  who.device = std::move(device);
  tracked.done = [log = log_, message, who = std::move(who),
                  done = std::move(done)](Status status) mutable {
    std::optional<std::string> tenant;
    {
      std::lock_guard lock(message->mutex);
      tenant = message->tenant;
    }
    if (tenant) {
      who.tenant = std::move(*tenant);
      who.status = status.ok() ? 200 : http::status_for(status.error().kind);
      log->tally(who);
    }
    done(std::move(status));
  };
  return tracked;
}

}  // namespace citytwin::server
