#pragma once

#include <functional>
#include <string>

#include "citytwin/common/metrics.hpp"
#include "citytwin/http/router.hpp"

namespace citytwin::http {

struct OpsInfo {
  std::string version;
  // Readiness: false while starting or shutting down, or when storage is unusable.
  std::function<bool()> ready;
  MetricsRegistry* metrics = nullptr;
};

// GET /health, GET /version, GET /metrics.
void add_ops_routes(Router& router, OpsInfo info);

}  // namespace citytwin::http
