#include "citytwin/security/access.hpp"

#include <gtest/gtest.h>

namespace citytwin::security {
namespace {

bool allowed(Role role, std::string tenant, Permission permission, std::string_view on) {
  return authorize(Principal{"k", role, std::move(tenant)}, permission, on).ok();
}

TEST(Authorize, RolesAreOrdered) {
  EXPECT_TRUE(allowed(Role::kViewer, "", Permission::kRead, ""));
  EXPECT_FALSE(allowed(Role::kViewer, "", Permission::kWrite, ""));
  EXPECT_FALSE(allowed(Role::kViewer, "", Permission::kAdmin, ""));
  EXPECT_TRUE(allowed(Role::kEditor, "", Permission::kRead, ""));
  EXPECT_TRUE(allowed(Role::kEditor, "", Permission::kWrite, ""));
  EXPECT_FALSE(allowed(Role::kEditor, "", Permission::kAdmin, ""));
  EXPECT_TRUE(allowed(Role::kAdmin, "", Permission::kAdmin, ""));
  EXPECT_TRUE(allowed(Role::kViewer, "", Permission::kPublic, "other"));
}

TEST(Authorize, TenantScope) {
  EXPECT_TRUE(allowed(Role::kAdmin, "a", Permission::kWrite, "a"));
  EXPECT_FALSE(allowed(Role::kAdmin, "a", Permission::kRead, "b"));
  EXPECT_FALSE(allowed(Role::kAdmin, "a", Permission::kRead, ""));  // default tenant is a tenant
  EXPECT_FALSE(allowed(Role::kAdmin, "", Permission::kRead, "a"));
  EXPECT_TRUE(allowed(Role::kAdmin, "*", Permission::kWrite, "anything"));
  auto denied = authorize(Principal{"k", Role::kViewer, "a"}, Permission::kRead, "b");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind, ErrorKind::kForbidden);
  EXPECT_EQ(denied.error().detail.find("b"), std::string::npos);  // says nothing about b
}

TEST(Authorize, AnonymousReadersReachOnlyOpenReadsOfTheirTenant) {
  Principal anonymous = anonymous_reader("city");
  EXPECT_TRUE(authorize(anonymous, Permission::kOpenRead, "city").ok());
  EXPECT_TRUE(authorize(anonymous, Permission::kPublic, "city").ok());
  EXPECT_FALSE(authorize(anonymous, Permission::kOpenRead, "other").ok());
  EXPECT_FALSE(authorize(anonymous, Permission::kOpenRead, "").ok());
  for (auto permission :
       {Permission::kRead, Permission::kWrite, Permission::kAdmin, Permission::kGlobalAdmin}) {
    auto denied = authorize(anonymous, permission, "city");
    ASSERT_FALSE(denied.ok());
    EXPECT_EQ(denied.error().kind, ErrorKind::kUnauthorized);
  }
  // A key's open read is a plain read.
  EXPECT_TRUE(allowed(Role::kViewer, "city", Permission::kOpenRead, "city"));
  EXPECT_FALSE(allowed(Role::kViewer, "city", Permission::kOpenRead, "other"));
}

Principal device(std::string tenant, std::string apikey, std::string device_id) {
  Principal principal{"device:d", Role::kDevice, std::move(tenant)};
  principal.device_apikey = std::move(apikey);
  principal.device_id = std::move(device_id);
  return principal;
}

TEST(Authorize, DevicesReachOnlyDeviceRoutesOfTheirTenant) {
  Principal sensor = device("city", "wx", "station7");
  EXPECT_TRUE(authorize(sensor, Permission::kDeviceWrite, "city").ok());
  EXPECT_TRUE(authorize(sensor, Permission::kPublic, "other").ok());
  EXPECT_FALSE(authorize(sensor, Permission::kDeviceWrite, "other").ok());
  EXPECT_FALSE(authorize(sensor, Permission::kDeviceWrite, "").ok());
  for (auto permission : {Permission::kOpenRead, Permission::kRead, Permission::kWrite,
                          Permission::kAdmin, Permission::kGlobalAdmin}) {
    auto denied = authorize(sensor, permission, "city");
    ASSERT_FALSE(denied.ok());
    EXPECT_EQ(denied.error().kind, ErrorKind::kForbidden);
  }
  // Device routes are an editor's writes for keys.
  EXPECT_TRUE(allowed(Role::kEditor, "city", Permission::kDeviceWrite, "city"));
  EXPECT_FALSE(allowed(Role::kViewer, "city", Permission::kDeviceWrite, "city"));
  EXPECT_FALSE(allowed(Role::kEditor, "city", Permission::kDeviceWrite, "other"));
}

TEST(Authorize, DevicesActOnlyForThemselves) {
  Principal sensor = device("city", "wx", "station7");
  EXPECT_TRUE(authorize_device(sensor, "wx", "station7", "city").ok());
  EXPECT_FALSE(authorize_device(sensor, "wx", "station8", "city").ok());
  EXPECT_FALSE(authorize_device(sensor, "other", "station7", "city").ok());
  EXPECT_FALSE(authorize_device(sensor, "wx", "station7", "other").ok());
  Principal group = device("city", "wx", "");
  EXPECT_TRUE(authorize_device(group, "wx", "station8", "city").ok());
  EXPECT_FALSE(authorize_device(group, "other", "station8", "city").ok());
  // Keys are checked by role and tenant only: an editor writes for any device.
  Principal editor{"k", Role::kEditor, "city"};
  EXPECT_TRUE(authorize_device(editor, "any", "device", "city").ok());
  EXPECT_FALSE(authorize_device(editor, "any", "device", "other").ok());
  EXPECT_FALSE(authorize_device(Principal{"k", Role::kViewer, "city"}, "wx", "s", "city").ok());
}

TEST(Authorize, GlobalAdminNeedsEveryTenant) {
  EXPECT_TRUE(allowed(Role::kAdmin, "*", Permission::kGlobalAdmin, ""));
  EXPECT_FALSE(allowed(Role::kAdmin, "", Permission::kGlobalAdmin, ""));
  EXPECT_FALSE(allowed(Role::kAdmin, "a", Permission::kGlobalAdmin, "a"));
}

TEST(Roles, ParseAndName) {
  for (Role role : {Role::kViewer, Role::kEditor, Role::kAdmin}) {
    EXPECT_EQ(parse_role(role_name(role)), role);
  }
  EXPECT_FALSE(parse_role("root").has_value());
  EXPECT_FALSE(parse_role("Admin").has_value());
  // Only device credentials hold the device role: no key or token can be given it.
  EXPECT_EQ(role_name(Role::kDevice), "device");
  EXPECT_FALSE(parse_role("device").has_value());
}

}  // namespace
}  // namespace citytwin::security
