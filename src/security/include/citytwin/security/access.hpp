#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"

namespace citytwin::security {

// What a key may do inside the tenants it is scoped to (docs/security.md has the table).
// Ordered: each role can do everything the one before it can.
enum class Role { kViewer, kEditor, kAdmin };

// What a route requires, declared next to the route where it is added (http::Router::add).
enum class Permission {
  kPublic,  // no credentials: liveness, readiness and version probes
  kRead,    // viewer or better, in the request's tenant
  // kRead, and also anonymous requests of a tenant that opened entity types as open data:
  // those see only the open types (core::ReadRestriction, applied by every read of core).
  kOpenRead,
  kWrite,        // editor or better, in the request's tenant
  kAdmin,        // admin, in the request's tenant
  kGlobalAdmin,  // admin of every tenant ("*"): key management, state shared by all tenants
};

// The tenant scope of a key that may act in every tenant. Only admin keys may have it.
inline constexpr std::string_view kAllTenants = "*";

std::string_view role_name(Role role);
std::optional<Role> parse_role(std::string_view text);
std::string_view permission_name(Permission permission);

// Who made a request: the key that authenticated it.
struct Principal {
  std::string key_id;  // public id, safe to log
  Role role = Role::kViewer;
  std::string tenant;  // "" = the default tenant, "*" = every tenant
  // A request without credentials admitted to a tenant's open data: allowed kOpenRead (and
  // kPublic) routes of that one tenant only, whatever `role` says.
  bool anonymous = false;
};

// The principal of an anonymous open-data request of `tenant`.
Principal anonymous_reader(std::string_view tenant);

// Whether `principal` may use a route requiring `permission` on `tenant` ("" = default
// tenant). Fails with kForbidden; the detail never says whether the tenant exists, so a key
// scoped to one tenant learns nothing about the others.
Status authorize(const Principal& principal, Permission permission, std::string_view tenant);

// The tenant-name rule of the NGSILD-Tenant header (1-64 of [A-Za-z0-9_.-]); "" is the
// default tenant and is valid too.
bool valid_tenant_scope(std::string_view tenant);

}  // namespace citytwin::security
