#include "citytwin/http/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <thread>
#include <vector>

#include "connection_tracker.hpp"
#include "session.hpp"

namespace citytwin::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class Server::Impl {
 public:
  Impl(ServerOptions options, const Router& router, MetricsRegistry& metrics)
      : options_(std::move(options)),
        context_(std::max(1u, thread_count())),
        acceptor_(asio::make_strand(context_)),
        dispatcher_{router, metrics, options_, tracker_} {}

  Status start() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return make_error(ErrorKind::kInvalidRequest, "invalid listen host: " + options_.host);
    tcp::endpoint endpoint{address, options_.port};
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return make_error(ErrorKind::kServiceUnavailable, "cannot listen on " + options_.host + ":" +
                                                            std::to_string(options_.port) + ": " +
                                                            ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    accept();
    return ok_status();
  }

  std::uint16_t port() const { return port_; }

  void run() {
    std::vector<std::thread> workers;
    for (unsigned i = 1; i < thread_count(); ++i) workers.emplace_back([this] { context_.run(); });
    context_.run();
    for (auto& worker : workers) worker.join();
  }

  void stop() {
    bool expected = false;
    if (!stopping_.compare_exchange_strong(expected, true)) return;
    tracker_.begin_shutdown();
    asio::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
    });
    // Wait for in-flight requests outside the event loop, then stop it.
    std::thread([this] {
      tracker_.wait_until_idle(options_.shutdown_grace);
      context_.stop();
    }).detach();
  }

 private:
  unsigned thread_count() const {
    if (options_.threads != 0) return options_.threads;
    return 64;
  }

  void accept() {
    acceptor_.async_accept(asio::make_strand(context_),
                           [this](boost::system::error_code ec, tcp::socket socket) {
                             if (ec) {
                               if (!stopping_) accept();
                               return;
                             }
                             if (tracker_.count() >= options_.max_connections) {
                               boost::system::error_code ignored;
                               socket.close(ignored);
                             } else {
                               std::make_shared<Session>(std::move(socket), dispatcher_)->start();
                             }
                             if (!stopping_) accept();
                           });
  }

  ServerOptions options_;
  asio::io_context context_;
  tcp::acceptor acceptor_;
  ConnectionTracker tracker_;
  Dispatcher dispatcher_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
};

Server::Server(ServerOptions options, const Router& router, MetricsRegistry& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}
Server::~Server() = default;
Status Server::start() {
  return impl_->start();
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
