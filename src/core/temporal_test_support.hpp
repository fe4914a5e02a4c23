#pragma once

// What the temporal tests that compare two stores share: a clock the test moves, a temporary
// data directory, a RocksDB store compacting history into small chunks, and a comparison of
// two answers up to floating-point rounding.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/series/aggregation.hpp"
#include "citytwin/store/rocksdb_store.hpp"

namespace citytwin::core::test_support {

inline constexpr std::int64_t kTestStart = 1'780'000'000'000'000;

// The eight aggregation methods (index 1, distinctCount, is the one without an integer
// path or pre-aggregates), and the periods the random query tests draw from.
inline const std::vector<series::AggregationMethod> kAllAggregationMethods = {
    series::AggregationMethod::kTotalCount, series::AggregationMethod::kDistinctCount,
    series::AggregationMethod::kSum,        series::AggregationMethod::kAvg,
    series::AggregationMethod::kMin,        series::AggregationMethod::kMax,
    series::AggregationMethod::kStddev,     series::AggregationMethod::kSumsq};
inline constexpr const char* kTestPeriods[] = {"PT0S", "PT1M", "PT7M", "PT1H", "PT3H", "P1D"};

class SteppingClock final : public Clock {
 public:
  Instant now() const override { return Instant{micros}; }
  std::int64_t micros = kTestStart;
};

class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A RocksDB store in `path` whose history compacts (on compact_history() only) into chunks of
// 48 samples, so that small histories have many chunks.
inline std::unique_ptr<store::EntityStore> open_chunked_store(const std::string& path) {
  store::RocksDbOptions options;
  options.path = path;
  options.sync_writes = false;
  options.history_compaction.background = false;
  options.history_compaction.min_age = std::chrono::seconds(0);
  options.history_compaction.min_samples = 4;
  options.history_compaction.chunk_samples = 48;
  auto opened = store::open_rocksdb_store(options);
  EXPECT_TRUE(opened.ok()) << opened.error().detail;
  return opened.ok() ? std::move(*opened) : nullptr;
}

// Equal JSON without instanceIds (each store numbers its samples), numbers within rounding
// (a merged pre-aggregate adds in another order than the sequential sum).
inline void expect_same(const boost::json::value& a, const boost::json::value& b,
                        const std::string& path) {
  namespace json = boost::json;
  if (a.is_number() && b.is_number()) {
    double x = a.to_number<double>();
    double y = b.to_number<double>();
    EXPECT_LE(std::abs(x - y), 1e-9 * std::max({1.0, std::abs(x), std::abs(y)})) << path;
    return;
  }
  ASSERT_EQ(a.kind(), b.kind()) << path << ": " << a << " vs " << b;
  if (a.is_object()) {
    auto without_id = [](const json::object& object) {
      json::object copy = object;
      copy.erase("instanceId");
      return copy;
    };
    json::object x = without_id(a.as_object());
    json::object y = without_id(b.as_object());
    ASSERT_EQ(x.size(), y.size()) << path << ": " << a << " vs " << b;
    for (const auto& [key, value] : x) {
      const auto* other = y.if_contains(key);
      ASSERT_NE(other, nullptr) << path << "/" << key;
      expect_same(value, *other, path + "/" + std::string(key));
    }
  } else if (a.is_array()) {
    ASSERT_EQ(a.as_array().size(), b.as_array().size()) << path << ": " << a << " vs " << b;
    for (std::size_t i = 0; i < a.as_array().size(); ++i) {
      expect_same(a.as_array()[i], b.as_array()[i], path + "/" + std::to_string(i));
    }
  } else {
    EXPECT_EQ(a, b) << path;
  }
}

}  // namespace citytwin::core::test_support
