#include "citytwin/server/app.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "citytwin/common/metrics.hpp"
#include "citytwin/http/ops_routes.hpp"
#include "citytwin/http/router.hpp"
#include "citytwin/http/server.hpp"
#include "version.hpp"

namespace citytwin::server {
namespace {

http::ServerOptions http_options(const ServeOptions& options, const ListenAddress& address) {
  http::ServerOptions out;
  out.host = address.host;
  out.port = address.port;
  out.threads = options.http_threads;
  out.max_body_bytes = options.max_body_bytes;
  out.max_header_bytes = options.max_header_bytes;
  out.max_url_bytes = options.max_url_bytes;
  out.request_timeout = std::chrono::milliseconds(options.request_timeout_ms);
  out.idle_timeout = std::chrono::milliseconds(options.idle_timeout_ms);
  return out;
}

void describe_metrics(MetricsRegistry& metrics) {
  metrics.describe("citytwin_http_requests_total", "counter",
                   "HTTP requests by route, method and status");
  metrics.describe("citytwin_http_request_duration_seconds", "histogram",
                   "HTTP request latency by route and method");
}

// Blocks SIGINT/SIGTERM in every thread started after this call, so that only the waiter
// thread below receives them (with sigwait), never an arbitrary worker.
sigset_t block_shutdown_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

Status write_port_file(const std::string& path, std::uint16_t port) {
  if (path.empty()) return ok_status();
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary);
    out << port << "\n";
    if (!out) return make_error(ErrorKind::kInternalError, "cannot write port file " + path);
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return make_error(ErrorKind::kInternalError, "cannot write port file " + path);
  return ok_status();
}

}  // namespace

int serve(const ServeOptions& options) {
  auto address = parse_listen_address(options.listen);
  if (!address) {
    spdlog::error("{}", address.error().detail);
    return 2;
  }
  sigset_t signals = block_shutdown_signals();

  MetricsRegistry metrics;
  describe_metrics(metrics);
  std::atomic<bool> ready{false};

  http::Router router;
  http::add_ops_routes(router, http::OpsInfo{std::string(kVersion), [&ready] { return ready.load(); },
                                             &metrics});

  http::Server server(http_options(options, *address), router, metrics);
  if (auto status = server.start(); !status.ok()) {
    spdlog::error("{}", status.error().detail);
    return 1;
  }
  if (auto status = write_port_file(options.port_file, server.port()); !status.ok()) {
    spdlog::error("{}", status.error().detail);
    return 1;
  }
  ready = true;
  spdlog::info("citytwin {} listening on http://{}:{} (data in {})", kVersion, address->host,
               server.port(), options.data_dir);

  std::atomic<bool> finished{false};
  std::thread signal_waiter([&] {
    // Polls so that it also ends when the server stops for another reason.
    timespec poll_interval{0, 200 * 1000 * 1000};
    while (!finished) {
      int signal_number = sigtimedwait(&signals, nullptr, &poll_interval);
      if (signal_number > 0) {
        spdlog::info("received signal {}, shutting down", signal_number);
        ready = false;
        server.stop();
        return;
      }
    }
  });
  server.run();
  finished = true;
  signal_waiter.join();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace citytwin::server
