#include "citytwin/security/access.hpp"

#include <algorithm>
#include <cctype>

namespace citytwin::security {

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kDevice:
      return "device";
    case Role::kViewer:
      return "viewer";
    case Role::kEditor:
      return "editor";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "viewer") return Role::kViewer;
  if (text == "editor") return Role::kEditor;
  if (text == "admin") return Role::kAdmin;
  return std::nullopt;
}

std::string_view permission_name(Permission permission) {
  switch (permission) {
    case Permission::kPublic:
      return "public";
    case Permission::kRead:
      return "read";
    case Permission::kOpenRead:
      return "open-read";
    case Permission::kWrite:
      return "write";
    case Permission::kDeviceWrite:
      return "device-write";
    case Permission::kAdmin:
      return "admin";
    case Permission::kGlobalAdmin:
      return "global-admin";
  }
  return "global-admin";
}

bool valid_tenant_scope(std::string_view tenant) {
  if (tenant.size() > 64) return false;
  return std::all_of(tenant.begin(), tenant.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

Principal anonymous_reader(std::string_view tenant) {
  return Principal{"anonymous", Role::kViewer, std::string(tenant), true};
}

namespace {

// A device credential opens device routes of its own tenant and nothing else.
Status authorize_as_device(const Principal& principal, Permission permission,
                           std::string_view tenant) {
  if (permission != Permission::kDeviceWrite) {
    return make_error(ErrorKind::kForbidden,
                      "a device credential may only send its own measures and read its own "
                      "commands");
  }
  if (principal.tenant != tenant) {
    return make_error(ErrorKind::kForbidden,
                      "the device credential is not valid for the requested tenant");
  }
  return ok_status();
}

}  // namespace

Status authorize(const Principal& principal, Permission permission, std::string_view tenant) {
  Role needed = Role::kViewer;
  switch (permission) {
    case Permission::kPublic:
      return ok_status();
    case Permission::kRead:
    case Permission::kOpenRead:
      needed = Role::kViewer;
      break;
    case Permission::kWrite:
    case Permission::kDeviceWrite:
      needed = Role::kEditor;
      break;
    case Permission::kAdmin:
    case Permission::kGlobalAdmin:
      needed = Role::kAdmin;
      break;
  }
  if (principal.anonymous) {
    // Never a role check: only open-data reads of the tenant that opened them.
    if (permission == Permission::kOpenRead && principal.tenant == tenant) return ok_status();
    return make_error(ErrorKind::kUnauthorized, "an API key is required for this operation");
  }
  if (principal.role == Role::kDevice) return authorize_as_device(principal, permission, tenant);
  bool all_tenants = principal.tenant == kAllTenants;
  if (permission == Permission::kGlobalAdmin && !all_tenants) {
    return make_error(ErrorKind::kForbidden,
                      "this operation needs an admin key scoped to every tenant (\"*\")");
  }
  if (!all_tenants && principal.tenant != tenant) {
    // Same answer whether or not the tenant exists (no tenant enumeration).
    return make_error(ErrorKind::kForbidden, "the API key is not valid for the requested tenant");
  }
  if (static_cast<int>(principal.role) < static_cast<int>(needed)) {
    return make_error(ErrorKind::kForbidden, "the API key's role (" +
                                                 std::string(role_name(principal.role)) +
                                                 ") does not allow this operation");
  }
  return ok_status();
}

Status authorize_device(const Principal& principal, std::string_view apikey,
                        std::string_view device_id, std::string_view tenant) {
  CT_RETURN_IF_ERROR(authorize(principal, Permission::kDeviceWrite, tenant));
  if (principal.role != Role::kDevice) return ok_status();
  if (apikey != principal.device_apikey ||
      (!principal.device_id.empty() && device_id != principal.device_id)) {
    return make_error(ErrorKind::kForbidden, "the device credential does not cover device '" +
                                                 std::string(device_id) + "' of this apikey");
  }
  return ok_status();
}

}  // namespace citytwin::security
