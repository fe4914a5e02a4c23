#include "citytwin/common/json_member.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <random>
#include <string>

namespace citytwin {
namespace {

TEST(TopLevelMember, FindsTheValueTextOfAMemberWithoutParsingTheRest) {
  const std::string text =
      R"({"id":"urn:a","x":{"type":["no"],"s":"}]\"{"},"type" : [ "A", "B" ] ,"z":1})";
  EXPECT_EQ(top_level_member(text, "type"), std::optional<std::string_view>(R"([ "A", "B" ])"));
  EXPECT_EQ(top_level_member(text, "id"), std::optional<std::string_view>(R"("urn:a")"));
  EXPECT_EQ(top_level_member(text, "z"), std::optional<std::string_view>("1"));
  EXPECT_EQ(top_level_member(R"( {"a" : true } )", "a"), std::optional<std::string_view>("true"));
  EXPECT_EQ(top_level_member(R"({"a":-1.5e3,"b":null})", "a"),
            std::optional<std::string_view>("-1.5e3"));
}

TEST(TopLevelMember, LeavesEverythingUnsureToTheParser) {
  EXPECT_FALSE(top_level_member(R"({"id":"urn:a"})", "type"));              // absent
  EXPECT_FALSE(top_level_member(R"({"s":"a\"b","ty\u0070e":1})", "type"));  // escaped key
  EXPECT_FALSE(top_level_member(R"({"a\"":1,"type":2})", "type"));          // an escaped key first
  EXPECT_FALSE(top_level_member(R"(["type",1])", "type"));                  // not an object
  EXPECT_FALSE(top_level_member("{}", "type"));
  EXPECT_FALSE(top_level_member("", "type"));
  EXPECT_FALSE(top_level_member(R"({"a":1 "type":2})", "type"));  // no comma
  EXPECT_FALSE(top_level_member(R"({"type": })", "type"));        // no value
  EXPECT_FALSE(top_level_member(R"({"a":"unterminated)", "type"));
}

// Random objects serialized by Boost.JSON: the member's text parses to the member's value.
TEST(TopLevelMember, AgreesWithTheParserOnRandomObjects) {
  std::mt19937_64 random(5);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
  std::function<boost::json::value(int)> make = [&](int depth) -> boost::json::value {
    switch (depth > 2 ? pick(3) : pick(5)) {
      case 0:
        return pick(1000) / 8.0;
      case 1: {
        std::string s;
        for (int i = 0; i < pick(6); ++i) s.push_back("ab\"\\{}[],:"[pick(10)]);
        return boost::json::value(s);
      }
      case 2:
        return pick(2) == 0 ? boost::json::value(nullptr) : boost::json::value(true);
      case 3: {
        boost::json::array array;
        for (int i = 0; i < pick(4); ++i) array.push_back(make(depth + 1));
        return array;
      }
      default: {
        boost::json::object object;
        for (int i = 0; i < pick(4); ++i) object["k" + std::to_string(i)] = make(depth + 1);
        return object;
      }
    }
  };
  for (int round = 0; round < 500; ++round) {
    boost::json::object object;
    const int members = 1 + pick(5);
    for (int i = 0; i < members; ++i) object["m" + std::to_string(pick(8))] = make(0);
    const std::string text = boost::json::serialize(object);
    for (int i = 0; i < 8; ++i) {
      const std::string name = "m" + std::to_string(i);
      auto found = top_level_member(text, name);
      ASSERT_EQ(found.has_value(), object.contains(name)) << text << " " << name;
      if (found) {
        EXPECT_EQ(boost::json::parse(*found), object.at(name)) << text << " " << name;
      }
    }
    auto listed = top_level_members(text);
    ASSERT_TRUE(listed) << text;
    ASSERT_EQ(listed->size(), object.size()) << text;
    std::size_t index = 0;
    for (const auto& [key, value] : object) {
      const JsonMember& member = (*listed)[index++];
      EXPECT_EQ(member.key, std::string_view(key)) << text;
      std::string_view value_text(text.data() + member.value_begin,
                                  member.value_end - member.value_begin);
      EXPECT_EQ(boost::json::parse(value_text), value) << text << " " << key;
    }
  }
}

TEST(TopLevelMembers, GivesEveryMemberInTextOrder) {
  const std::string text = R"( { "type" : "Property", "value":{"a":[1,"}"]} ,"k\"":-2.5e1 } )";
  auto members = top_level_members(text);
  ASSERT_TRUE(members);
  ASSERT_EQ(members->size(), 3u);
  auto value_of = [&](std::size_t i) {
    return std::string_view(text).substr((*members)[i].value_begin,
                                         (*members)[i].value_end - (*members)[i].value_begin);
  };
  EXPECT_EQ((*members)[0].key, "type");
  EXPECT_EQ(value_of(0), R"("Property")");
  EXPECT_EQ((*members)[1].key, "value");
  EXPECT_EQ(value_of(1), R"({"a":[1,"}"]})");
  EXPECT_EQ((*members)[2].key, R"(k\")");
  EXPECT_EQ(value_of(2), "-2.5e1");
  EXPECT_EQ(top_level_members("{}")->size(), 0u);
  EXPECT_EQ(top_level_members(" { } ")->size(), 0u);
}

TEST(TopLevelMembers, RefusesTextThatIsNotOneObject) {
  for (std::string_view text :
       {R"({"a":1,})", R"({"a":1 "b":2})", R"({"a":1}x)", R"({"a":})", R"({"a":1)", R"([1])",
        R"({a:1})", R"({"a" 1})", R"({"a":"x)", "", "{", R"({,"a":1})", R"({"a":1}})"}) {
    EXPECT_FALSE(top_level_members(text)) << text;
  }
}

}  // namespace
}  // namespace citytwin
