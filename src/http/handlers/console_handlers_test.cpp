#include <gtest/gtest.h>

#include <algorithm>

#include "citytwin/http/console_routes.hpp"

namespace citytwin::http {
namespace {

const StaticAsset kAssets[] = {
    {"index.html", "text/html; charset=utf-8", "\"i1\"", "<html>shell</html>", "GZ-INDEX", false},
    {"assets/app-1234.js", "text/javascript; charset=utf-8", "\"a1\"", "console.log(1)", "", true},
};

std::string header_of(const Response& response, std::string_view name) {
  auto it = std::find_if(response.headers.begin(), response.headers.end(),
                         [name](const auto& header) { return header.first == name; });
  return it == response.headers.end() ? std::string() : it->second;
}

Response get(const Router& router, std::string path,
             std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request request;
  request.method = "GET";
  request.path = std::move(path);
  request.headers = std::move(headers);
  auto match = router.match(request);
  if (match.handler == nullptr) return Response::empty(-1);
  EXPECT_EQ(match.permission, Permission::kPublic);
  return (*match.handler)(request);
}

class ConsoleRoutesTest : public ::testing::Test {
 protected:
  Router router_;
  void SetUp() override { add_console_routes(router_, kAssets); }
};

TEST_F(ConsoleRoutesTest, ServesTheShellAtRootAndAtEveryClientRoute) {
  for (std::string path : {"/", "/map", "/entities", "/entities/urn:ngsi-ld:X:1", "/settings"}) {
    auto response = get(router_, path);
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.body, "<html>shell</html>") << path;
    EXPECT_EQ(header_of(response, "Cache-Control"), "no-cache");
    EXPECT_NE(header_of(response, "Content-Security-Policy"), "");
  }
}

TEST_F(ConsoleRoutesTest, ServesAssetsAndRefusesUnknownOnes) {
  auto response = get(router_, "/assets/app-1234.js");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "console.log(1)");
  EXPECT_EQ(header_of(response, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header_of(response, "ETag"), "\"a1\"");
  EXPECT_EQ(header_of(response, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(get(router_, "/assets/missing.js").status, 404);
  EXPECT_EQ(get(router_, "/assets/..%2Findex.html").status, 404);
}

TEST_F(ConsoleRoutesTest, NeverAnswersApiPaths) {
  for (std::string path : {"/ngsi-ld/v1/entities", "/health", "/metrics", "/version",
                           "/citytwin/v1/keys", "/iot/devices", "/kpi/indicators", "/index.html"}) {
    EXPECT_EQ(get(router_, path).status, -1) << path;
  }
}

TEST_F(ConsoleRoutesTest, SendsGzipOnlyWhenAccepted) {
  auto plain = get(router_, "/");
  EXPECT_EQ(header_of(plain, "Content-Encoding"), "");
  EXPECT_EQ(header_of(plain, "Vary"), "Accept-Encoding");
  auto gzip = get(router_, "/", {{"accept-encoding", "br, gzip;q=0.8"}});
  EXPECT_EQ(gzip.body, "GZ-INDEX");
  EXPECT_EQ(header_of(gzip, "Content-Encoding"), "gzip");
  auto refused = get(router_, "/", {{"accept-encoding", "gzip;q=0, br"}});
  EXPECT_EQ(refused.body, "<html>shell</html>");
  // No compressed variant: the plain body whatever the client accepts.
  auto script = get(router_, "/assets/app-1234.js", {{"accept-encoding", "gzip"}});
  EXPECT_EQ(script.body, "console.log(1)");
  EXPECT_EQ(header_of(script, "Content-Encoding"), "");
}

TEST_F(ConsoleRoutesTest, AnswersNotModifiedForAKnownEtag) {
  auto response = get(router_, "/assets/app-1234.js", {{"if-none-match", "\"zz\", W/\"a1\""}});
  EXPECT_EQ(response.status, 304);
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(header_of(response, "ETag"), "\"a1\"");
  EXPECT_EQ(get(router_, "/assets/app-1234.js", {{"if-none-match", "\"zz\""}}).status, 200);
}

TEST(ConsoleRoutes, AddsNothingWithoutAnIndex) {
  Router router;
  add_console_routes(router, std::span<const StaticAsset>(kAssets + 1, 1));
  EXPECT_TRUE(router.routes().empty());
}

}  // namespace
}  // namespace citytwin::http
