// append_serialized_double against Boost.JSON's own serializer, which wrote the doubles of
// every stored instance text: random bit patterns (every exponent, subnormals), the values
// sensors send, and the edges.
#include "citytwin/common/serialized_double.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace citytwin {
namespace {

std::string ours(double value) {
  std::string out;
  append_serialized_double(out, value);
  return out;
}

TEST(SerializedDouble, WritesWhatBoostJsonWrites) {
  std::mt19937_64 random(20261206);
  std::uniform_real_distribution<double> reading(-100, 100);
  for (int i = 0; i < 200000; ++i) {
    double value = std::bit_cast<double>(random());
    if (!std::isfinite(value)) continue;
    ASSERT_EQ(ours(value), boost::json::serialize(boost::json::value(value))) << value;
    double sensor = std::round(reading(random) * 100) / 100;  // two decimals, as sensors send
    ASSERT_EQ(ours(sensor), boost::json::serialize(boost::json::value(sensor))) << sensor;
  }
  for (double value :
       {0.0, -0.0, 1.0, -1.0, 0.1, 21.5, 1e21, 1e-7, 123456789012345680.0,
        std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
        std::numeric_limits<double>::min(), std::numeric_limits<double>::denorm_min(),
        std::numeric_limits<double>::epsilon()}) {
    EXPECT_EQ(ours(value), boost::json::serialize(boost::json::value(value))) << value;
  }
}

TEST(SerializedDouble, AppendsToWhatIsThere) {
  std::string out = "[";
  append_serialized_double(out, 21.5);
  EXPECT_EQ(out, "[2.15E1");
}

}  // namespace
}  // namespace citytwin
