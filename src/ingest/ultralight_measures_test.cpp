#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "citytwin/ingest/measures.hpp"

namespace citytwin::ingest {
namespace {

TEST(UltraLightTest, PairsBecomeFieldsWithNumbersRecognised) {
  auto groups = decode_ultralight_measures("t|23.5|h|40|s|on|z|007|e|-1e3\n");
  ASSERT_TRUE(groups.ok()) << groups.error().detail;
  ASSERT_EQ(groups->size(), 1u);
  const auto& fields = (*groups)[0].fields;
  ASSERT_EQ(fields.size(), 5u);
  EXPECT_EQ(fields[0].second, boost::json::value(23.5));
  EXPECT_EQ(fields[1].second, boost::json::value(40));
  EXPECT_EQ(fields[2].second, boost::json::value("on"));
  EXPECT_EQ(fields[3].second, boost::json::value("007"));  // not a JSON number: stays text
  EXPECT_EQ(fields[4].second, boost::json::value(-1000.0));
}

TEST(UltraLightTest, GroupsWithLeadingTimestamps) {
  auto groups =
      decode_ultralight_measures("2026-12-04T10:00:00Z|t|1#t|2#2026-12-04T10:05:00.5Z|t|3|h|4");
  ASSERT_TRUE(groups.ok()) << groups.error().detail;
  ASSERT_EQ(groups->size(), 3u);
  EXPECT_EQ(format_date_time(*(*groups)[0].observed_at), "2026-12-04T10:00:00.000Z");
  EXPECT_FALSE((*groups)[1].observed_at.has_value());
  EXPECT_EQ(format_date_time(*(*groups)[2].observed_at), "2026-12-04T10:05:00.500Z");
  EXPECT_EQ((*groups)[2].fields.size(), 2u);
}

TEST(UltraLightTest, EmptyValueIsEmptyText) {
  auto groups = decode_ultralight_measures("s|");
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ((*groups)[0].fields[0].second, boost::json::value(""));
}

TEST(UltraLightTest, MalformedInputIsRejectedWithAReason) {
  for (std::string_view bad : {"", "   ", "t", "t|1|h", "notatime|t|1", "|1", "t|1##h|2", "t|1#",
                               "2026-12-04T10:00:00Z", " |1|h|2"}) {
    auto result = decode_ultralight_measures(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().kind, ErrorKind::kBadRequestData) << bad;
    EXPECT_EQ(result.error().detail.rfind("UltraLight: ", 0), 0u) << result.error().detail;
  }
}

TEST(UltraLightTest, LimitsBoundGroupsAndFields) {
  DecodeLimits limits;
  limits.max_groups = 2;
  limits.max_fields = 1;
  EXPECT_FALSE(decode_ultralight_measures("a|1#a|2#a|3", limits).ok());
  EXPECT_FALSE(decode_ultralight_measures("a|1|b|2", limits).ok());
  EXPECT_TRUE(decode_ultralight_measures("a|1#b|2", limits).ok());
}

}  // namespace
}  // namespace citytwin::ingest
