#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"

namespace citytwin::security {

// What a key may do inside the tenants it is scoped to (docs/security.md has the table).
// Ordered from kViewer: each role can do everything the one before it can. kDevice stands
// apart (issue #6, "a device may only publish for itself and read its own commands"): only
// device credentials hold it, never an API key or a token, and it allows kDeviceWrite routes
// for its own device (or group) and tenant, nothing else.
enum class Role { kDevice, kViewer, kEditor, kAdmin };

// What a route requires, declared next to the route where it is added (http::Router::add).
enum class Permission {
  kPublic,  // no credentials: liveness, readiness and version probes
  kRead,    // viewer or better, in the request's tenant
  // kRead, and also anonymous requests of a tenant that opened entity types as open data:
  // those see only the open types (core::ReadRestriction, applied by every read of core).
  kOpenRead,
  kWrite,  // editor or better, in the request's tenant
  // kWrite, and also a device credential of the tenant: device measures, command polling and
  // command results (docs/security.md, "Device credentials"). Which device it is is checked
  // by authorize_device, once the apikey and device id are known.
  kDeviceWrite,
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
  // Role kDevice only: the service group apikey and device id its credential covers
  // (device_id "" = every device of the group).
  std::string device_apikey = {};
  std::string device_id = {};
};

// The principal of an anonymous open-data request of `tenant`.
Principal anonymous_reader(std::string_view tenant);

// Whether `principal` may use a route requiring `permission` on `tenant` ("" = default
// tenant). Fails with kForbidden; the detail never says whether the tenant exists, so a key
// scoped to one tenant learns nothing about the others.
Status authorize(const Principal& principal, Permission permission, std::string_view tenant);

// authorize(kDeviceWrite, tenant), and for a device principal also that the measure or
// command of `apikey`/`device_id` is its own (any device of its apikey for a group
// credential). kForbidden otherwise.
Status authorize_device(const Principal& principal, std::string_view apikey,
                        std::string_view device_id, std::string_view tenant);

// The tenant-name rule of the NGSILD-Tenant header (1-64 of [A-Za-z0-9_.-]); "" is the
// default tenant and is valid too.
bool valid_tenant_scope(std::string_view tenant);

}  // namespace citytwin::security
