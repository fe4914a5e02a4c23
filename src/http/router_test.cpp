#include "citytwin/http/router.hpp"

#include <gtest/gtest.h>

namespace citytwin::http {
namespace {

Response ok(Request&) {
  return Response::empty(200);
}

TEST(Router, MatchesParametersAndDecodesThem) {
  Router router;
  router.add("GET", "/ngsi-ld/v1/entities/{entityId}", Permission::kRead, ok);
  Request request;
  request.method = "GET";
  request.path = "/ngsi-ld/v1/entities/urn%3Angsi-ld%3AX%2F1";
  auto match = router.match(request);
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(match.route, "/ngsi-ld/v1/entities/{entityId}");
  EXPECT_EQ(request.path_param("entityId"), "urn:ngsi-ld:X/1");
}

TEST(Router, ReportsAllowedMethodsForKnownPath) {
  Router router;
  router.add("GET", "/a/{id}", Permission::kRead, ok);
  router.add("DELETE", "/a/{id}", Permission::kRead, ok);
  Request request;
  request.method = "POST";
  request.path = "/a/1";
  auto match = router.match(request);
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_TRUE(match.path_known);
  EXPECT_EQ(match.allowed, (std::vector<std::string>{"GET", "DELETE"}));
}

TEST(Router, UnknownPathAndEmptyParameter) {
  Router router;
  router.add("GET", "/a/{id}", Permission::kRead, ok);
  Request request;
  request.method = "GET";
  request.path = "/b/1";
  EXPECT_FALSE(router.match(request).path_known);
  request.path = "/a/";
  EXPECT_EQ(router.match(request).handler, nullptr);
}

TEST(Router, RejectsMalformedEscape) {
  std::string out;
  EXPECT_FALSE(percent_decode("abc%2", out));
  EXPECT_FALSE(percent_decode("abc%zz", out));
  EXPECT_TRUE(percent_decode("a%20b", out));
  EXPECT_EQ(out, "a b");
}

}  // namespace
}  // namespace citytwin::http

namespace citytwin::http {
namespace {

Response named(std::string name) {
  return Response::with_body(200, "text/plain", std::move(name));
}

TEST(Router, FirstDeclaredRouteOfTheMethodWinsAmongRoutesOfTheSameLength) {
  Router router;
  router.add("GET", "/a/{id}/x", Permission::kRead, [](Request&) { return named("param"); });
  router.add("GET", "/a/fixed/x", Permission::kRead, [](Request&) { return named("literal"); });
  router.add("PUT", "/a/fixed/x", Permission::kRead, [](Request&) { return named("put"); });
  router.add("GET", "/a/fixed", Permission::kRead, [](Request&) { return named("short"); });
  Request request;
  request.method = "GET";
  request.path = "/a/fixed/x";
  auto match = router.match(request);
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(match.route, "/a/{id}/x");
  EXPECT_EQ(request.path_param("id"), "fixed");
  request.method = "PUT";
  EXPECT_EQ(router.match(request).route, "/a/fixed/x");
  request.method = "GET";
  request.path = "/a/fixed";
  EXPECT_EQ(router.match(request).route, "/a/fixed");
  request.path = "/a/fixed/x/y/z/w";  // longer than every route
  match = router.match(request);
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_FALSE(match.path_known);
  request.method = "DELETE";
  request.path = "/a/other/x";
  match = router.match(request);
  EXPECT_TRUE(match.path_known);
  EXPECT_EQ(match.allowed, (std::vector<std::string>{"GET"}));
}

}  // namespace
}  // namespace citytwin::http
