#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"
#include "citytwin/security/access.hpp"
#include "citytwin/security/audit_log.hpp"

namespace citytwin::server {

// Device messages over MQTT and CoAP in the audit log (docs/security.md, "Audit log"). A
// city's sensors send thousands of them a second, so each one is counted into a summary per
// device, actor, tenant and outcome (security::AuditLog::tally) instead of a record of its
// own. Only messages whose tenant was resolved are counted: one refused before that (an
// unknown apikey, a malformed topic) changed nothing and names no tenant to file it under.
class DeviceAudit {
 public:
  // `log` null: nothing is recorded (the audit log is off).
  explicit DeviceAudit(security::AuditLog* log) : log_(log) {}

  using Authorize = std::function<Status(std::string_view tenant)>;
  using Done = std::function<void(Status)>;

  // Who sent a message: a key or device principal, or "unauthenticated" (authentication off)
  // or "anonymous" (no credentials, accepted by configuration).
  static security::AuditRecord actor_of(const security::Principal* principal,
                                        std::string_view without_principal);

  struct Tracked {
    Authorize authorize;  // asks `authorize` (when set) and notes the tenant
    Done done;            // counts the message, then calls `done`
  };
  // `who` carries actor, role and scope; `method` ("MQTT PUBLISH", "CoAP POST"), `path` (the
  // topic or URI path without the apikey, a credential) and `device` say what was written.
  Tracked track(security::AuditRecord who, std::string method, std::string path, std::string device,
                Authorize authorize, Done done) const;

 private:
  security::AuditLog* log_;
};

}  // namespace citytwin::server
