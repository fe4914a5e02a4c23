#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <string_view>

#include "citytwin/common/metrics.hpp"

namespace citytwin::http {

// The two series every answered request adds to: citytwin_http_request_duration_seconds
// {route,method} and citytwin_http_requests_total{route,method,status}. Looking a series up
// in the registry takes its lock and compares label sets, per request; here a matched route's
// series are found once and kept, so recording a request is a few atomic increments. The
// registry holds the series as before (created by the first request, as before), so /metrics
// reads the same.
class RequestMetrics {
 public:
  // Routes are declared while the server already runs, so the table has room for this many
  // and allocates a route's slots when it first answers; routes beyond take the slow way.
  static constexpr std::size_t kMaxRoutes = 1024;

  explicit RequestMetrics(MetricsRegistry& registry);
  ~RequestMetrics();
  RequestMetrics(const RequestMetrics&) = delete;
  RequestMetrics& operator=(const RequestMetrics&) = delete;

  // `route_index`: Router::Match::index (a route fixes its method), or Router::kNoRoute for
  // a request no route matched, which looks its series up in the registry.
  void record(std::size_t route_index, std::string_view route, std::string_view method, int status,
              double seconds);

 private:
  // A status seen on a route, and its counter once found; status 0 marks a free slot.
  struct StatusSlot {
    std::atomic<int> status{0};
    std::atomic<MetricsRegistry::Counter*> counter{nullptr};
  };
  // Routes answer with few distinct statuses; further ones take the registry's lookup.
  static constexpr std::size_t kStatusSlots = 12;
  struct RouteSlots {
    std::atomic<MetricsRegistry::LatencyHistogram*> latency{nullptr};
    std::array<StatusSlot, kStatusSlots> statuses;
  };

  RouteSlots& slots_of(std::size_t route_index);
  MetricsRegistry::LatencyHistogram& latency(RouteSlots& slots, std::string_view route,
                                             std::string_view method);
  MetricsRegistry::Counter& requests(RouteSlots& slots, std::string_view route,
                                     std::string_view method, int status);
  MetricsRegistry::Counter& find_requests(std::string_view route, std::string_view method,
                                          int status);

  MetricsRegistry& registry_;
  std::array<std::atomic<RouteSlots*>, kMaxRoutes> routes_{};
};

}  // namespace citytwin::http
