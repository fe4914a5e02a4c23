#include "media_type.hpp"

#include <gtest/gtest.h>

namespace citytwin::http::ngsi {
namespace {

// RFC 9110 clause 8.3.1: type and subtype are case-insensitive; parameters are not part of
// the comparison.
TEST(MediaTypeTest, EssenceIgnoresCaseParametersAndWhitespace) {
  EXPECT_EQ(media_type_essence("application/json"), "application/json");
  EXPECT_EQ(media_type_essence("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(media_type_essence(" application/LD+json ;charset=UTF-8"), "application/ld+json");
  EXPECT_EQ(media_type_essence("application/merge-patch+json\t"), "application/merge-patch+json");
  EXPECT_EQ(media_type_essence(""), "");
}

TEST(MediaTypeTest, AcceptIsOrderedByQuality) {
  auto ranges = parse_accept("application/json;q=0.5, Application/LD+JSON ; Q=0.9, */*;q=0.1");
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].type, "application/ld+json");
  EXPECT_DOUBLE_EQ(ranges[0].quality, 0.9);
  EXPECT_EQ(ranges[1].type, "application/json");
  EXPECT_EQ(ranges[2].type, "*/*");
}

TEST(MediaTypeTest, AcceptParametersOtherThanQAreIgnored) {
  auto ranges = parse_accept("application/json; charset=utf-8; q=0.2, application/geo+json");
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].type, "application/geo+json");
  EXPECT_EQ(ranges[1].type, "application/json");
  EXPECT_DOUBLE_EQ(ranges[1].quality, 0.2);
}

TEST(MediaTypeTest, UnreadableQualityCountsAsZeroAndEmptyItemsAreSkipped) {
  auto ranges = parse_accept("application/json;q=high,, application/ld+json;q=2");
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_DOUBLE_EQ(ranges[0].quality, 0);
  EXPECT_DOUBLE_EQ(ranges[1].quality, 0);
  EXPECT_TRUE(parse_accept("").empty());
}

}  // namespace
}  // namespace citytwin::http::ngsi
