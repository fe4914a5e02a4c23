#include "citytwin/kpi/units.hpp"

#include <gtest/gtest.h>

namespace citytwin::kpi {
namespace {

TEST(Units, ShareScalings) {
  EXPECT_NEAR(*convert_unit(25, "percent", "ratio"), 0.25, 1e-15);
  EXPECT_NEAR(*convert_unit(0.25, "ratio", "%"), 25, 1e-12);
  EXPECT_NEAR(*convert_unit(5, "per_mille", "percent"), 0.5, 1e-12);
}

TEST(Units, RateScalings) {
  EXPECT_NEAR(*convert_unit(120, "per_100000", "per_capita"), 0.0012, 1e-15);
  EXPECT_NEAR(*convert_unit(1.2, "per_1000", "per_100000"), 120, 1e-9);
}

TEST(Units, PhysicalScalings) {
  EXPECT_NEAR(*convert_unit(1500, "m", "km"), 1.5, 1e-12);
  EXPECT_NEAR(*convert_unit(2, "ha", "m2"), 20000, 1e-9);
  EXPECT_NEAR(*convert_unit(3, "GWh", "kWh"), 3e6, 1e-6);
  EXPECT_NEAR(*convert_unit(90, "s", "min"), 1.5, 1e-12);
  EXPECT_NEAR(*convert_unit(2500, "kg", "t"), 2.5, 1e-12);
}

TEST(Units, DifferentDimensionsAndUnknownUnitsAreRefused) {
  auto mixed = convert_unit(1, "count", "km");
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error().kind, ErrorKind::kBadRequestData);
  EXPECT_FALSE(convert_unit(1, "percent", "per_100000").ok());
  EXPECT_FALSE(convert_unit(1, "furlong", "km").ok());
}

TEST(Units, AliasesNameTheCanonicalUnit) {
  EXPECT_EQ(find_unit("%")->code, "percent");
  EXPECT_EQ(find_unit("number")->code, "count");
}

}  // namespace
}  // namespace citytwin::kpi
