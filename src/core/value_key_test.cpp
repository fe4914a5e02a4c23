#include "citytwin/core/value_key.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cmath>
#include <limits>
#include <random>

namespace citytwin::core {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::string_view kA = "https://example.org/a";
constexpr std::string_view kB = "https://example.org/b";

std::vector<double> sample_numbers() {
  std::vector<double> numbers = {0.0,
                                 -0.0,
                                 1.0,
                                 -1.0,
                                 39.99,
                                 40,
                                 -39.99,
                                 1e-300,
                                 -1e-300,
                                 std::numeric_limits<double>::denorm_min(),
                                 -std::numeric_limits<double>::denorm_min(),
                                 std::numeric_limits<double>::max(),
                                 std::numeric_limits<double>::lowest(),
                                 std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(),
                                 9007199254740993.0,
                                 -9007199254740993.0};
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> uniform(-1e6, 1e6);
  std::uniform_int_distribution<int> integer(-1000, 1000);
  std::uniform_int_distribution<int> exponent(-300, 300);
  for (int i = 0; i < 300; ++i) {
    numbers.push_back(uniform(random));
    numbers.push_back(integer(random));
    numbers.push_back(uniform(random) * std::pow(10.0, exponent(random)));
  }
  return numbers;
}

TEST(ValueKey, NumberByteOrderIsNumericOrder) {
  std::vector<double> numbers = sample_numbers();
  for (double a : numbers) {
    for (double b : numbers) {
      std::string ka = number_key(a);
      std::string kb = number_key(b);
      ASSERT_EQ(a < b, ka < kb) << a << " vs " << b;
      ASSERT_EQ(a == b, ka == kb) << a << " vs " << b;
    }
  }
}

TEST(ValueKey, NegativeZeroIsZeroAndIntegersAreDoubles) {
  EXPECT_EQ(number_key(-0.0), number_key(0.0));
  EXPECT_EQ(number_key(-0.0).size(), 9u);
  EXPECT_EQ(scalar_key(boost::json::value(40)), number_key(40.0));
  EXPECT_EQ(scalar_key(boost::json::value(std::uint64_t{7})), number_key(7.0));
  EXPECT_EQ(scalar_key(boost::json::parse("-0.0")), number_key(0.0));
}

TEST(ValueKey, KindsNeverMixAndTagBoundsEncloseThem) {
  std::string boolean = boolean_key(true);
  std::string number = number_key(std::numeric_limits<double>::infinity());
  std::string text = string_key("");
  EXPECT_LT(boolean_key(false), boolean_key(true));
  EXPECT_LT(boolean, number_key(-std::numeric_limits<double>::infinity()));
  EXPECT_LT(number, text);
  for (char tag : {kBooleanKeyTag, kNumberKeyTag, kStringKeyTag}) {
    EXPECT_LT(first_key_of(tag), past_keys_of(tag));
  }
  EXPECT_LE(first_key_of(kNumberKeyTag), number_key(std::numeric_limits<double>::lowest()));
  EXPECT_LT(number, past_keys_of(kNumberKeyTag));
  EXPECT_LE(first_key_of(kStringKeyTag), text);
  EXPECT_LT(string_key(std::string(300, '\xff')), past_keys_of(kStringKeyTag));
  EXPECT_FALSE(scalar_key(boost::json::value(nullptr)));
  EXPECT_FALSE(scalar_key(boost::json::parse("[1]")));
  EXPECT_FALSE(scalar_key(boost::json::parse("{}")));
}

// Truncation keeps order (a <= b implies key(a) <= key(b)), which is what range scans need.
TEST(ValueKey, StringKeysKeepOrderThroughTruncation) {
  std::string base(kMaxIndexedStringBytes - 2, 'm');
  std::vector<std::string> texts = {"", "a", "ab", "b", "\xc3\xa9", std::string("a\0b", 3)};
  for (int extra = 0; extra < 6; ++extra) {
    for (char c : {'a', 'm', 'z'}) texts.push_back(base + std::string(extra, c));
  }
  for (const std::string& a : texts) {
    for (const std::string& b : texts) {
      if (a <= b) {
        EXPECT_LE(string_key(a), string_key(b));
      }
      if (a.size() < kMaxIndexedStringBytes && b.size() < kMaxIndexedStringBytes) {
        EXPECT_EQ(a < b, string_key(a) < string_key(b));
      }
    }
  }
  EXPECT_EQ(string_key(base + "zzzz"), string_key(base + "zzz"));
  EXPECT_TRUE(string_key_is_lossy(base + "zz"));
  EXPECT_FALSE(string_key_is_lossy(base + "z"));
}

std::vector<store::ValueEntry> entries_of(std::string_view attrs) {
  auto entity =
      boost::json::parse(R"({"id":"urn:x","type":["T"],"attrs":)" + std::string(attrs) + "}");
  return value_entries(entity.as_object());
}

store::ValueEntry entry(std::string_view attribute, std::string key) {
  return store::ValueEntry{std::string(attribute), std::move(key)};
}

TEST(ValueEntries, PropertyScalarsArraysAndValueObjects) {
  EXPECT_THAT(entries_of(R"({"https://example.org/a":[{"type":"Property","value":40}]})"),
              ElementsAre(entry(kA, number_key(40))));
  EXPECT_THAT(entries_of(R"({"https://example.org/a":[{"type":"Property","value":"hot"}],
                            "https://example.org/b":[{"type":"Property","value":false}]})"),
              ElementsAre(entry(kA, string_key("hot")), entry(kB, boolean_key(false))));
  EXPECT_THAT(
      entries_of(R"({"https://example.org/a":[{"type":"Property","value":[3,"x",[4],{"k":1},
                    {"@value":5},null]}]})"),
      ElementsAre(entry(kA, number_key(3)), entry(kA, number_key(5)), entry(kA, string_key("x"))));
  EXPECT_THAT(entries_of(R"({"https://example.org/a":[{"type":"Property",
                            "value":{"@type":"DateTime","@value":"2020-01-01T00:00:00Z"}}]})"),
              ElementsAre(entry(kA, string_key("2020-01-01T00:00:00Z"))));
  EXPECT_THAT(entries_of(R"({"https://example.org/a":[{"type":"Property","value":{"k":1}}]})"),
              IsEmpty());
}

TEST(ValueEntries, EveryAttributeKind) {
  EXPECT_THAT(entries_of(R"({"https://example.org/a":[{"type":"Relationship","object":"urn:b"}],
                            "https://example.org/b":[{"type":"Relationship","object":["urn:c","urn:d"]}]})"),
              ElementsAre(entry(kA, string_key("urn:b")), entry(kB, string_key("urn:c")),
                          entry(kB, string_key("urn:d"))));
  EXPECT_THAT(
      entries_of(
          R"({"https://example.org/a":[{"type":"ListRelationship","objectList":["urn:e"]}]})"),
      ElementsAre(entry(kA, string_key("urn:e"))));
  EXPECT_THAT(
      entries_of(R"({"https://example.org/a":[{"type":"VocabProperty","vocab":"https://v/x"}],
                            "https://example.org/b":[{"type":"VocabProperty","vocab":["https://v/y"]}]})"),
      ElementsAre(entry(kA, string_key("https://v/x")), entry(kB, string_key("https://v/y"))));
  EXPECT_THAT(
      entries_of(
          R"({"https://example.org/a":[{"type":"ListProperty","valueList":[1,"s",true,[2]]}]})"),
      ElementsAre(entry(kA, boolean_key(true)), entry(kA, number_key(1)),
                  entry(kA, string_key("s"))));
  EXPECT_THAT(entries_of(R"({"https://example.org/a":[{"type":"LanguageProperty",
                            "languageMap":{"en":"red","es":["rojo"]}}]})"),
              ElementsAre(entry(kA, string_key("red")), entry(kA, string_key("rojo"))));
  EXPECT_THAT(entries_of(R"({"https://example.org/a":[{"type":"JsonProperty","json":7}],
                            "https://example.org/b":[{"type":"JsonProperty","json":{"k":7}}]})"),
              ElementsAre(entry(kA, number_key(7))));
  EXPECT_THAT(entries_of(R"({"https://example.org/a":[{"type":"GeoProperty",
                            "value":{"type":"Point","coordinates":[1,2]}}]})"),
              IsEmpty());
}

TEST(ValueEntries, InstancesAreMergedAndDeduplicated) {
  EXPECT_THAT(entries_of(R"({"https://example.org/a":[{"type":"Property","value":1},
                            {"type":"Property","value":[1,2],"datasetId":"urn:d"}]})"),
              ElementsAre(entry(kA, number_key(1)), entry(kA, number_key(2))));
  // A lone instance object and an instance without a type are read as q reads them.
  EXPECT_THAT(entries_of(R"({"https://example.org/a":{"type":"Property","value":1},
                            "https://example.org/b":[{"value":2}]})"),
              ElementsAre(entry(kA, number_key(1)), entry(kB, number_key(2))));
  // Sub-attributes are not indexed: only top-level terms are planned.
  EXPECT_THAT(entries_of(R"({"https://example.org/a":[{"type":"Property","value":1,
                            "sub":{"https://example.org/s":{"type":"Property","value":9}}}]})"),
              ElementsAre(entry(kA, number_key(1))));
  EXPECT_THAT(entries_of("{}"), IsEmpty());
}

}  // namespace
}  // namespace citytwin::core
