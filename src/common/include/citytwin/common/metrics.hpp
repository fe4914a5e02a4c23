#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace citytwin {

// Label set rendered as {k="v",...}; kept sorted by the caller's order of insertion.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A Prometheus-style metrics registry (text exposition format 0.0.4). Owned by the server
// wiring and passed to whoever records; no process globals.
class MetricsRegistry {
 public:
  // Latency buckets in seconds, from 100 µs to 10 s.
  static constexpr std::array<double, 14> kLatencyBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 10};

  void describe(const std::string& name, const std::string& type, const std::string& help);
  void add_counter(const std::string& name, const Labels& labels, std::uint64_t delta = 1);
  void observe_latency(const std::string& name, const Labels& labels, double seconds);

  // A gauge computed when /metrics is scraped; the callback returns (labels, value) samples.
  using GaugeSource = std::function<std::vector<std::pair<Labels, double>>()>;
  void add_gauge(const std::string& name, const std::string& help, GaugeSource source);

  std::string render() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    std::string type;
    std::string help;
    std::map<Labels, std::uint64_t> counters;
    std::map<Labels, Histogram> histograms;
  };
  struct Gauge {
    std::string name;
    std::string help;
    GaugeSource source;
  };

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
  std::vector<Gauge> gauges_;
};

std::string render_labels(const Labels& labels);

}  // namespace citytwin
