#include "citytwin/model/ngsi_names.hpp"

#include <gtest/gtest.h>

namespace citytwin::model {
namespace {

TEST(IsValidUri, AcceptsAbsoluteUris) {
  EXPECT_TRUE(is_valid_uri("urn:ngsi-ld:Streetlight:1"));
  EXPECT_TRUE(is_valid_uri("http://example.org/a?b=c#d"));
  EXPECT_TRUE(is_valid_uri("urn:ngsi-ld::wastecontainer-Osuna-100"));
}

TEST(IsValidUri, RejectsMalformedUris) {
  EXPECT_FALSE(is_valid_uri(""));
  EXPECT_FALSE(is_valid_uri("Streetlight1"));  // no scheme
  EXPECT_FALSE(is_valid_uri(":abc"));          // empty scheme
  EXPECT_FALSE(is_valid_uri("urn:"));          // nothing after the scheme
  EXPECT_FALSE(is_valid_uri("1urn:x"));        // scheme starts with a digit
  EXPECT_FALSE(is_valid_uri("urn:ngsi-ld:Street light"));
  EXPECT_FALSE(is_valid_uri("urn:ngsi-ld:A\n"));
  EXPECT_FALSE(is_valid_uri("urn:ngsi-ld:<A>"));
}

TEST(IsValidName, FollowsClause462) {
  EXPECT_TRUE(is_valid_name("temperature"));
  EXPECT_TRUE(is_valid_name("N-TOT"));
  EXPECT_TRUE(is_valid_name("https://example.org/x"));
  EXPECT_FALSE(is_valid_name(""));
  EXPECT_FALSE(is_valid_name("a b"));
  EXPECT_FALSE(is_valid_name("a\tb"));
  EXPECT_FALSE(is_valid_name("@id"));
  for (const char* bad : {"a<", "a>", "a\"", "a'", "a=b", "a;b", "a(b", "a)b"}) {
    EXPECT_FALSE(is_valid_name(bad)) << bad;
  }
}

}  // namespace
}  // namespace citytwin::model
