#include "citytwin/http/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "citytwin/common/thread_name.hpp"
#include "connection_tracker.hpp"
#include "session.hpp"
#include "tls_server_context.hpp"

namespace citytwin::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Threads: `io_threads` event loops, each an io_context run by exactly one thread (so a
// session's handlers never run concurrently and need no strand), plus a pool of worker
// threads for the handlers that may block. New connections are spread round-robin over the
// loops.
class Server::Impl {
 public:
  Impl(ServerOptions options, const Router& router, MetricsRegistry& metrics, WriteBarrier* barrier,
       security::KeyService* keys, const security::JwtVerifierSlot* tokens)
      : options_(std::move(options)),
        workers_(worker_count()),
        ip_limiter_(limiter_for(options_.ip_rate_limit)),
        key_limiter_(limiter_for(options_.key_rate_limit)),
        dispatcher_{router,  metrics, options_,          tracker_,           workers_,
                    barrier, keys,    ip_limiter_.get(), key_limiter_.get(), tokens} {
    for (unsigned i = 0; i < io_thread_count(); ++i) {
      loops_.push_back(std::make_unique<asio::io_context>(1));
      keep_running_.push_back(asio::make_work_guard(*loops_.back()));
    }
    acceptor_.emplace(*loops_.front());
    dispatcher_.request_metrics = &request_metrics_;
  }

  Dispatcher& dispatcher() { return dispatcher_; }
  void use_console_sessions(security::ConsoleSessions& sessions) {
    dispatcher_.sessions = &sessions;
  }

  Status start() {
    if (options_.tls_enabled()) {
      if (options_.tls_key_file.empty()) {
        return make_error(ErrorKind::kInvalidRequest, "a TLS certificate needs a TLS key file");
      }
      tls_.emplace(options_.tls_cert_file, options_.tls_key_file);
      CT_RETURN_IF_ERROR(tls_->reload());
    } else if (!options_.tls_key_file.empty()) {
      return make_error(ErrorKind::kInvalidRequest, "a TLS key needs a TLS certificate file");
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return make_error(ErrorKind::kInvalidRequest, "invalid listen host: " + options_.host);
    tcp::endpoint endpoint{address, options_.port};
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return make_error(ErrorKind::kServiceUnavailable, "cannot listen on " + options_.host + ":" +
                                                            std::to_string(options_.port) + ": " +
                                                            ec.message());
    }
    port_ = acceptor_->local_endpoint().port();
    accept();
    return ok_status();
  }

  std::uint16_t port() const { return port_; }

  Status reload_tls() { return tls_ ? tls_->reload() : ok_status(); }

  void run() {
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < loops_.size(); ++i) {
      threads.emplace_back([loop = loops_[i].get(), i] {
        name_this_thread("ct-http-" + std::to_string(i));
        loop->run();
      });
    }
    loops_.front()->run();
    for (auto& thread : threads) thread.join();
    workers_.join();
  }

  void stop() {
    bool expected = false;
    if (!stopping_.compare_exchange_strong(expected, true)) return;
    tracker_.begin_shutdown();
    asio::post(acceptor_->get_executor(), [this] {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
    });
    // Wait for in-flight requests outside the event loops, then stop them.
    std::thread([this] {
      tracker_.wait_until_idle(options_.shutdown_grace);
      for (auto& guard : keep_running_) guard.reset();
      for (auto& loop : loops_) loop->stop();
      workers_.stop();
    }).detach();
  }

 private:
  static std::unique_ptr<RateLimiter> limiter_for(const RateLimit& limit) {
    return limit.enabled() ? std::make_unique<RateLimiter>(limit) : nullptr;
  }

  unsigned io_thread_count() const {
    if (options_.io_threads != 0) return options_.io_threads;
    return std::max(1u, std::thread::hardware_concurrency());
  }
  unsigned worker_count() const { return options_.threads != 0 ? options_.threads : 64; }

  asio::io_context& next_loop() { return *loops_[next_loop_++ % loops_.size()]; }

  void accept() {
    acceptor_->async_accept(next_loop(), [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) {
        if (!stopping_) accept();
        return;
      }
      if (tracker_.count() >= options_.max_connections) {
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        socket.set_option(tcp::no_delay(true), ec);
        start_session(std::move(socket));
      }
      if (!stopping_) accept();
    });
  }

  void start_session(tcp::socket socket) {
    if (!tls_) {
      std::make_shared<Session<PlainStream>>(PlainStream(std::move(socket)), nullptr, dispatcher_)
          ->start();
      return;
    }
    auto context = tls_->current();
    TlsStream stream(std::move(socket), *context);
    std::make_shared<Session<TlsStream>>(std::move(stream), std::move(context), dispatcher_)
        ->start();
  }

  ServerOptions options_;
  std::optional<TlsServerContext> tls_;  // set by start() when TLS is configured
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running_;
  std::size_t next_loop_ = 0;  // touched only by the accepting loop
  asio::thread_pool workers_;
  std::optional<tcp::acceptor> acceptor_;
  ConnectionTracker tracker_;
  std::unique_ptr<RateLimiter> ip_limiter_;
  std::unique_ptr<RateLimiter> key_limiter_;
  Dispatcher dispatcher_;
  RequestMetrics request_metrics_{dispatcher_.metrics};
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
};

Server::Server(ServerOptions options, const Router& router, MetricsRegistry& metrics,
               WriteBarrier* barrier, security::KeyService* keys,
               const security::JwtVerifierSlot* tokens)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics, barrier, keys, tokens)) {}
Server::~Server() = default;
void Server::allow_open_data(const core::DataPolicies* policies) {
  impl_->dispatcher().open_data = policies;
}
void Server::accept_device_credentials(const security::DeviceCredentialService& devices) {
  impl_->dispatcher().devices = &devices;
}
void Server::record_writes(security::AuditLog* audit) {
  impl_->dispatcher().audit = audit;
}

void Server::use_console_sessions(security::ConsoleSessions& sessions) {
  impl_->use_console_sessions(sessions);
}
Status Server::start() {
  return impl_->start();
}
Status Server::reload_tls() {
  return impl_->reload_tls();
}
std::uint16_t Server::port() const {
  return impl_->port();
}
void Server::run() {
  impl_->run();
}
void Server::stop() {
  impl_->stop();
}

}  // namespace citytwin::http
