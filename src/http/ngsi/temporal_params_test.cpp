#include "temporal_params.hpp"

#include <gtest/gtest.h>

namespace citytwin::http::ngsi {
namespace {

bool little(std::string_view query) {
  Request request;
  EXPECT_TRUE(
      parse_request_target("/ngsi-ld/v1/temporal/entities/urn:x?" + std::string(query), request));
  return reads_little_history(request);
}

const std::string kWeek =
    "timerel=between&timeAt=2026-01-01T00:00:00Z&endTimeAt=2026-01-08T00:00:00Z";
const std::string kYear =
    "timerel=between&timeAt=2026-01-01T00:00:00Z&endTimeAt=2027-01-01T00:00:00Z";

TEST(ReadsLittleHistory, FewNewestInstances) {
  EXPECT_TRUE(little("lastN=1"));
  EXPECT_TRUE(little("lastN=100&attrs=temperature"));
  EXPECT_FALSE(little("lastN=101"));
}

TEST(ReadsLittleHistory, AggregationsOfShortWindowsInFewPeriods) {
  const std::string aggregated = "options=aggregatedValues&aggrMethods=avg&";
  EXPECT_TRUE(little(aggregated + "aggrPeriodDuration=P1D&" + kWeek));
  EXPECT_TRUE(little(aggregated + "aggrPeriodDuration=PT1H&" + kWeek));
  EXPECT_TRUE(little(aggregated + kWeek));  // one period
  EXPECT_TRUE(little(aggregated + "aggrPeriodDuration=P1M&" + kWeek));
  EXPECT_FALSE(little(aggregated + "aggrPeriodDuration=PT1M&" + kWeek));  // 10,080 periods
  EXPECT_FALSE(little(aggregated + "aggrPeriodDuration=P1D&" + kYear));
  EXPECT_FALSE(little(aggregated + "aggrPeriodDuration=P1D&timerel=after&"
                                   "timeAt=2026-01-01T00:00:00Z"));
  EXPECT_FALSE(little(aggregated + "aggrPeriodDuration=P1D"));  // the whole history
}

TEST(ReadsLittleHistory, WholeInstancesGoToAWorker) {
  EXPECT_FALSE(little(kWeek));
  EXPECT_FALSE(little(""));
}

// A bad request is answered at once with its 400.
TEST(ReadsLittleHistory, BadParametersAreAnsweredAtOnce) {
  EXPECT_TRUE(little("lastN=zero"));
  EXPECT_TRUE(little("timerel=between&timeAt=2026-01-01T00:00:00Z"));
  EXPECT_TRUE(little("options=aggregatedValues"));
}

}  // namespace
}  // namespace citytwin::http::ngsi
