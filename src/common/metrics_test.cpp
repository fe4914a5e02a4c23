#include "citytwin/common/metrics.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace citytwin {
namespace {

// The exposition text, byte for byte (Prometheus text format 0.0.4): families by name, each
// with HELP and TYPE, counters then histograms by label set, gauges last.
TEST(MetricsRegistry, RendersTheTextFormat) {
  MetricsRegistry metrics;
  metrics.describe("b_seconds", "histogram", "latency");
  metrics.describe("a_total", "counter", "things");
  metrics.add_counter("a_total", Labels{{"k", "v\"2"}}, 3);
  metrics.add_counter("a_total", Labels{{"k", "v1"}});
  metrics.observe_latency("b_seconds", Labels{{"route", "r"}}, 0.5);
  metrics.histogram("b_seconds", Labels{{"route", "r"}}).observe(20);
  metrics.add_gauge("c_gauge", "level", [] {
    return std::vector<std::pair<Labels, double>>{{Labels{}, 1.5}};
  });
  std::string expected =
      "# HELP a_total things\n# TYPE a_total counter\n"
      "a_total{k=\"v\\\"2\"} 3\n"
      "a_total{k=\"v1\"} 1\n"
      "# HELP b_seconds latency\n# TYPE b_seconds histogram\n";
  for (const char* le : {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
                         "0.05", "0.1", "0.25"}) {
    expected += std::string("b_seconds_bucket{route=\"r\",le=\"") + le + "\"} 0\n";
  }
  expected +=
      "b_seconds_bucket{route=\"r\",le=\"0.5\"} 1\n"
      "b_seconds_bucket{route=\"r\",le=\"1\"} 1\n"
      "b_seconds_bucket{route=\"r\",le=\"10\"} 1\n"
      "b_seconds_bucket{route=\"r\",le=\"+Inf\"} 2\n"
      "b_seconds_sum{route=\"r\"} 20.5\n"
      "b_seconds_count{route=\"r\"} 2\n"
      "# HELP c_gauge level\n# TYPE c_gauge gauge\n"
      "c_gauge 1.5\n";
  EXPECT_EQ(metrics.render(), expected);
}

TEST(MetricsRegistry, AHandleIsTheSeriesOfItsLabels) {
  MetricsRegistry metrics;
  MetricsRegistry::Counter& counter = metrics.counter("x_total", Labels{{"a", "1"}});
  EXPECT_EQ(&counter, &metrics.counter("x_total", Labels{{"a", "1"}}));
  EXPECT_NE(&counter, &metrics.counter("x_total", Labels{{"a", "2"}}));
  counter.fetch_add(2);
  metrics.add_counter("x_total", Labels{{"a", "1"}});
  EXPECT_NE(metrics.render().find("x_total{a=\"1\"} 3\n"), std::string::npos);
  // A series found but never counted is shown, as one counted 0 times.
  EXPECT_NE(metrics.render().find("x_total{a=\"2\"} 0\n"), std::string::npos);
}

// Counts and buckets stay exact when threads count at once, through handles and through the
// label lookups.
TEST(MetricsRegistry, CountsExactlyUnderConcurrency) {
  MetricsRegistry metrics;
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  MetricsRegistry::Counter& counter = metrics.counter("n_total", Labels{});
  MetricsRegistry::LatencyHistogram& histogram = metrics.histogram("d_seconds", Labels{});
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        counter.fetch_add(1, std::memory_order_relaxed);
        metrics.add_counter("n_total", Labels{});
        // Half fall into the 1 ms bucket, half above 10 s.
        if ((i + t) % 2 == 0) {
          histogram.observe(0.001);
        } else {
          metrics.observe_latency("d_seconds", Labels{}, 11);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::string text = metrics.render();
  const int total = kThreads * kEach;
  EXPECT_NE(text.find("n_total " + std::to_string(2 * total) + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_bucket{le=\"0.0005\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_bucket{le=\"0.001\"} " + std::to_string(total / 2) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("d_seconds_bucket{le=\"10\"} " + std::to_string(total / 2) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("d_seconds_bucket{le=\"+Inf\"} " + std::to_string(total) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("d_seconds_count " + std::to_string(total) + "\n"), std::string::npos)
      << text;
}

// A scrape while observations land still shows cumulative buckets that never decrease and
// never exceed the count.
TEST(MetricsRegistry, ScrapesAConsistentHistogramWhileObserving) {
  MetricsRegistry metrics;
  MetricsRegistry::LatencyHistogram& histogram = metrics.histogram("d_seconds", Labels{});
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    double values[] = {0.00005, 0.003, 0.2, 5, 50};
    for (int i = 0; !stop.load(); ++i) histogram.observe(values[i % 5]);
  });
  for (int scrape = 0; scrape < 200; ++scrape) {
    const std::string text = metrics.render();
    std::uint64_t previous = 0;
    std::size_t at = 0;
    while ((at = text.find("d_seconds_bucket{le=", at)) != std::string::npos) {
      std::size_t space = text.find("} ", at);
      std::uint64_t value = std::stoull(text.substr(space + 2));
      EXPECT_GE(value, previous) << text;
      previous = value;
      at = space;
    }
    std::size_t count_at = text.find("d_seconds_count ");
    ASSERT_NE(count_at, std::string::npos);
    EXPECT_EQ(std::stoull(text.substr(count_at + 16)), previous) << text;  // +Inf is last
  }
  stop.store(true);
  writer.join();
}

}  // namespace
}  // namespace citytwin
