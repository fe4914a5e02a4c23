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

void MetricsRegistry::add_counter(const std::string& name, const Labels& labels,
                                  std::uint64_t delta) {
  std::lock_guard lock(mutex_);
  families_[name].counters[labels] += delta;
}

void MetricsRegistry::observe_latency(const std::string& name, const Labels& labels,
                                      double seconds) {
  std::lock_guard lock(mutex_);
  auto& histogram = families_[name].histograms[labels];
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) ++histogram.buckets[i];
  }
  ++histogram.count;
  histogram.sum += seconds;
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
        out += fmt::format("{}{} {}\n", name, render_labels(labels), value);
      }
      for (const auto& [labels, histogram] : family.histograms) {
        for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
          out += fmt::format(
              "{}_bucket{} {}\n", name,
              render_labels(with_label(labels, "le", fmt::format("{}", kLatencyBuckets[i]))),
              histogram.buckets[i]);
        }
        out += fmt::format("{}_bucket{} {}\n", name,
                           render_labels(with_label(labels, "le", "+Inf")), histogram.count);
        out += fmt::format("{}_sum{} {}\n", name, render_labels(labels), histogram.sum);
        out += fmt::format("{}_count{} {}\n", name, render_labels(labels), histogram.count);
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
