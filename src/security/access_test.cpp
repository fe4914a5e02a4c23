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
}

}  // namespace
}  // namespace citytwin::security
