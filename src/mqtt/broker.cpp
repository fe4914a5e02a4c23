#include "citytwin/mqtt/broker.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "broker_core.hpp"
#include "citytwin/common/thread_name.hpp"
#include "citytwin/mqtt/topic.hpp"
#include "connection.hpp"

namespace citytwin::mqtt {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// How often detached sessions are checked for expiry.
constexpr std::chrono::seconds kSweepInterval{1};

void add_broker_metrics(MetricsRegistry& metrics, BrokerCore& core) {
  BrokerStats& s = core.stats();
  auto one = [](double value) { return std::vector<std::pair<Labels, double>>{{Labels{}, value}}; };
  auto load = [](const std::atomic<std::uint64_t>& counter) {
    return static_cast<double>(counter.load(std::memory_order_relaxed));
  };
  metrics.add_gauge("citytwin_mqtt_connections", "MQTT clients connected now",
                    [&s, one] { return one(static_cast<double>(s.connections_open.load())); });
  metrics.add_gauge("citytwin_mqtt_connections_accepted",
                    "MQTT TCP connections accepted since start (refused: over max_connections)",
                    [&s, load] {
                      return std::vector<std::pair<Labels, double>>{
                          {Labels{{"result", "accepted"}}, load(s.connections_accepted)},
                          {Labels{{"result", "refused"}}, load(s.connections_refused)}};
                    });
  metrics.add_gauge(
      "citytwin_mqtt_packets", "MQTT packets since start by direction and type", [&s, load] {
        std::vector<std::pair<Labels, double>> samples;
        for (std::size_t type = 1; type < 16; ++type) {
          std::string name(packet_type_name(static_cast<PacketType>(type)));
          samples.push_back(
              {Labels{{"direction", "in"}, {"type", name}}, load(s.packets_received[type])});
          samples.push_back(
              {Labels{{"direction", "out"}, {"type", name}}, load(s.packets_sent[type])});
        }
        return samples;
      });
  metrics.add_gauge(
      "citytwin_mqtt_rejected",
      "MQTT connections closed or requests refused for bad input since start, by cause",
      [&s, load] {
        return std::vector<std::pair<Labels, double>>{
            {Labels{{"cause", "malformed"}}, load(s.malformed)},
            {Labels{{"cause", "protocol_error"}}, load(s.protocol_errors)},
            {Labels{{"cause", "packet_too_large"}}, load(s.too_large)},
            {Labels{{"cause", "keep_alive_timeout"}}, load(s.keep_alive_timeouts)},
            {Labels{{"cause", "auth_failed"}}, load(s.auth_failures)},
            {Labels{{"cause", "publish_refused"}}, load(s.publishes_refused)},
            {Labels{{"cause", "retained_over_limit"}}, load(s.retained_refused)},
            {Labels{{"cause", "tls_handshake_failed"}}, load(s.tls_failures)}};
      });
  metrics.add_gauge("citytwin_mqtt_messages",
                    "MQTT application messages since start: in (accepted from publishers), out "
                    "(sent to subscribers), dropped (session queue full or too large)",
                    [&s, load] {
                      return std::vector<std::pair<Labels, double>>{
                          {Labels{{"direction", "in"}}, load(s.messages_received)},
                          {Labels{{"direction", "out"}}, load(s.messages_sent)},
                          {Labels{{"direction", "dropped"}}, load(s.messages_dropped)}};
                    });
  metrics.add_gauge("citytwin_mqtt_connection_rate_limited",
                    "MQTT PUBLISH packets held back by the per-connection rate limit since start "
                    "(the connection was not read until a token was due)",
                    [&s, one, load] { return one(load(s.rate_limited)); });
  metrics.add_gauge("citytwin_mqtt_sessions", "MQTT sessions held (connected and persistent)",
                    [&core, one] { return one(static_cast<double>(core.session_count())); });
  metrics.add_gauge("citytwin_mqtt_retained_messages", "MQTT retained messages held",
                    [&core, one] { return one(static_cast<double>(core.retained_count())); });
  metrics.add_gauge("citytwin_mqtt_subscriptions", "MQTT subscriptions held",
                    [&core, one] { return one(static_cast<double>(core.subscription_count())); });
}

}  // namespace

// Threads: `threads` event loops, each an io_context run by one thread; the acceptor and the
// session-expiry sweep live on the first. Connections are spread round-robin.
class Broker::Impl {
 public:
  Impl(BrokerOptions options, BrokerHooks& hooks, MetricsRegistry& metrics,
       SessionPersistence* persistence)
      : options_(std::move(options)),
        core_(options_, hooks, persistence),
        persistence_(persistence) {
    for (unsigned i = 0; i < std::max(1u, options_.threads); ++i) {
      loops_.push_back(std::make_shared<asio::io_context>(1));
    }
    acceptor_.emplace(*loops_.front());
    tls_acceptor_.emplace(*loops_.front());
    sweep_timer_.emplace(*loops_.front());
    add_broker_metrics(metrics, core_);
  }

  ~Impl() { stop(); }

  Status start() {
    CT_RETURN_IF_ERROR(listen(*acceptor_, options_.host, options_.port, port_));
    if (!options_.tls_host.empty()) {
      CT_RETURN_IF_ERROR(make_tls_context());
      CT_RETURN_IF_ERROR(listen(*tls_acceptor_, options_.tls_host, options_.tls_port, tls_port_));
    }
    if (persistence_ != nullptr) {
      auto saved = persistence_->load();
      if (!saved) return std::move(saved).error();
      for (const auto& session : *saved) core_.restore(session);
      if (!saved->empty()) spdlog::info("MQTT: {} persistent sessions restored", saved->size());
    }
    for (auto& loop : loops_) guards_.push_back(asio::make_work_guard(*loop));
    accept(*acceptor_, nullptr);
    if (tls_context_) accept(*tls_acceptor_, tls_context_.get());
    sweep();
    for (std::size_t i = 0; i < loops_.size(); ++i) {
      threads_.emplace_back([loop = loops_[i], i] {
        name_this_thread("ct-mqtt-" + std::to_string(i));
        loop->run();
      });
    }
    return ok_status();
  }

  std::uint16_t port() const { return port_; }
  std::uint16_t tls_port() const { return tls_port_; }

  void stop() {
    std::lock_guard stop_lock(stop_mutex_);
    if (threads_.empty()) return;
    asio::post(*loops_.front(), [this] {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
      tls_acceptor_->close(ignored);
      sweep_timer_->cancel();
    });
    std::vector<std::shared_ptr<Connection>> open;
    {
      std::lock_guard lock(connections_mutex_);
      for (auto& [id, weak] : connections_) {
        if (auto connection = weak.lock()) open.push_back(std::move(connection));
      }
    }
    for (auto& connection : open) connection->shut_down();
    open.clear();
    guards_.clear();
    // Closing connections drain for a moment; the loops end once no work is left, or are
    // stopped after a grace period.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (auto& loop : loops_) loop->stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    // Destroying pending handlers releases the connections they hold.
    for (auto& loop : loops_) {
      loop->restart();
      loop->poll();
    }
    if (persistence_ != nullptr) {
      // Persistent sessions outlive the process (clause 4.1); every change is journaled as
      // it happens, what is left are the lazy removals of acknowledged messages.
      if (auto status = persistence_->flush(); !status.ok()) {
        spdlog::error("MQTT: persistent sessions not saved: {}", status.error().detail);
      }
    }
  }

  Status publish(std::string topic, std::string payload, std::uint8_t qos, bool retain,
                 std::function<void(Status)> queued) {
    if (!valid_topic_name(topic)) {
      return make_error(ErrorKind::kBadRequestData, "invalid MQTT topic name '" + topic + "'");
    }
    if (qos > 2) return make_error(ErrorKind::kBadRequestData, "MQTT QoS must be 0, 1 or 2");
    Message message;
    message.topic = std::move(topic);
    message.payload = std::make_shared<const std::string>(std::move(payload));
    message.qos = qos;
    message.retain = retain;
    std::uint64_t mark = core_.route(message);
    if (queued) core_.when_durable(mark, std::move(queued));
    return ok_status();
  }

  std::size_t tracked_connections() {
    std::lock_guard lock(connections_mutex_);
    return connections_.size();
  }

 private:
  static Status listen(tcp::acceptor& acceptor, const std::string& host, std::uint16_t port,
                       std::uint16_t& bound) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) return make_error(ErrorKind::kInvalidRequest, "invalid MQTT host: " + host);
    tcp::endpoint endpoint{address, port};
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return make_error(
          ErrorKind::kServiceUnavailable,
          "cannot listen for MQTT on " + host + ":" + std::to_string(port) + ": " + ec.message());
    }
    bound = acceptor.local_endpoint().port();
    return ok_status();
  }

  // TLS 1.2 or newer with the configured certificate chain and key (both PEM).
  Status make_tls_context() {
    namespace ssl = asio::ssl;
    auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
    boost::system::error_code ec;
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                         ec);
    if (!ec) context->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (!ec) context->use_private_key_file(options_.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      return make_error(ErrorKind::kInvalidRequest,
                        "MQTT TLS: cannot use certificate '" + options_.tls_cert_file +
                            "' and key '" + options_.tls_key_file + "': " + ec.message());
    }
    if (!options_.tls_client_ca_file.empty()) CT_RETURN_IF_ERROR(ask_for_client_certs(*context));
    tls_context_ = std::move(context);
    return ok_status();
  }

  // Mutual TLS (RFC 8446 clause 4.3.2 CertificateRequest): the client's chain must lead to
  // one of these CAs; OpenSSL checks validity dates and, on a server, the client
  // authentication purpose (extended key usage clientAuth when present).
  Status ask_for_client_certs(asio::ssl::context& context) {
    namespace ssl = asio::ssl;
    boost::system::error_code ec;
    context.load_verify_file(options_.tls_client_ca_file, ec);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options_.tls_client_ca_file.c_str());
    if (ec || names == nullptr) {
      return make_error(ErrorKind::kInvalidRequest, "MQTT TLS: cannot use client CA file '" +
                                                        options_.tls_client_ca_file + "'" +
                                                        (ec ? ": " + ec.message() : ""));
    }
    SSL_CTX_set_client_CA_list(context.native_handle(), names);  // named in the request
    ssl::verify_mode mode = ssl::verify_peer;
    if (options_.tls_require_client_cert) mode |= ssl::verify_fail_if_no_peer_cert;
    context.set_verify_mode(mode, ec);
    return ok_status();
  }

  void accept(tcp::acceptor& acceptor, asio::ssl::context* tls) {
    auto& loop = loops_[next_loop_++ % loops_.size()];
    acceptor.async_accept(
        *loop, [this, &acceptor, tls, loop](boost::system::error_code ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
          if (!ec) admit(std::move(socket), loop, tls);
          accept(acceptor, tls);
        });
  }

  void admit(tcp::socket socket, const std::shared_ptr<asio::io_context>& loop,
             asio::ssl::context* tls) {
    std::lock_guard lock(connections_mutex_);
    if (connections_.size() >= options_.max_connections) {
      std::erase_if(connections_, [](const auto& entry) { return entry.second.expired(); });
    }
    if (connections_.size() >= options_.max_connections) {
      core_.stats().connections_refused.fetch_add(1, std::memory_order_relaxed);
      boost::system::error_code ignored;
      socket.close(ignored);
      return;
    }
    core_.stats().connections_accepted.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t id = next_connection_id_++;
    auto connection = std::make_shared<Connection>(std::move(socket), loop, core_, id, tls);
    connections_.emplace(id, connection);
    // The socket belongs to `loop`: start the connection there.
    asio::post(*loop, [connection] { connection->start(); });
  }

  void sweep() {
    sweep_timer_->expires_after(kSweepInterval);
    sweep_timer_->async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      core_.sweep(std::chrono::steady_clock::now());
      forget_closed_connections();
      sweep();
    });
  }

  // A closed connection's entry must go soon: make_shared put the Connection (with its
  // 16 KiB read buffer) in the control block that the weak_ptr keeps allocated, so entries
  // left until the map reached max_connections held ~23 KB per connection ever closed,
  // 230 MB at the default 10,000 (found by the soak run, docs/reliability.md).
  void forget_closed_connections() {
    std::lock_guard lock(connections_mutex_);
    std::erase_if(connections_, [](const auto& entry) { return entry.second.expired(); });
  }

  BrokerOptions options_;
  BrokerCore core_;
  std::vector<std::shared_ptr<asio::io_context>> loops_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<tcp::acceptor> tls_acceptor_;
  std::unique_ptr<asio::ssl::context> tls_context_;
  std::uint16_t tls_port_ = 0;
  std::optional<asio::steady_timer> sweep_timer_;
  std::uint16_t port_ = 0;
  std::size_t next_loop_ = 0;
  std::mutex connections_mutex_;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  std::uint64_t next_connection_id_ = 1;
  std::mutex stop_mutex_;
  SessionPersistence* persistence_;
};

Broker::Broker(BrokerOptions options, BrokerHooks& hooks, MetricsRegistry& metrics,
               SessionPersistence* persistence)
    : impl_(std::make_unique<Impl>(std::move(options), hooks, metrics, persistence)) {}

Broker::~Broker() = default;

Status Broker::start() {
  return impl_->start();
}
std::uint16_t Broker::port() const {
  return impl_->port();
}
std::uint16_t Broker::tls_port() const {
  return impl_->tls_port();
}
std::size_t Broker::tracked_connections() const {
  return impl_->tracked_connections();
}
void Broker::stop() {
  impl_->stop();
}
Status Broker::publish(std::string topic, std::string payload, std::uint8_t qos, bool retain,
                       std::function<void(Status)> queued) {
  return impl_->publish(std::move(topic), std::move(payload), qos, retain, std::move(queued));
}

}  // namespace citytwin::mqtt
