#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "citytwin/ingest/measures.hpp"

namespace citytwin::ingest {
namespace {

TEST(JsonMeasuresTest, SingleObjectKeepsJsonTypesAndOrder) {
  auto groups =
      decode_json_measures(R"({"t": 23.5, "h": 40, "s": "on", "loc": {"type": "Point"}})");
  ASSERT_TRUE(groups.ok()) << groups.error().detail;
  ASSERT_EQ(groups->size(), 1u);
  const auto& fields = (*groups)[0].fields;
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0].first, "t");
  EXPECT_EQ(fields[0].second, boost::json::value(23.5));
  EXPECT_EQ(fields[1].second, boost::json::value(40));
  EXPECT_EQ(fields[2].second, boost::json::value("on"));
  EXPECT_TRUE(fields[3].second.is_object());
  EXPECT_FALSE((*groups)[0].observed_at.has_value());
}

TEST(JsonMeasuresTest, MultiMeasureArrayWithTimeInstants) {
  auto groups = decode_json_measures(
      R"([{"t": 1, "TimeInstant": "2026-12-04T10:00:00Z"}, {"t": 2, "TimeInstant": "2026-12-04T11:00:00+01:00"}, {"t": 3}])");
  ASSERT_TRUE(groups.ok()) << groups.error().detail;
  ASSERT_EQ(groups->size(), 3u);
  EXPECT_EQ(format_date_time(*(*groups)[0].observed_at), "2026-12-04T10:00:00.000Z");
  EXPECT_EQ((*groups)[0].observed_at, (*groups)[1].observed_at);  // same instant, other zone
  EXPECT_FALSE((*groups)[2].observed_at.has_value());
  EXPECT_EQ((*groups)[0].fields.size(), 1u);  // TimeInstant is not a measure
}

TEST(JsonMeasuresTest, NullMeasuresAreSkipped) {
  auto groups = decode_json_measures(R"({"t": null, "h": 1})");
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ((*groups)[0].fields.size(), 1u);
  EXPECT_EQ((*groups)[0].fields[0].first, "h");
}

TEST(JsonMeasuresTest, MalformedInputIsRejectedWithAReason) {
  EXPECT_EQ(decode_json_measures("{\"t\": ").error().kind, ErrorKind::kInvalidRequest);
  EXPECT_EQ(decode_json_measures("").error().kind, ErrorKind::kInvalidRequest);
  for (std::string_view bad :
       {"42", "\"text\"", "[]", "{}", "[1, 2]", R"({"TimeInstant": "2026-12-04T10:00:00Z"})",
        R"({"t": 1, "TimeInstant": "yesterday"})", R"({"t": 1, "TimeInstant": 5})",
        R"([{"t": 1}, "x"])", R"({"": 1})"}) {
    auto result = decode_json_measures(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().kind, ErrorKind::kBadRequestData) << bad;
    EXPECT_FALSE(result.error().detail.empty());
  }
}

TEST(JsonMeasuresTest, LimitsBoundGroupsAndFields) {
  DecodeLimits limits;
  limits.max_groups = 2;
  limits.max_fields = 2;
  EXPECT_FALSE(decode_json_measures(R"([{"a": 1}, {"a": 2}, {"a": 3}])", limits).ok());
  EXPECT_FALSE(decode_json_measures(R"({"a": 1, "b": 2, "c": 3})", limits).ok());
  EXPECT_TRUE(decode_json_measures(R"([{"a": 1, "b": 2}, {"a": 2}])", limits).ok());
}

}  // namespace
}  // namespace citytwin::ingest
