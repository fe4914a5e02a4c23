#include "citytwin/common/json_text.hpp"
#include "citytwin/common/utf8.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace citytwin {
namespace {

TEST(JsonText, WritesDecimalsInShortestPlainForm) {
  EXPECT_EQ(to_json_text(boost::json::parse(R"([12.5, 40.4155, -3.7074, 250, 1e300, 0.1])")),
            "[12.5,40.4155,-3.7074,250,1e+300,0.1]");
}

// Short decimals take a path of their own (append_short_decimal); every number must still be
// written exactly as to_chars' shortest form writes it: decimals of every scale around the
// path's limits (1 and 100,000, four decimals), integers with trailing zeros, and random
// doubles that are no short decimal.
TEST(JsonText, NumbersAreWrittenAsToCharsWritesThem) {
  auto expected = [](double x) {
    char buffer[64];
    return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, x).ptr);
  };
  std::vector<double> numbers = {1,           -1,    0.99999,  1.00001,    99999.9999, 100000,
                                 99999.99995, 10000, 12000,    12345.6789, 0.5,        -0.0,
                                 0,           1e-5,  123456.7, 99999.5,    2.675,      1.0005};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const auto m = static_cast<std::int64_t>(rng() % 2'000'000'000) - 1'000'000'000;
    const int k = static_cast<int>(rng() % 8);
    numbers.push_back(static_cast<double>(m) / std::pow(10.0, k));
    numbers.push_back(std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 60)));
  }
  for (double x : numbers) {
    std::string out;
    append_json_number(out, x);
    ASSERT_EQ(out, expected(x)) << "for " << expected(x);
  }
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
// The escaping reads eight bytes at a time: every byte that needs escaping, at every offset
// within and across those words, in strings of every length around the word size, is escaped as
// Boost.JSON escapes it (valid UTF-8 passes through; both write the same escapes for the rest).
TEST(JsonText, EscapesEveryByteThatNeedsItAtEveryOffset) {
  const std::vector<std::string> specials = {"\"", "\\",   std::string(1, '\0'), "\x1f",
                                             "\n", "\x7f", "\xc3\xa9",           "\xe2\x82\xac"};
  for (std::size_t length = 0; length <= 19; ++length) {
    for (std::size_t at = 0; at < std::max<std::size_t>(length, 1); ++at) {
      for (const auto& special : specials) {
        std::string text(length, 'a');
        if (length > 0) text.replace(at, 1, special);
        std::string out;
        append_json_string(out, text);
        EXPECT_EQ(out, boost::json::serialize(boost::json::string(text)))
            << "length " << length << " at " << at;
      }
    }
  }
  std::mt19937 random(7);
  std::uniform_int_distribution<int> printable(0x20, 0x7e);
  for (int round = 0; round < 2000; ++round) {
    std::string text(random() % 40, ' ');
    for (auto& c : text) c = static_cast<char>(printable(random));
    std::string out;
    append_json_string(out, text);
    EXPECT_EQ(out, boost::json::serialize(boost::json::string(text))) << text;
  }
}

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
