#include "citytwin/common/json_parse.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace citytwin {
namespace {

double from_text(std::string_view text) {
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

TEST(JsonParse, TakesEachDoubleCorrectlyRounded) {
  // Found by kpi_input_rows_fuzz: Boost.JSON 1.81 reads it one unit in the last place off.
  const std::string text = "4.9999999999999995E39";
  boost::system::error_code ec;
  boost::json::value value = parse_json("[" + text + "]", ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(value.at(0).as_double()),
            std::bit_cast<std::uint64_t>(from_text(text)));
}

// What Boost.JSON writes (shortest round-trip text) reads back bit for bit, for doubles drawn
// over the whole range of bit patterns.
TEST(JsonParse, WhatIsWrittenReadsBackUnchanged) {
  std::mt19937_64 random(20261205);
  int boost_misreads = 0;
  for (int i = 0; i < 200000; ++i) {
    double number = std::bit_cast<double>(random());
    if (!std::isfinite(number)) continue;
    std::string text = boost::json::serialize(boost::json::value(number));
    boost::system::error_code ec;
    boost::json::value parsed = parse_json(text, ec);
    ASSERT_FALSE(ec) << text;
    ASSERT_TRUE(parsed.is_double()) << text;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(parsed.as_double()),
              std::bit_cast<std::uint64_t>(number))
        << text;
    boost::json::value boost_parsed = boost::json::parse(text);
    if (boost_parsed.as_double() != number) ++boost_misreads;
  }
  // Informational: how often the library parser alone would have changed a value.
  RecordProperty("boost_json_misreads", boost_misreads);
}

TEST(JsonParse, KeepsIntegersStringsAndStructure) {
  const char* text =
      R"({"a":[1,-2,18446744073709551615,true,null,"x\u00e9"],"b":{"c":-0.0,"d":1e-400}})";
  boost::system::error_code ec;
  boost::json::value value = parse_json(text, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(value, boost::json::parse(text));
  EXPECT_TRUE(value.at("a").at(0).is_int64());
  EXPECT_TRUE(value.at("a").at(2).is_uint64());
  EXPECT_TRUE(std::signbit(value.at("b").at("c").as_double()));
  EXPECT_EQ(value.at("b").at("d").as_double(), 0.0);
}

TEST(JsonParse, BeyondADoublesRangeIsInfinityAsBefore) {
  boost::system::error_code ec;
  boost::json::value value = parse_json("[1e999,-1e400]", ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(std::isinf(value.at(0).as_double()));
  EXPECT_TRUE(std::isinf(value.at(1).as_double()));
}

TEST(JsonParse, RefusesWhatBoostJsonRefuses) {
  for (const char* text :
       {"", "{", "[1,]", "1 2", "{\"a\":1}x", "01", "1e", "-", "[1e99999999999]"}) {
    boost::system::error_code ours;
    boost::json::value value = parse_json(text, ours);
    boost::system::error_code theirs;
    boost::json::parse(text, theirs);
    EXPECT_TRUE(ours) << text;
    EXPECT_EQ(static_cast<bool>(ours), static_cast<bool>(theirs)) << text;
    EXPECT_TRUE(value.is_null()) << text;
  }
}

TEST(JsonParse, HonoursTheParseOptions) {
  boost::json::parse_options shallow;
  shallow.max_depth = 2;
  boost::system::error_code ec;
  parse_json("[[[1]]]", ec, {}, shallow);
  EXPECT_TRUE(ec);
  boost::json::parse_options comments;
  comments.allow_comments = true;
  ec = {};
  boost::json::value value = parse_json("[1.5 /* x */]", ec, {}, comments);
  ASSERT_FALSE(ec);
  EXPECT_EQ(value.at(0).as_double(), 1.5);
}

}  // namespace
}  // namespace citytwin
