#include "key_codec.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace citytwin::store::kv {
namespace {

const std::vector<std::string> kNames = {
    "",      "a",     "ab", std::string("a\0", 2), std::string("a\0b", 3),
    "a\x01", "a\xff", "b",  std::string("\0\0", 2)};

TEST(KeyCodec, ComponentRoundTrips) {
  for (const std::string& name : kNames) {
    std::string key;
    append_component(key, name);
    key += "rest";
    std::string_view in = key;
    auto decoded = read_component(in);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, name);
    EXPECT_EQ(in, "rest");
  }
}

TEST(KeyCodec, ComponentsArePrefixFree) {
  for (const std::string& a : kNames) {
    for (const std::string& b : kNames) {
      if (a == b) continue;
      EXPECT_FALSE(entity_key(b, "id").starts_with(tenant_prefix(a)))
          << "tenant '" << a << "' would see tenant '" << b << "'";
    }
  }
}

TEST(KeyCodec, ComponentsPreserveOrder) {
  std::vector<std::string> names = kNames;
  std::sort(names.begin(), names.end());
  std::vector<std::string> encoded;
  for (const std::string& name : names) encoded.push_back(tenant_prefix(name));
  EXPECT_TRUE(std::is_sorted(encoded.begin(), encoded.end()));
}

TEST(KeyCodec, RejectsMalformedComponents) {
  for (std::string_view bad :
       {std::string_view("abc"), std::string_view("a\0", 2), std::string_view("a\0\x02", 3)}) {
    EXPECT_FALSE(read_component(bad));
  }
}

TEST(KeyCodec, GeoKeyRoundTrips) {
  const std::string id("urn:\0id", 7);
  std::string key = geo_key(std::string("t\0", 2), "https://x/location", id, 258);
  auto decoded = decode_geo_key(key);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->tenant, std::string("t\0", 2));
  EXPECT_EQ(decoded->attribute, "https://x/location");
  EXPECT_EQ(decoded->id, id);
  EXPECT_EQ(decoded->n, 258u);
  EXPECT_FALSE(decode_geo_key(key.substr(0, key.size() - 1)));
}

TEST(KeyCodec, BoxAndCounterRoundTrip) {
  Box box{-180.5, -90, 179.25, 1e-9};
  auto decoded = decode_box(encode_box(box));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->min_x, box.min_x);
  EXPECT_EQ(decoded->max_y, box.max_y);
  EXPECT_EQ(*decode_counter(encode_counter(-3)), -3);
  EXPECT_FALSE(decode_counter("123"));
}

TEST(KeyCodec, PrefixSuccessorBoundsThePrefix) {
  std::string prefix = term_prefix("t", "T");
  std::string bound = prefix_successor(prefix);
  EXPECT_LT(term_key("t", "T", "\xff\xff\xff"), bound);
  EXPECT_GE(term_key("t", std::string("T\0", 2), ""), bound);
  EXPECT_EQ(prefix_successor("a\xff\xff"), "b");
}

// Keys of one attribute order by value key first, then by id, whatever bytes both hold.
TEST(KeyCodec, ValueIndexKeysOrderByValueThenId) {
  const std::string values[] = {"", "a", std::string("a\0", 2), "ab", "b"};
  const std::string ids[] = {"urn:1", std::string("urn\0", 4), "urn:2"};
  std::vector<std::pair<std::string, std::string>> expected;
  std::vector<std::pair<std::string, std::string>> by_key;  // encoded key -> (value, id)
  for (const std::string& value : values) {
    for (const std::string& id : ids) {
      expected.emplace_back(value, id);
      by_key.emplace_back(value_index_key("t", "attr", value, id), value + "|" + id);
    }
  }
  std::sort(expected.begin(), expected.end());
  std::sort(by_key.begin(), by_key.end());
  std::string prefix = term_prefix("t", "attr");
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(by_key[i].second, expected[i].first + "|" + expected[i].second) << i;
    auto id = value_index_id(std::string_view(by_key[i].first).substr(prefix.size()));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, expected[i].second);
  }
  EXPECT_FALSE(value_index_id("no terminator"));
}

}  // namespace
}  // namespace citytwin::store::kv
