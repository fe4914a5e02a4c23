#include "citytwin/common/base64.hpp"

#include <gtest/gtest.h>

namespace citytwin {
namespace {

TEST(Base64, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(base64_decode("ZGV2MTpkcF9zZWNyZXQ="), "dev1:dp_secret");
  EXPECT_EQ(base64_decode("ZGV2MTpkcF9zZWNyZXQ"), "dev1:dp_secret");
  EXPECT_EQ(base64_decode("AQID+/8="), std::string("\x01\x02\x03\xfb\xff", 5));
  EXPECT_EQ(base64_decode(""), "");
}

TEST(Base64, RefusesOtherCharactersAndImpossibleLengths) {
  EXPECT_FALSE(base64_decode("ZGV2MT-k"));  // base64url's '-' is not the standard alphabet
  EXPECT_FALSE(base64_decode("ab cd"));
  EXPECT_FALSE(base64_decode("abcde"));  // 5 characters cannot encode whole bytes
}

TEST(Base64, UrlAlphabetWithoutPadding) {
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff", 2));
  EXPECT_FALSE(base64url_decode("+/8"));
  EXPECT_FALSE(base64url_decode("AQI="));  // JWTs carry no padding
}

}  // namespace
}  // namespace citytwin
