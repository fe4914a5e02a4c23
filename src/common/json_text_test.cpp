#include "citytwin/common/json_text.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <limits>

namespace citytwin {
namespace {

TEST(JsonText, WritesDecimalsInShortestPlainForm) {
  EXPECT_EQ(to_json_text(boost::json::parse(R"([12.5, 40.4155, -3.7074, 250, 1e300, 0.1])")),
            "[12.5,40.4155,-3.7074,250,1e+300,0.1]");
}

TEST(JsonText, RoundTripsEveryKindAndEscapes) {
  auto value = boost::json::parse(
      R"({"a":[true,false,null],"s":"q\"\\\n\u0001é","n":-7,"u":18446744073709551615})");
  auto text = to_json_text(value);
  EXPECT_EQ(boost::json::parse(text), value);
  EXPECT_NE(text.find("\\u0001"), std::string::npos);
}

TEST(JsonText, NonFiniteBecomesNull) {
  EXPECT_EQ(to_json_text(boost::json::value(std::numeric_limits<double>::infinity())), "null");
}

}  // namespace
}  // namespace citytwin
