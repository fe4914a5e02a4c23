#include "public_url.hpp"

#include <gtest/gtest.h>

namespace citytwin::http::ngsi {
namespace {

Request with_host(std::string host) {
  Request request;
  request.headers.emplace_back("host", std::move(host));
  return request;
}

TEST(PublicUrlTest, BaseUrlFollowsTheHostHeader) {
  EXPECT_EQ(request_base_url(with_host("127.0.0.1:40111"), "http://fallback"),
            "http://127.0.0.1:40111");
  EXPECT_EQ(request_base_url(with_host("broker.city.example"), "http://fallback"),
            "http://broker.city.example");
  EXPECT_EQ(request_base_url(with_host("[::1]:1026"), "http://fallback"), "http://[::1]:1026");
}

// A missing Host (HTTP/1.0) or one that could break the headers it is copied into falls back.
TEST(PublicUrlTest, MissingOrImplausibleHostFallsBack) {
  EXPECT_EQ(request_base_url(Request{}, "http://localhost:1026"), "http://localhost:1026");
  for (const char* host : {"", "evil>; rel=\"x\"", "a b", "host/path", "h,h"}) {
    EXPECT_EQ(request_base_url(with_host(host), "http://localhost:1026"), "http://localhost:1026")
        << host;
  }
}

TEST(PublicUrlTest, OnlyRelativeRegistryUrlsAreMadeAbsolute) {
  EXPECT_EQ(public_context_url("/ngsi-ld/v1/jsonldContexts/abc", "http://h:1"),
            "http://h:1/ngsi-ld/v1/jsonldContexts/abc");
  EXPECT_EQ(public_context_url("https://example.org/ctx.jsonld", "http://h:1"),
            "https://example.org/ctx.jsonld");
}

}  // namespace
}  // namespace citytwin::http::ngsi
