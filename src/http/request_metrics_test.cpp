#include "request_metrics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "citytwin/http/router.hpp"

namespace citytwin::http {
namespace {

// What the dispatcher recorded per request before: the same series, looked up by labels.
void record_by_labels(MetricsRegistry& metrics, const std::string& route, const std::string& method,
                      int status, double seconds) {
  Labels labels{{"route", route}, {"method", method}};
  metrics.observe_latency("citytwin_http_request_duration_seconds", labels, seconds);
  labels.emplace_back("status", std::to_string(status));
  metrics.add_counter("citytwin_http_requests_total", labels);
}

TEST(RequestMetrics, ShowsTheSameSeriesAsLabelLookups) {
  MetricsRegistry fast_registry;
  MetricsRegistry slow_registry;
  RequestMetrics fast(fast_registry);
  struct Sample {
    std::size_t index;
    const char* route;
    const char* method;
    int status;
    double seconds;
  };
  const std::vector<Sample> samples = {
      {3, "/ngsi-ld/v1/entities/{entityId}", "GET", 200, 0.0002},
      {3, "/ngsi-ld/v1/entities/{entityId}", "GET", 404, 0.0003},
      {3, "/ngsi-ld/v1/entities/{entityId}", "GET", 200, 0.02},
      {0, "/health", "GET", 200, 0.00001},
      {Router::kNoRoute, "unmatched", "BREW", 404, 0.00002},
      {Router::kNoRoute, "unmatched", "GET", 404, 0.00002},
      {RequestMetrics::kMaxRoutes + 5, "/late/route", "POST", 201, 3},
  };
  for (const Sample& s : samples) {
    fast.record(s.index, s.route, s.method, s.status, s.seconds);
    record_by_labels(slow_registry, s.route, s.method, s.status, s.seconds);
  }
  EXPECT_EQ(fast_registry.render(), slow_registry.render());
}

// More statuses on one route than it has slots: the rest are counted through the registry,
// in the same series.
TEST(RequestMetrics, CountsStatusesBeyondItsSlots) {
  MetricsRegistry fast_registry;
  MetricsRegistry slow_registry;
  RequestMetrics fast(fast_registry);
  for (int round = 0; round < 3; ++round) {
    for (int status = 200; status < 230; ++status) {
      fast.record(1, "/r", "GET", status, 0.001);
      record_by_labels(slow_registry, "/r", "GET", status, 0.001);
    }
  }
  EXPECT_EQ(fast_registry.render(), slow_registry.render());
}

TEST(RequestMetrics, CountsExactlyUnderConcurrency) {
  MetricsRegistry registry;
  RequestMetrics metrics(registry);
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kEach; ++i) {
        // Every thread races to claim the slots of the same few statuses on two routes.
        const int status = (i + t) % 3 == 0 ? 404 : 200;
        metrics.record(static_cast<std::size_t>(i % 2), i % 2 == 0 ? "/a" : "/b", "GET", status,
                       0.0001);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  MetricsRegistry expected_registry;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      const int status = (i + t) % 3 == 0 ? 404 : 200;
      record_by_labels(expected_registry, i % 2 == 0 ? "/a" : "/b", "GET", status, 0.0001);
    }
  }
  // The sums may differ in their last digits (additions in another order): compare the rest.
  auto without_sums = [](std::string text) {
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      std::string line = text.substr(start, end - start + 1);
      if (line.find("_sum{") == std::string::npos) out += line;
      start = end + 1;
    }
    return out;
  };
  EXPECT_EQ(without_sums(registry.render()), without_sums(expected_registry.render()));
}

}  // namespace
}  // namespace citytwin::http
