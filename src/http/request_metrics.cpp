#include "request_metrics.hpp"

#include <memory>
#include <string>

namespace citytwin::http {
namespace {

constexpr const char* kDuration = "citytwin_http_request_duration_seconds";
constexpr const char* kRequests = "citytwin_http_requests_total";

}  // namespace

RequestMetrics::RequestMetrics(MetricsRegistry& registry) : registry_(registry) {}

RequestMetrics::~RequestMetrics() {
  for (auto& slots : routes_) delete slots.load();
}

void RequestMetrics::record(std::size_t route_index, std::string_view route,
                            std::string_view method, int status, double seconds) {
  if (route_index >= kMaxRoutes) {
    Labels labels{{"route", std::string(route)}, {"method", std::string(method)}};
    registry_.observe_latency(kDuration, labels, seconds);
    labels.emplace_back("status", std::to_string(status));
    registry_.add_counter(kRequests, labels);
    return;
  }
  RouteSlots& slots = slots_of(route_index);
  latency(slots, route, method).observe(seconds);
  requests(slots, route, method, status).fetch_add(1, std::memory_order_relaxed);
}

RequestMetrics::RouteSlots& RequestMetrics::slots_of(std::size_t route_index) {
  std::atomic<RouteSlots*>& entry = routes_[route_index];
  RouteSlots* slots = entry.load(std::memory_order_acquire);
  if (slots != nullptr) return *slots;
  auto fresh = std::make_unique<RouteSlots>();
  if (entry.compare_exchange_strong(slots, fresh.get(), std::memory_order_acq_rel)) {
    return *fresh.release();
  }
  return *slots;  // another thread's, published first
}

// Two threads may both find the series first: the registry gives both the same one.
MetricsRegistry::LatencyHistogram& RequestMetrics::latency(RouteSlots& slots,
                                                           std::string_view route,
                                                           std::string_view method) {
  MetricsRegistry::LatencyHistogram* found = slots.latency.load(std::memory_order_acquire);
  if (found == nullptr) {
    found = &registry_.histogram(
        kDuration, Labels{{"route", std::string(route)}, {"method", std::string(method)}});
    slots.latency.store(found, std::memory_order_release);
  }
  return *found;
}

// The slot of `status`, claimed if none has it yet. A slot claimed by another thread whose
// counter is not published yet, or no free slot, falls back to the registry's lookup (same
// series, only slower).
MetricsRegistry::Counter& RequestMetrics::requests(RouteSlots& slots, std::string_view route,
                                                   std::string_view method, int status) {
  for (StatusSlot& slot : slots.statuses) {
    int held = slot.status.load(std::memory_order_acquire);
    if (held == 0 && slot.status.compare_exchange_strong(held, status, std::memory_order_acq_rel)) {
      MetricsRegistry::Counter& counter = find_requests(route, method, status);
      slot.counter.store(&counter, std::memory_order_release);
      return counter;
    }
    if (held == status) {
      MetricsRegistry::Counter* counter = slot.counter.load(std::memory_order_acquire);
      return counter != nullptr ? *counter : find_requests(route, method, status);
    }
  }
  return find_requests(route, method, status);
}

MetricsRegistry::Counter& RequestMetrics::find_requests(std::string_view route,
                                                        std::string_view method, int status) {
  return registry_.counter(kRequests, Labels{{"route", std::string(route)},
                                             {"method", std::string(method)},
                                             {"status", std::to_string(status)}});
}

}  // namespace citytwin::http
