#include "citytwin/http/metered_context_loader.hpp"

#include <chrono>

namespace citytwin::http {

MeteredContextLoader::MeteredContextLoader(jsonld::ContextLoader& inner, MetricsRegistry& metrics)
    : inner_(inner), metrics_(metrics) {
  metrics_.describe("citytwin_context_downloads_total", "counter",
                    "Remote @context downloads by outcome (ok, failed: unreachable, timeout, "
                    "HTTP error, too large)");
  metrics_.describe("citytwin_context_download_duration_seconds", "histogram",
                    "Time taken by remote @context downloads, failed ones included");
}

Result<std::string> MeteredContextLoader::load(std::string_view url) {
  auto started = std::chrono::steady_clock::now();
  auto document = inner_.load(url);
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  // No URL label: clients choose the URLs, and each would become a time series.
  metrics_.add_counter("citytwin_context_downloads_total",
                       {{"outcome", document.ok() ? "ok" : "failed"}});
  metrics_.observe_latency("citytwin_context_download_duration_seconds", {}, elapsed.count());
  return document;
}

}  // namespace citytwin::http
