#include "citytwin/common/metrics.hpp"

#include <fmt/format.h>

namespace citytwin {
namespace {

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Labels with_label(Labels labels, std::string key, std::string value) {
  labels.emplace_back(std::move(key), std::move(value));
  return labels;
}

}  // namespace

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first + "=\"" + escape_label_value(labels[i].second) + '"';
  }
  return out + "}";
}

void MetricsRegistry::describe(const std::string& name, const std::string& type,
                               const std::string& help) {
  std::lock_guard lock(mutex_);
  auto& family = families_[name];
  family.type = type;
  family.help = help;
}

// The count first, then the buckets from the widest down, each increment released: a scrape
// that reads the buckets from the narrowest up (acquiring) and the count last sees cumulative
// buckets that never decrease and never exceed the count, as Prometheus requires, although
// observations land meanwhile.
void MetricsRegistry::LatencyHistogram::observe(double seconds) {
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(seconds, std::memory_order_relaxed);
  for (std::size_t i = kLatencyBuckets.size(); i-- > 0;) {
    if (seconds > kLatencyBuckets[i]) break;
    buckets_[i].fetch_add(1, std::memory_order_release);
  }
}

MetricsRegistry::Counter& MetricsRegistry::counter(const std::string& name, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& counters = families_[name].counters;
  return counters.try_emplace(labels, 0).first->second;
}

MetricsRegistry::LatencyHistogram& MetricsRegistry::histogram(const std::string& name,
                                                              const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& histograms = families_[name].histograms;
  return histograms.try_emplace(labels).first->second;
}

void MetricsRegistry::add_counter(const std::string& name, const Labels& labels,
                                  std::uint64_t delta) {
  counter(name, labels).fetch_add(delta, std::memory_order_relaxed);
}

void MetricsRegistry::observe_latency(const std::string& name, const Labels& labels,
                                      double seconds) {
  histogram(name, labels).observe(seconds);
}

void MetricsRegistry::add_gauge(const std::string& name, const std::string& help,
                                GaugeSource source) {
  std::lock_guard lock(mutex_);
  gauges_.push_back(Gauge{name, help, std::move(source)});
}

std::string MetricsRegistry::render() const {
  std::string out;
  std::vector<Gauge> gauges;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, family] : families_) {
      if (!family.help.empty()) out += fmt::format("# HELP {} {}\n", name, family.help);
      if (!family.type.empty()) out += fmt::format("# TYPE {} {}\n", name, family.type);
      for (const auto& [labels, value] : family.counters) {
        out += fmt::format("{}{} {}\n", name, render_labels(labels),
                           value.load(std::memory_order_relaxed));
      }
      for (const auto& [labels, histogram] : family.histograms) {
        // Buckets narrowest first, the count last (see LatencyHistogram::observe).
        std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};
        for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
          buckets[i] = histogram.buckets_[i].load(std::memory_order_acquire);
        }
        const std::uint64_t count = histogram.count_.load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
          out += fmt::format(
              "{}_bucket{} {}\n", name,
              render_labels(with_label(labels, "le", fmt::format("{}", kLatencyBuckets[i]))),
              buckets[i]);
        }
        out += fmt::format("{}_bucket{} {}\n", name,
                           render_labels(with_label(labels, "le", "+Inf")), count);
        out += fmt::format("{}_sum{} {}\n", name, render_labels(labels),
                           histogram.sum_.load(std::memory_order_relaxed));
        out += fmt::format("{}_count{} {}\n", name, render_labels(labels), count);
      }
    }
    gauges = gauges_;
  }
  // Gauge sources may take their own locks (the store); call them outside ours.
  for (const auto& gauge : gauges) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", gauge.name, gauge.help, gauge.name);
    for (const auto& [labels, value] : gauge.source()) {
      out += fmt::format("{}{} {}\n", gauge.name, render_labels(labels), value);
    }
  }
  return out;
}

}  // namespace citytwin
