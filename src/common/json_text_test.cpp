#include "citytwin/common/json_text.hpp"
#include "citytwin/common/utf8.hpp"

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

// Found by fuzz/http_request_fuzz: a 404 detail echoing a path with the bytes 0xFF 0xFE was
// not UTF-8, so the client could not parse the answer.
TEST(JsonText, ValidUtf8PrefixStopsAtTheFirstIllFormedByte) {
  EXPECT_EQ(valid_utf8_prefix(""), 0u);
  EXPECT_EQ(valid_utf8_prefix("plain \xC3\xA9 \xF0\x9F\x98\x80"), 13u);
  EXPECT_EQ(valid_utf8_prefix("ab\xFF"), 2u);
  EXPECT_EQ(valid_utf8_prefix("a\xC0\xAF"), 1u);      // overlong
  EXPECT_EQ(valid_utf8_prefix("a\xED\xA0\x80"), 1u);  // surrogate
  EXPECT_EQ(valid_utf8_prefix("a\xE2\x82"), 1u);      // cut
}

TEST(JsonText, InvalidUtf8BecomesReplacementCharacter) {
  const std::string replacement = "\xEF\xBF\xBD";
  boost::json::object object;
  object["detail"] = "e\xFF\xFE";
  object["k\x80"] =
      "overlong \xC0\xAF surrogate \xED\xA0\x80 too high \xF4\x90\x80\x80 cut \xE2\x82";
  object["valid"] = "\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF";
  std::string text = to_json_text(object);
  boost::system::error_code ec;
  auto parsed = boost::json::parse(text, ec);
  ASSERT_FALSE(ec) << text;
  EXPECT_EQ(parsed.at("detail").as_string(), "e" + replacement + replacement);
  EXPECT_TRUE(parsed.as_object().contains("k" + replacement));
  const std::string bad(parsed.at("k\xEF\xBF\xBD").as_string());
  EXPECT_EQ(bad, "overlong " + replacement + replacement + " surrogate " + replacement +
                     replacement + replacement + " too high " + replacement + replacement +
                     replacement + replacement + " cut " + replacement + replacement);
  // Well-formed sequences, up to U+10FFFF, are kept as they are.
  EXPECT_EQ(parsed.at("valid"), object.at("valid"));
}

// The object and array overloads write what the value overload writes, and escaping copes
// with escapes between runs of plain text and at either end.
TEST(JsonText, ObjectAndArrayOverloadsMatchTheValueOne) {
  auto value =
      boost::json::parse(R"({"a":[1,"x\"y",{"k":"\\end\\"}],"\tlead":"plain text \u00e9 tail\n"})");
  EXPECT_EQ(to_json_text(value.as_object()), to_json_text(value));
  EXPECT_EQ(to_json_text(value.at("a").as_array()), to_json_text(value.at("a")));
  std::string out;
  append_json_string(out,
                     "\"a\\b\n\x01"
                     "c\xC3\xA9"
                     "d\"");
  EXPECT_EQ(out,
            "\"\\\"a\\\\b\\n\\u0001c\xC3\xA9"
            "d\\\"\"");
  std::string joined;
  append_json_text(joined, value.as_object());
  EXPECT_EQ(boost::json::parse(joined), value);
}

TEST(JsonText, NonFiniteBecomesNull) {
  EXPECT_EQ(to_json_text(boost::json::value(std::numeric_limits<double>::infinity())), "null");
}

}  // namespace
}  // namespace citytwin
