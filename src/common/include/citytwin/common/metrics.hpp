#pragma once

#include <array>
#include <atomic>
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

  // One latency histogram series. Observing takes no lock: a hot path finds its series once
  // (histogram()) and keeps the reference, valid as long as the registry.
  class LatencyHistogram {
   public:
    void observe(double seconds);

   private:
    friend class MetricsRegistry;
    std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size()> buckets_{};
    std::atomic<std::uint64_t> count_{0};
    std::atomic<double> sum_{0};
  };
  using Counter = std::atomic<std::uint64_t>;

  void describe(const std::string& name, const std::string& type, const std::string& help);
  void add_counter(const std::string& name, const Labels& labels, std::uint64_t delta = 1);
  void observe_latency(const std::string& name, const Labels& labels, double seconds);
  // The series of `name` with `labels`, created on first use (it then appears in render(), like
  // a series that add_counter() or observe_latency() created). The reference stays valid as
  // long as the registry, so a caller may keep it and count without the registry's lock.
  Counter& counter(const std::string& name, const Labels& labels);
  LatencyHistogram& histogram(const std::string& name, const Labels& labels);

  // A gauge computed when /metrics is scraped; the callback returns (labels, value) samples.
  using GaugeSource = std::function<std::vector<std::pair<Labels, double>>()>;
  void add_gauge(const std::string& name, const std::string& help, GaugeSource source);

  std::string render() const;

 private:
  // std::map nodes never move: references to their atomics stay valid.
  struct Family {
    std::string type;
    std::string help;
    std::map<Labels, Counter> counters;
    std::map<Labels, LatencyHistogram> histograms;
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
