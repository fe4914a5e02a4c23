// Parsing of georel (ETSI GS CIM 009 clause 4.10).
#include "citytwin/model/geo/georel.hpp"

#include <gtest/gtest.h>

namespace citytwin::geo {
namespace {

TEST(ParseGeorel, AcceptsEveryRelation) {
  struct Case {
    const char* text;
    Georel expected;
  };
  const Case cases[] = {
      {"within", {GeoRelation::kWithin, DistanceBound::kNone, 0}},
      {"contains", {GeoRelation::kContains, DistanceBound::kNone, 0}},
      {"intersects", {GeoRelation::kIntersects, DistanceBound::kNone, 0}},
      {"disjoint", {GeoRelation::kDisjoint, DistanceBound::kNone, 0}},
      {"equals", {GeoRelation::kEquals, DistanceBound::kNone, 0}},
      {"overlaps", {GeoRelation::kOverlaps, DistanceBound::kNone, 0}},
      {"near;maxDistance==2000", {GeoRelation::kNear, DistanceBound::kMaxDistance, 2000}},
      {"near;minDistance==0.5", {GeoRelation::kNear, DistanceBound::kMinDistance, 0.5}},
      {"near;maxDistance==1e3", {GeoRelation::kNear, DistanceBound::kMaxDistance, 1000}},
      {"near;maxDistance==0", {GeoRelation::kNear, DistanceBound::kMaxDistance, 0}},
  };
  for (const Case& c : cases) {
    Result<Georel> georel = parse_georel(c.text);
    ASSERT_TRUE(georel.ok()) << c.text << ": " << georel.error().detail;
    EXPECT_EQ(*georel, c.expected) << c.text;
  }
}

TEST(ParseGeorel, RejectsBadSyntax) {
  const char* bad[] = {"",
                       "Within",
                       "inside",
                       "near",
                       "near;",
                       "near;maxDistance",
                       "near;maxDistance==",
                       "near;maxDistance=2000",
                       "near;maxdistance==2000",
                       "near;maxDistance==abc",
                       "near;maxDistance==12km",
                       "near;maxDistance==-5",
                       "near;maxDistance==+5",
                       "near;maxDistance==inf",
                       "near;maxDistance==nan",
                       "near;maxDistance== 5",
                       "near;distance==5",
                       "within;maxDistance==5"};
  for (const char* text : bad) {
    Result<Georel> georel = parse_georel(text);
    ASSERT_FALSE(georel.ok()) << text;
    EXPECT_EQ(georel.error().kind, ErrorKind::kInvalidRequest) << text;
    EXPECT_TRUE(georel.error().detail.starts_with("georel: ")) << georel.error().detail;
  }
  EXPECT_EQ(parse_georel("near;maxDistance==abc").error().detail,
            "georel: distance 'abc' is not a finite non-negative number of metres");
}

TEST(ParseGeorel, RoundTripsThroughText) {
  for (const char* text : {"within", "contains", "intersects", "disjoint", "equals", "overlaps",
                           "near;maxDistance==2000", "near;minDistance==0.25"}) {
    Result<Georel> georel = parse_georel(text);
    ASSERT_TRUE(georel.ok()) << text;
    EXPECT_EQ(to_string(*georel), text);
  }
}

}  // namespace
}  // namespace citytwin::geo
