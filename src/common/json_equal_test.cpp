#include "citytwin/common/json_equal.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace citytwin {
namespace {

boost::json::value parse(const char* text) {
  return boost::json::parse(text);
}

// Every pair is checked against Boost.JSON's own equality, the definition json_equal keeps.
void expect_same_as_boost(const char* left, const char* right, bool expected) {
  boost::json::value a = parse(left);
  boost::json::value b = parse(right);
  ASSERT_EQ(a == b, expected) << left << " vs " << right;
  EXPECT_EQ(json_equal(a, b), expected) << left << " vs " << right;
  EXPECT_EQ(json_equal(b, a), expected) << right << " vs " << left;
}

TEST(JsonEqual, AgreesWithBoostJson) {
  expect_same_as_boost(R"({"a":1,"b":[1,2,{"c":"x"}]})", R"({"a":1,"b":[1,2,{"c":"x"}]})", true);
  expect_same_as_boost(R"({"a":1,"b":2})", R"({"b":2,"a":1})", true);  // another order
  expect_same_as_boost(R"({"x":{"a":1,"b":2}})", R"({"x":{"b":2,"a":1}})", true);
  expect_same_as_boost(R"({"a":1,"b":2})", R"({"b":2,"a":3})", false);
  expect_same_as_boost(R"({"a":1,"b":2})", R"({"a":1,"b":3})", false);
  expect_same_as_boost(R"({"a":1,"b":2})", R"({"a":1,"c":2})", false);
  expect_same_as_boost(R"({"a":1})", R"({"a":1,"b":2})", false);
  expect_same_as_boost(R"([1,2,3])", R"([1,2])", false);
  expect_same_as_boost(R"([1,2,3])", R"([1,3,2])", false);
  expect_same_as_boost(R"({"v":1.5})", R"({"v":1.5})", true);
  expect_same_as_boost(R"({"v":"1"})", R"({"v":1})", false);
  expect_same_as_boost(R"({"v":null})", R"({"v":false})", false);
  expect_same_as_boost(R"([])", R"({})", false);
}

TEST(JsonEqual, NumbersOfDifferentKindsCompareAsBoostJsonDoes) {
  boost::json::value signed_one = std::int64_t{1};
  boost::json::value unsigned_one = std::uint64_t{1};
  boost::json::value double_one = 1.0;
  EXPECT_EQ(json_equal(signed_one, unsigned_one), signed_one == unsigned_one);
  EXPECT_EQ(json_equal(signed_one, double_one), signed_one == double_one);
  boost::json::object a{{"n", signed_one}};
  boost::json::object b{{"n", unsigned_one}};
  EXPECT_EQ(json_equal(a, b), a == b);
}

}  // namespace
}  // namespace citytwin
