#include "meta_codec.hpp"

#include <gtest/gtest.h>

namespace citytwin::store::kv {
namespace {

EntityRecord sample() {
  EntityRecord record;
  record.id = "urn:a";
  record.types = {"T2", "T1", "T2"};
  record.attributes = {std::string("a\0", 2), "b"};
  record.geo = {GeoEntry{"loc", Box{1, 2, 3, 4}}, GeoEntry{"loc", Box{-1, -2, -1, -2}}};
  record.values = {ValueEntry{"b", "k2"}, ValueEntry{"a", std::string("\0", 1)},
                   ValueEntry{"b", "k1"}, ValueEntry{"b", "k2"}, ValueEntry{"c", ""}};
  return record;
}

TEST(MetaCodec, MetaOfSortsAndDeduplicatesTerms) {
  EntityMeta meta = meta_of(sample());
  EXPECT_EQ(meta.types, (std::vector<std::string>{"T1", "T2"}));
  EXPECT_EQ(meta.geo.size(), 2u);
  EXPECT_EQ(meta.values, (std::vector<ValueEntry>{
                             {"a", std::string("\0", 1)}, {"b", "k1"}, {"b", "k2"}, {"c", ""}}));
  EXPECT_FALSE(meta.legacy);
}

// Metas written before the value index (format 1: no values) still decode, marked legacy.
TEST(MetaCodec, ReadsFormatOneAsLegacy) {
  EntityMeta meta = meta_of(sample());
  meta.values.clear();
  std::string encoded = encode_meta(meta);
  ASSERT_EQ(encoded.back(), '\0');  // the empty value list
  encoded.pop_back();
  encoded[0] = 1;
  auto decoded = decode_meta(encoded);
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->legacy);
  EXPECT_EQ(decoded->types, meta.types);
  EXPECT_TRUE(same_geo(decoded->geo, meta.geo));
  EXPECT_TRUE(decoded->values.empty());
  EXPECT_FALSE(decode_meta(encoded + "x"));
}

TEST(MetaCodec, RoundTrips) {
  EntityMeta meta = meta_of(sample());
  auto decoded = decode_meta(encode_meta(meta));
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(*decoded == meta);
  auto empty = decode_meta(encode_meta(EntityMeta{}));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(*empty == EntityMeta{});
}

TEST(MetaCodec, RejectsTruncatedOrUnknownVersions) {
  std::string encoded = encode_meta(meta_of(sample()));
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_FALSE(decode_meta(encoded.substr(0, size))) << size;
  }
  encoded[0] = 9;
  EXPECT_FALSE(decode_meta(encoded));
  EXPECT_FALSE(decode_meta(encode_meta(meta_of(sample())) + "x"));
}

}  // namespace
}  // namespace citytwin::store::kv
