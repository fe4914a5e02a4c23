#include "citytwin/http/http_getter.hpp"

#include <gtest/gtest.h>

namespace citytwin::http {
namespace {

TEST(CacheMaxAge, ReadsMaxAgeAmongOtherDirectives) {
  EXPECT_EQ(cache_max_age("max-age=3600"), 3600);
  EXPECT_EQ(cache_max_age("public, max-age=120, must-revalidate"), 120);
  EXPECT_EQ(cache_max_age("Public, MAX-AGE=\"90\""), 90);
}

TEST(CacheMaxAge, NoStoreAndNoCacheMeanZero) {
  EXPECT_EQ(cache_max_age("no-store"), 0);
  EXPECT_EQ(cache_max_age("max-age=600, no-cache"), 0);
}

TEST(CacheMaxAge, AbsentOrMalformedIsMinusOne) {
  EXPECT_EQ(cache_max_age(""), -1);
  EXPECT_EQ(cache_max_age("public"), -1);
  EXPECT_EQ(cache_max_age("max-age=soon"), -1);
  EXPECT_EQ(cache_max_age("max-age=-5"), -1);
  EXPECT_EQ(cache_max_age("max-age="), -1);
}

TEST(HttpGetter, HttpsOnlyRefusesPlainHttpBeforeConnecting) {
  HttpGetOptions options;
  options.https_only = true;
  HttpGetter getter(options);
  auto document = getter.get("http://127.0.0.1:1/jwks.json");
  ASSERT_FALSE(document.ok());
  EXPECT_EQ(document.error().kind, ErrorKind::kServiceUnavailable);
  EXPECT_NE(document.error().detail.find("only https"), std::string::npos);
}

}  // namespace
}  // namespace citytwin::http
