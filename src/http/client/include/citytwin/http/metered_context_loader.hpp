#pragma once

// Counts remote @context downloads and their latency for /metrics, around another loader (the
// HTTP one in the server). An unreachable or hanging @context server otherwise shows only as
// 503 answers to clients; an operator sees it here (docs/reliability.md, "Hanging @context
// server"):
//   citytwin_context_downloads_total{outcome="ok"|"failed"}
//   citytwin_context_download_duration_seconds (histogram, both outcomes)

#include <string>
#include <string_view>

#include "citytwin/common/metrics.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/model/context_loader.hpp"

namespace citytwin::http {

class MeteredContextLoader final : public jsonld::ContextLoader {
 public:
  // Both must outlive this loader.
  MeteredContextLoader(jsonld::ContextLoader& inner, MetricsRegistry& metrics);

  Result<std::string> load(std::string_view url) override;

 private:
  jsonld::ContextLoader& inner_;
  MetricsRegistry& metrics_;
};

}  // namespace citytwin::http
