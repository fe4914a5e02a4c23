#pragma once

#include "citytwin/http/router.hpp"
#include "citytwin/security/audit_log.hpp"

namespace citytwin::http {

// CityTwin's own API (not NGSI-LD) for the audit log (docs/security.md, "Audit log"), for
// the admins of the request's tenant (NGSILD-Tenant), who see that tenant's records:
//   GET /citytwin/v1/audit?from=&to=&actor=&limit=&after=
//     -> {"records": [...], "next"?: "<after of the next page>"}
void add_audit_routes(Router& router, security::AuditLog& audit);

}  // namespace citytwin::http
