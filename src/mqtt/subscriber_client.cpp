#include "citytwin/mqtt/subscriber_client.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <deque>
#include <future>
#include <thread>

#include "stream_io.hpp"

namespace citytwin::mqtt {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

bool refuses_message(const Status& status) {
  if (status.ok()) return false;
  switch (status.error().kind) {
    case ErrorKind::kInvalidRequest:
    case ErrorKind::kBadRequestData:
    case ErrorKind::kForbidden:
    case ErrorKind::kUnauthorized:
    case ErrorKind::kResourceNotFound:
    case ErrorKind::kPayloadTooLarge:
      return true;
    default:
      return false;
  }
}

namespace {

// The MQTT 5 PUBACK reason code a refused message is acknowledged with (clause 3.4.2.1).
std::uint8_t puback_code_for(const Status& status) {
  if (status.ok()) return reason::kSuccess;
  switch (status.error().kind) {
    case ErrorKind::kForbidden:
    case ErrorKind::kUnauthorized:
      return reason::kNotAuthorized;
    case ErrorKind::kPayloadTooLarge:
      return reason::kQuotaExceeded;
    case ErrorKind::kResourceNotFound:
      return reason::kImplementationSpecific;
    default:
      return reason::kPayloadFormatInvalid;
  }
}

std::string hex_code(std::uint8_t code) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[code >> 4] + kDigits[code & 0xF];
}

}  // namespace

// One connection attempt to the broker: its socket, buffers and the messages being stored.
// Handlers hold the link, so a link replaced after a failure stays valid until its last
// operation ends; a closed link ignores late answers.
struct SubscriberLink {
  struct Pending {
    std::uint64_t sequence = 0;
    std::uint16_t packet_id = 0;
    std::uint8_t qos = 0;
    InboundPublish message;
    std::optional<Status> result;
  };

  explicit SubscriberLink(asio::io_context& loop) : socket(loop), timer(loop), resolver(loop) {}

  tcp::socket socket;
  std::unique_ptr<ssl::stream<tcp::socket&>> tls;
  asio::steady_timer timer;  // connect timeout, then keep-alive
  tcp::resolver resolver;
  bool open = true;
  bool subscribed = false;
  std::uint16_t keep_alive_s = 0;
  std::chrono::steady_clock::time_point last_received;

  std::string input;
  std::array<char, 16 * 1024> chunk{};
  bool reading = false;
  std::string pending_out;
  std::string writing;
  bool write_busy = false;

  std::deque<Pending> pending;
  std::uint64_t next_sequence = 1;
};

class SubscriberClient::Impl : public std::enable_shared_from_this<SubscriberClient::Impl> {
 public:
  using Link = SubscriberLink;
  using LinkPtr = std::shared_ptr<Link>;

  Impl(SubscriberClientOptions options, SubscriberClientHooks hooks)
      : options_(std::move(options)),
        hooks_(std::move(hooks)),
        reconnect_timer_(loop_),
        backoff_(options_.reconnect_initial) {}

  Status start() {
    if (options_.tls) CT_RETURN_IF_ERROR(make_tls_context());
    guard_.emplace(asio::make_work_guard(loop_));
    asio::post(loop_, [self = shared_from_this()] { self->connect(); });
    std::promise<void> loop_done;
    loop_done_ = loop_done.get_future();
    thread_ = std::thread([this, loop_done = std::move(loop_done)]() mutable {
      loop_.run();
      loop_done.set_value();
    });
    return ok_status();
  }

  void stop() {
    if (!thread_.joinable()) return;
    auto said_goodbye = std::make_shared<std::promise<void>>();
    asio::post(loop_, [this, said_goodbye] {
      stopping_ = true;
      reconnect_timer_.cancel();
      if (link_ && link_->open && link_->subscribed) {
        // A normal DISCONNECT keeps the session at the broker for session_expiry_s: the
        // messages sent meanwhile wait for this client's return.
        goodbye_ = said_goodbye;
        send(link_, Disconnect{});
        return;
      }
      if (link_) close(link_);
      said_goodbye->set_value();
    });
    said_goodbye->get_future().wait_for(std::chrono::milliseconds(1000));
    asio::post(loop_, [this] {
      goodbye_.reset();
      if (link_) close(link_);
    });
    // Every operation was cancelled: the loop ends once their handlers ran (which releases
    // what they hold); a loop still busy after a grace period is stopped.
    guard_.reset();
    if (loop_done_.wait_for(std::chrono::milliseconds(2000)) != std::future_status::ready) {
      loop_.stop();
    }
    thread_.join();
    link_.reset();
    set_connected(false);
  }

  bool connected() const { return connected_.load(); }

  void add_metrics(MetricsRegistry& metrics) {
    auto self = shared_from_this();
    auto load = [](const std::atomic<std::uint64_t>& counter) {
      return static_cast<double>(counter.load(std::memory_order_relaxed));
    };
    metrics.add_gauge(
        "citytwin_mqtt_external_connected",
        "1 while subscribed to the external MQTT broker, 0 otherwise", [self] {
          return std::vector<std::pair<Labels, double>>{{{}, self->connected_.load() ? 1.0 : 0.0}};
        });
    metrics.add_gauge("citytwin_mqtt_external_connections",
                      "Connections to the external MQTT broker since start, by result",
                      [self, load] {
                        return std::vector<std::pair<Labels, double>>{
                            {{{"result", "established"}}, load(self->established_)},
                            {{{"result", "failed"}}, load(self->failed_)},
                            {{{"result", "lost"}}, load(self->lost_)}};
                      });
    metrics.add_gauge(
        "citytwin_mqtt_external_messages",
        "Messages received from the external MQTT broker since start, by outcome: stored, "
        "refused (acknowledged with a reason code), unacknowledged (to be delivered again)",
        [self, load] {
          return std::vector<std::pair<Labels, double>>{
              {{{"result", "stored"}}, load(self->stored_)},
              {{{"result", "refused"}}, load(self->refused_)},
              {{{"result", "unacknowledged"}}, load(self->unacknowledged_)}};
        });
  }

 private:
  // ---- Connecting -------------------------------------------------------------------------

  Status make_tls_context() {
    tls_context_ = std::make_unique<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    tls_context_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                  ssl::context::no_tlsv1_1,
                              ec);
    tls_context_->set_verify_mode(ssl::verify_peer, ec);
    if (options_.ca_file.empty()) {
      tls_context_->set_default_verify_paths(ec);
    } else if (!ec) {
      tls_context_->load_verify_file(options_.ca_file, ec);
    }
    if (!ec && !options_.cert_file.empty()) {
      tls_context_->use_certificate_chain_file(options_.cert_file, ec);
      if (!ec) tls_context_->use_private_key_file(options_.key_file, ssl::context::pem, ec);
    }
    if (ec) {
      return make_error(ErrorKind::kInvalidRequest,
                        "external MQTT broker TLS files: " + ec.message());
    }
    return ok_status();
  }

  void connect() {
    if (stopping_) return;
    auto link = std::make_shared<Link>(loop_);
    link_ = link;
    link->timer.expires_after(options_.connect_timeout);
    link->timer.async_wait([self = shared_from_this(), link](boost::system::error_code ec) {
      if (!ec && !link->subscribed) self->fail(link, "no SUBACK within the connect timeout");
    });
    link->resolver.async_resolve(
        options_.host, std::to_string(options_.port),
        [self = shared_from_this(), link](boost::system::error_code ec,
                                          tcp::resolver::results_type results) {
          if (!link->open) return;
          if (ec) {
            self->fail(link, "cannot resolve " + self->options_.host + ": " + ec.message());
            return;
          }
          self->connect_to(link, results);
        });
  }

  // Only addresses the outbound policy allows are connected to: the check and the
  // connection use the same resolved address, so DNS rebinding cannot slip in between.
  void connect_to(const LinkPtr& link, const tcp::resolver::results_type& results) {
    std::vector<tcp::endpoint> allowed;
    std::string refusal;
    for (const auto& entry : results) {
      Status verdict = hooks_.allow_address ? hooks_.allow_address(options_.host, options_.port,
                                                                   entry.endpoint().address())
                                            : ok_status();
      if (verdict.ok()) {
        allowed.push_back(entry.endpoint());
      } else {
        refusal = verdict.error().detail;
      }
    }
    if (allowed.empty()) {
      fail(link, "no allowed address for " + options_.host + ": " + refusal);
      return;
    }
    asio::async_connect(
        link->socket, allowed,
        [self = shared_from_this(), link](boost::system::error_code ec, const tcp::endpoint&) {
          if (!link->open) return;
          if (ec) {
            self->fail(link, "cannot connect: " + ec.message());
            return;
          }
          self->on_tcp_connected(link);
        });
  }

  void on_tcp_connected(const LinkPtr& link) {
    boost::system::error_code ignored;
    link->socket.set_option(tcp::no_delay(true), ignored);
    if (!tls_context_) {
      begin(link);
      return;
    }
    link->tls = std::make_unique<ssl::stream<tcp::socket&>>(link->socket, *tls_context_);
    // SNI, and the certificate must name the host (RFC 6125).
    SSL_set_tlsext_host_name(link->tls->native_handle(), options_.host.c_str());
    link->tls->set_verify_callback(ssl::host_name_verification(options_.host));
    link->tls->async_handshake(ssl::stream_base::client,
                               [self = shared_from_this(), link](boost::system::error_code ec) {
                                 if (!link->open) return;
                                 if (ec) {
                                   self->fail(link, "TLS handshake failed: " + ec.message());
                                   return;
                                 }
                                 self->begin(link);
                               });
  }

  void begin(const LinkPtr& link) {
    Connect connect;
    connect.protocol_version = kMqtt5;
    // Clean Start 0 with a Session Expiry: after a crash the broker still holds the QoS 1
    // messages this client did not acknowledge and sends them again (clause 4.4).
    connect.clean_start = false;
    connect.keep_alive = options_.keep_alive_s;
    connect.client_id = options_.client_id;
    connect.username = options_.username;
    connect.password = options_.password;
    connect.properties.session_expiry_interval = options_.session_expiry_s;
    connect.properties.receive_maximum = options_.receive_maximum;
    connect.properties.maximum_packet_size = static_cast<std::uint32_t>(options_.max_packet_bytes);
    link->keep_alive_s = options_.keep_alive_s;
    link->last_received = std::chrono::steady_clock::now();
    send(link, connect);
    read_more(link);
  }

  void fail(const LinkPtr& link, std::string why) {
    if (!link->open) return;
    const bool was_subscribed = link->subscribed;
    close(link);
    if (stopping_) return;
    (was_subscribed ? lost_ : failed_).fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("external MQTT broker {}:{}: {}; reconnecting in {} ms", options_.host,
                 options_.port, why, backoff_.count());
    reconnect_timer_.expires_after(backoff_);
    reconnect_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->connect();
    });
    backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
  }

  void close(const LinkPtr& link) {
    if (!link->open) return;
    link->open = false;
    // Messages still being stored are not acknowledged: the broker sends them again.
    unacknowledged_.fetch_add(link->pending.size(), std::memory_order_relaxed);
    link->pending.clear();
    link->timer.cancel();
    link->resolver.cancel();
    boost::system::error_code ignored;
    link->socket.shutdown(tcp::socket::shutdown_both, ignored);
    link->socket.close(ignored);
    if (link->subscribed) set_connected(false);
  }

  void set_connected(bool connected) {
    if (connected_.exchange(connected) == connected) return;
    if (hooks_.on_state) hooks_.on_state(connected);
  }

  // ---- Reading ----------------------------------------------------------------------------

  template <class Handler>
  void async_read_some(const LinkPtr& link, Handler&& handler) {
    stream_io::async_read_some(link->tls, link->socket, asio::buffer(link->chunk),
                               std::forward<Handler>(handler));
  }

  // Reading pauses while receive_maximum messages are being stored (QoS 0 messages are not
  // counted by the broker's flow control, so TCP slows it down instead).
  bool paused(const Link& link) const { return link.pending.size() >= options_.receive_maximum; }

  void read_more(const LinkPtr& link) {
    if (link->reading || !link->open || paused(*link)) return;
    link->reading = true;
    async_read_some(
        link, [self = shared_from_this(), link](boost::system::error_code ec, std::size_t bytes) {
          link->reading = false;
          if (!link->open) return;
          if (ec) {
            self->fail(link, "connection lost: " + ec.message());
            return;
          }
          link->input.append(link->chunk.data(), bytes);
          self->process_input(link);
          self->read_more(link);
        });
  }

  void process_input(const LinkPtr& link) {
    std::size_t offset = 0;
    while (link->open && !paused(*link)) {
      FixedHeader header;
      std::string_view rest(link->input.data() + offset, link->input.size() - offset);
      FrameStatus status = parse_fixed_header(rest, header);
      if (status == FrameStatus::kIncomplete) break;
      std::size_t total = header.header_bytes + header.remaining_length;
      if (status == FrameStatus::kMalformed || total > options_.max_packet_bytes) {
        protocol_failure(link, reason::kMalformedPacket, "malformed or oversized packet");
        return;
      }
      if (rest.size() < total) break;
      offset += total;
      auto packet = decode_packet(
          header.first_byte, rest.substr(header.header_bytes, header.remaining_length), kMqtt5);
      if (!packet) {
        protocol_failure(link, reason_code_of(packet.error()), packet.error().detail);
        return;
      }
      link->last_received = std::chrono::steady_clock::now();
      dispatch(link, *packet);
    }
    if (link->open) link->input.erase(0, offset);
  }

  void protocol_failure(const LinkPtr& link, std::uint8_t code, std::string why) {
    Disconnect disconnect;
    disconnect.reason_code = code;
    send(link, disconnect);
    fail(link, "protocol error from the broker: " + why);
  }

  void dispatch(const LinkPtr& link, Packet& packet) {
    std::visit(
        [&](auto& p) {
          using T = std::decay_t<decltype(p)>;
          if constexpr (std::is_same_v<T, Connack>) {
            on_connack(link, p);
          } else if constexpr (std::is_same_v<T, Suback>) {
            on_suback(link, p);
          } else if constexpr (std::is_same_v<T, Publish>) {
            on_publish(link, p);
          } else if constexpr (std::is_same_v<T, Disconnect>) {
            fail(link, "the broker disconnected with reason " + hex_code(p.reason_code) +
                           (p.properties.reason_string ? ": " + *p.properties.reason_string : ""));
          } else if constexpr (std::is_same_v<T, Pingresp>) {
            // last_received is updated: the keep-alive is satisfied.
          } else {
            protocol_failure(link, reason::kProtocolError,
                             std::string(packet_type_name(packet_type_of(packet))) +
                                 " is not expected by a subscriber");
          }
        },
        packet);
  }

  void on_connack(const LinkPtr& link, const Connack& connack) {
    if (connack.reason_code != reason::kSuccess) {
      fail(link,
           "CONNECT refused with reason " + hex_code(connack.reason_code) +
               (connack.properties.reason_string ? ": " + *connack.properties.reason_string : ""));
      return;
    }
    if (auto keep_alive = connack.properties.server_keep_alive) link->keep_alive_s = *keep_alive;
    // Subscribing again even when the session was kept is harmless (a subscription is
    // replaced, clause 3.8.4) and covers a broker that lost it.
    Subscribe subscribe;
    subscribe.packet_id = 1;
    for (const auto& filter : options_.filters) {
      SubscriptionRequest request;
      request.filter = filter;
      request.qos = options_.qos;
      subscribe.subscriptions.push_back(std::move(request));
    }
    send(link, subscribe);
  }

  void on_suback(const LinkPtr& link, const Suback& suback) {
    for (std::size_t i = 0; i < suback.reason_codes.size(); ++i) {
      if (suback.reason_codes[i] >= 0x80) {
        std::string filter = i < options_.filters.size() ? options_.filters[i] : "?";
        fail(link, "subscription to '" + filter + "' refused with reason " +
                       hex_code(suback.reason_codes[i]));
        return;
      }
    }
    link->subscribed = true;
    established_.fetch_add(1, std::memory_order_relaxed);
    backoff_ = options_.reconnect_initial;
    set_connected(true);
    spdlog::info("external MQTT broker {}:{}: subscribed to {} topic filters as '{}'",
                 options_.host, options_.port, options_.filters.size(), options_.client_id);
    link->timer.cancel();
    arm_keep_alive(link);
  }

  void on_publish(const LinkPtr& link, Publish& publish) {
    if (publish.qos > 1 || publish.properties.topic_alias) {
      // QoS 2 was never subscribed to and no Topic Alias Maximum was offered.
      protocol_failure(link, reason::kProtocolError, "unexpected QoS 2 or topic alias");
      return;
    }
    Link::Pending entry;
    entry.sequence = link->next_sequence++;
    entry.packet_id = publish.packet_id;
    entry.qos = publish.qos;
    entry.message.topic = std::move(publish.topic);
    entry.message.payload = std::move(publish.payload);
    entry.message.qos = publish.qos;
    entry.message.retain = publish.retain;
    entry.message.properties = std::move(publish.properties);
    link->pending.push_back(std::move(entry));
    const InboundPublish& message = link->pending.back().message;
    std::weak_ptr<Impl> weak = weak_from_this();
    auto once = std::make_shared<std::atomic<bool>>(false);
    auto done = [weak, link, sequence = link->pending.back().sequence, once](Status status) {
      if (once->exchange(true)) return;
      auto self = weak.lock();
      if (!self) return;
      asio::post(self->loop_, [self, link, sequence, status = std::move(status)]() mutable {
        self->on_stored(link, sequence, std::move(status));
      });
    };
    if (hooks_.on_message) {
      hooks_.on_message(message, std::move(done));
    } else {
      done(ok_status());
    }
  }

  void on_stored(const LinkPtr& link, std::uint64_t sequence, Status status) {
    if (!link->open || link->pending.empty()) return;
    std::uint64_t first = link->pending.front().sequence;
    if (sequence < first || sequence - first >= link->pending.size()) return;
    link->pending[sequence - first].result = std::move(status);
    acknowledge_in_order(link);
  }

  // PUBACKs go out in the order the PUBLISHes came ([MQTT-4.6.0-2]), each only once its
  // message is durable or refused for good.
  void acknowledge_in_order(const LinkPtr& link) {
    const bool was_paused = paused(*link);
    while (link->open && !link->pending.empty() && link->pending.front().result) {
      const Link::Pending& entry = link->pending.front();
      const Status result = *entry.result;
      if (!result.ok() && !refuses_message(result)) {
        // Not stored, and not the message's fault: leave it (and those after it)
        // unacknowledged and reconnect; the broker sends them again.
        fail(link, "a message could not be stored: " + result.error().detail);
        return;
      }
      if (result.ok()) {
        stored_.fetch_add(1, std::memory_order_relaxed);
      } else {
        refused_.fetch_add(1, std::memory_order_relaxed);
        spdlog::info("external MQTT broker: message on '{}' refused: {}", entry.message.topic,
                     result.error().detail);
      }
      if (entry.qos == 1) {
        send(link,
             PublishResponse{PacketType::kPuback, entry.packet_id, puback_code_for(result), {}});
      }
      link->pending.pop_front();
    }
    if (was_paused && !paused(*link)) {
      process_input(link);
      read_more(link);
    }
  }

  // ---- Writing and keep-alive -------------------------------------------------------------

  void send(const LinkPtr& link, const Packet& packet) {
    if (!link->open) return;
    link->pending_out.append(encode_packet(packet, kMqtt5));
    flush(link);
  }

  void flush(const LinkPtr& link) {
    if (link->write_busy || link->pending_out.empty() || !link->open) return;
    link->write_busy = true;
    link->writing.swap(link->pending_out);
    link->pending_out.clear();
    auto on_written = [self = shared_from_this(), link](boost::system::error_code ec, std::size_t) {
      link->write_busy = false;
      link->writing.clear();
      if (ec) {
        self->fail(link, "write failed: " + ec.message());
        return;
      }
      if (self->goodbye_ && link->pending_out.empty()) {
        self->close(link);
        std::exchange(self->goodbye_, nullptr)->set_value();
        return;
      }
      self->flush(link);
    };
    stream_io::async_write(link->tls, link->socket, asio::buffer(link->writing),
                           std::move(on_written));
  }

  // A PINGREQ every keep-alive period; a broker that sent nothing, not even the PINGRESP,
  // for two periods is gone (clause 3.1.2.10).
  void arm_keep_alive(const LinkPtr& link) {
    if (link->keep_alive_s == 0) return;
    auto period = std::chrono::seconds(link->keep_alive_s);
    link->timer.expires_after(period);
    link->timer.async_wait([self = shared_from_this(), link, period](boost::system::error_code ec) {
      if (ec || !link->open) return;
      if (std::chrono::steady_clock::now() - link->last_received > period * 2) {
        self->fail(link, "no answer to PINGREQ");
        return;
      }
      self->send(link, Pingreq{});
      self->arm_keep_alive(link);
    });
  }

  SubscriberClientOptions options_;
  SubscriberClientHooks hooks_;
  asio::io_context loop_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::thread thread_;
  std::unique_ptr<ssl::context> tls_context_;
  asio::steady_timer reconnect_timer_;
  std::chrono::milliseconds backoff_;
  LinkPtr link_;
  bool stopping_ = false;
  std::shared_ptr<std::promise<void>> goodbye_;  // set while the DISCONNECT is written
  std::future<void> loop_done_;

  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> established_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> lost_{0};
  std::atomic<std::uint64_t> stored_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> unacknowledged_{0};
};

SubscriberClient::SubscriberClient(SubscriberClientOptions options, SubscriberClientHooks hooks,
                                   MetricsRegistry& metrics)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(hooks))) {
  impl_->add_metrics(metrics);
}

SubscriberClient::~SubscriberClient() {
  stop();
}

Status SubscriberClient::start() {
  return impl_->start();
}

void SubscriberClient::stop() {
  impl_->stop();
}

bool SubscriberClient::connected() const {
  return impl_->connected();
}

}  // namespace citytwin::mqtt
