#include "citytwin/common/json_document.hpp"

#include <gtest/gtest.h>

namespace citytwin {
namespace {

TEST(JsonDocument, RefusesNumbersBeyondADoublesRange) {
  for (const char* text : {"1e999", "[1, -1e400]", R"({"a": {"b": [0, 2e308]}})"}) {
    auto parsed = parse_json_document(text, "the body");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().kind, ErrorKind::kBadRequestData);
    EXPECT_EQ(parsed.error().detail.rfind("the body has a number beyond", 0), 0u);
  }
}

TEST(JsonDocument, KeepsEverythingElse) {
  auto parsed =
      parse_json_document(R"({"a": [1.7976931348623157e308, -5e-324, 1, "1e999"]})", "the body");
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(has_non_finite_number(*parsed));
  EXPECT_EQ(parsed->at("a").at(3).as_string(), "1e999");
}

TEST(JsonDocument, InvalidJsonIsAnInvalidRequest) {
  auto parsed = parse_json_document("{", "the payload");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalidRequest);
  boost::json::parse_options shallow;
  shallow.max_depth = 2;
  EXPECT_FALSE(parse_json_document("[[[1]]]", "the payload", shallow).ok());
}

}  // namespace
}  // namespace citytwin
