#include "connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>

#include "citytwin/mqtt/topic.hpp"
#include "stream_io.hpp"
#include "wire.hpp"

namespace citytwin::mqtt {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kPumpBatch = 64;
// How long a closing connection may take to drain its last packets before the socket is cut.
constexpr std::chrono::milliseconds kCloseGrace{2000};

// The subject CN of the client certificate the handshake verified (the broker asks for one
// only with a client CA file, and a certificate that does not verify fails the handshake),
// or "" when the client sent none.
std::string verified_client_cn(SSL* ssl) {
  X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  X509_NAME* subject = X509_get_subject_name(certificate);
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return "";
  // A second CN would make the identity ambiguous.
  if (X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) return "";
  ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, value);
  if (length < 0) return "";
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  if (cn.find('\0') != std::string::npos) return "";
  return cn;
}

std::string peer_of(const Connection::Tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

// The CONNACK codes for a refused authentication (3.1.1 clause 3.2.2.3, 5.0 clause 3.2.2.2).
std::pair<std::uint8_t, std::uint8_t> connack_codes_for(const Error& error) {
  switch (error.kind) {
    case ErrorKind::kUnauthorized:
      return {reason::kBadUserNameOrPassword, 4};
    case ErrorKind::kServiceUnavailable:
      return {reason::kServerUnavailable, 3};
    default:
      return {reason::kNotAuthorized, 5};
  }
}

// The MQTT 5 PUBACK/PUBREC reason code for a refused publish (clause 3.4.2.1).
std::uint8_t puback_code_for(const Error& error) {
  switch (error.kind) {
    case ErrorKind::kForbidden:
    case ErrorKind::kUnauthorized:
      return reason::kNotAuthorized;
    case ErrorKind::kInvalidRequest:
    case ErrorKind::kBadRequestData:
      return reason::kPayloadFormatInvalid;
    case ErrorKind::kPayloadTooLarge:
    case ErrorKind::kServiceUnavailable:
    case ErrorKind::kTooManyRequests:
      return reason::kQuotaExceeded;
    default:
      return reason::kUnspecifiedError;
  }
}

}  // namespace

Connection::Connection(Tcp::socket socket, std::shared_ptr<asio::io_context> loop, BrokerCore& core,
                       std::uint64_t id, asio::ssl::context* tls)
    : socket_(std::move(socket)),
      loop_(std::move(loop)),
      core_(core),
      id_(id),
      timer_(*loop_),
      rate_timer_(*loop_) {
  identity_.peer = peer_of(socket_);
  if (tls != nullptr) tls_ = std::make_unique<asio::ssl::stream<Tcp::socket&>>(socket_, *tls);
}

template <class Handler>
void Connection::async_read_some(asio::mutable_buffer buffer, Handler&& handler) {
  stream_io::async_read_some(tls_, socket_, buffer, std::forward<Handler>(handler));
}

void Connection::start() {
  boost::system::error_code ignored;
  socket_.set_option(Tcp::no_delay(true), ignored);
  last_received_ = std::chrono::steady_clock::now();
  publish_tokens_ =
      TokenBucket::full(core_.options().publish_burst != 0 ? core_.options().publish_burst
                                                           : core_.options().publish_rate_per_s,
                        last_received_);
  self_ = shared_from_this();
  // The CONNECT must arrive within connect_timeout (clause 3.1: the first packet).
  timer_.expires_after(core_.options().connect_timeout);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec && self->state_ == State::kAwaitConnect) {
      self->close(std::nullopt, false);
      self->close_socket();  // also ends a TLS handshake that never finishes
    }
  });
  if (!tls_) {
    read_more();
    return;
  }
  tls_->async_handshake(
      asio::ssl::stream_base::server, [self = shared_from_this()](boost::system::error_code ec) {
        if (self->state_ == State::kClosed) return;
        if (ec) {
          spdlog::debug("mqtt {}: TLS handshake failed: {}", self->identity_.peer, ec.message());
          self->core_.stats().tls_failures.fetch_add(1);
          self->close(std::nullopt, false);
          return;
        }
        self->identity_.certificate_cn = verified_client_cn(self->tls_->native_handle());
        self->read_more();
      });
}

void Connection::shut_down() {
  asio::post(*loop_, [self = shared_from_this()] {
    self->will_.reset();
    self->close(reason::kServerShuttingDown, false);
  });
}

// ---- Reading ------------------------------------------------------------------------------

void Connection::read_more() {
  if (reading_ || paused_ || state_ == State::kClosed) return;
  reading_ = true;
  async_read_some(asio::buffer(read_chunk_),
                  [self = shared_from_this()](boost::system::error_code ec, std::size_t bytes) {
                    self->reading_ = false;
                    if (self->state_ == State::kClosed) return;
                    if (ec) {
                      // The peer went away without DISCONNECT: an abnormal end, the will is
                      // published.
                      self->close(std::nullopt, true);
                      return;
                    }
                    self->input_.append(self->read_chunk_.data(), bytes);
                    self->process_input();
                    self->read_more();
                  });
}

bool Connection::should_pause() const {
  return rate_wait_ || journal_waits_ > 0 || pending_.size() >= core_.options().max_inflight ||
         unsent_bytes() >= core_.options().write_buffer_bytes;
}

bool Connection::take_publish_token() {
  const BrokerOptions& options = core_.options();
  if (options.publish_rate_per_s == 0) return true;
  double burst = options.publish_burst != 0 ? options.publish_burst : options.publish_rate_per_s;
  auto wait =
      publish_tokens_.take(options.publish_rate_per_s, burst, std::chrono::steady_clock::now());
  if (!wait) return true;
  // Over the rate: the PUBLISH stays unread in the input buffer and the socket is not read
  // until a token is due, so the client is slowed down by TCP, not refused.
  core_.stats().rate_limited.fetch_add(1, std::memory_order_relaxed);
  paused_ = true;
  rate_wait_ = true;
  rate_timer_.expires_after(*wait);
  rate_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    self->rate_wait_ = false;
    if (!ec) self->resume_reading();
  });
  return false;
}

void Connection::process_input() {
  std::size_t offset = 0;
  while (state_ != State::kClosed && !paused_) {
    FixedHeader header;
    std::string_view rest(input_.data() + offset, input_.size() - offset);
    FrameStatus status = parse_fixed_header(rest, header);
    if (status == FrameStatus::kIncomplete) break;
    if (status == FrameStatus::kMalformed) {
      core_.stats().malformed.fetch_add(1, std::memory_order_relaxed);
      close(reason::kMalformedPacket, true);
      break;
    }
    if (state_ == State::kAwaitConnect && header.type() != PacketType::kConnect) {
      // [MQTT-3.1.0-1]: known from the first byte; no need to wait for the rest of a packet
      // that may never come (a stray HTTP request, say).
      core_.stats().protocol_errors.fetch_add(1, std::memory_order_relaxed);
      close(std::nullopt, false);
      break;
    }
    std::size_t total = header.header_bytes + header.remaining_length;
    if (total > core_.options().max_packet_bytes) {
      // [MQTT-3.2.2-15]: a packet over the Maximum Packet Size is answered with 0x95.
      core_.stats().too_large.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("mqtt {}: packet of {} bytes over the limit", identity_.peer, total);
      close(reason::kPacketTooLarge, true,
            "packet of " + std::to_string(total) + " bytes over the limit of " +
                std::to_string(core_.options().max_packet_bytes));
      break;
    }
    if (rest.size() < total) break;
    if (header.type() == PacketType::kPublish && state_ == State::kConnected &&
        !take_publish_token()) {
      break;
    }
    offset += total;
    if (!process_packet(header.first_byte,
                        rest.substr(header.header_bytes, header.remaining_length))) {
      break;
    }
    if (should_pause()) paused_ = true;
  }
  input_.erase(0, offset);
}

bool Connection::process_packet(std::uint8_t first_byte, std::string_view body) {
  auto type = static_cast<PacketType>(first_byte >> 4);
  if (state_ == State::kAwaitConnect && type != PacketType::kConnect) {
    core_.stats().protocol_errors.fetch_add(1, std::memory_order_relaxed);
    close(std::nullopt, false);  // [MQTT-3.1.0-1]: the first packet must be CONNECT
    return false;
  }
  auto packet = decode_packet(first_byte, body, version_);
  if (!packet) {
    close_for_error(packet.error());
    return false;
  }
  core_.stats().packets_received[static_cast<std::size_t>(type)].fetch_add(
      1, std::memory_order_relaxed);
  last_received_ = std::chrono::steady_clock::now();
  dispatch(*packet);
  return state_ != State::kClosed;
}

void Connection::close_for_error(const Error& error) {
  auto& counter = error.kind == ErrorKind::kBadRequestData ? core_.stats().protocol_errors
                                                           : core_.stats().malformed;
  counter.fetch_add(1, std::memory_order_relaxed);
  spdlog::debug("mqtt {} ({}): {}", identity_.peer, identity_.client_id, error.detail);
  close(reason_code_of(error), true, error.detail);
}

void Connection::dispatch(Packet& packet) {
  std::visit(
      [this](auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Connect>) {
          if (state_ != State::kAwaitConnect) {  // [MQTT-3.1.0-2]: a second CONNECT
            close_for_error(wire::protocol_error("second CONNECT"));
            return;
          }
          handle_connect(p);
        } else if constexpr (std::is_same_v<T, Publish>) {
          handle_publish(p);
        } else if constexpr (std::is_same_v<T, PublishResponse>) {
          handle_response(p);
        } else if constexpr (std::is_same_v<T, Subscribe>) {
          handle_subscribe(p);
        } else if constexpr (std::is_same_v<T, Unsubscribe>) {
          handle_unsubscribe(p);
        } else if constexpr (std::is_same_v<T, Pingreq>) {
          send(Pingresp{});
        } else if constexpr (std::is_same_v<T, Disconnect>) {
          handle_disconnect(p);
        } else {
          // CONNACK, SUBACK, UNSUBACK, PINGRESP are server-to-client only; AUTH is answered
          // as unsupported since no authentication method is offered (clause 4.12).
          close_for_error(wire::protocol_error(std::string(packet_type_name(packet_type_of(p))) +
                                               " from a client"));
        }
      },
      packet);
}

// ---- CONNECT ------------------------------------------------------------------------------

bool Connection::refuse_connect(std::uint8_t v5_code, std::uint8_t v311_code,
                                std::string reason_text) {
  Connack connack;
  connack.reason_code = version_ == kMqtt5 ? v5_code : v311_code;
  if (version_ == kMqtt5 && !reason_text.empty()) {
    connack.properties.reason_string = std::move(reason_text);
  }
  send(connack);
  close(std::nullopt, false);
  return false;
}

void Connection::handle_connect(Connect& connect) {
  const BrokerOptions& options = core_.options();
  if (connect.protocol_version != kMqtt311 && connect.protocol_version != kMqtt5) {
    // [MQTT-3.1.2-2]: unsupported level; answered in the layout the client can read.
    version_ = connect.protocol_version > kMqtt5 ? kMqtt5 : kMqtt311;
    core_.stats().protocol_errors.fetch_add(1, std::memory_order_relaxed);
    refuse_connect(reason::kUnsupportedProtocolVersion, 1);
    return;
  }
  version_ = connect.protocol_version;
  bool assigned_id = false;
  if (connect.client_id.empty()) {
    // 3.1.1 [MQTT-3.1.3-8]: an empty id needs clean session; MQTT 5 assigns one.
    if (version_ == kMqtt311 && !connect.clean_start) {
      refuse_connect(reason::kClientIdentifierNotValid, 2);
      return;
    }
    connect.client_id = "citytwin-" + std::to_string(id_);
    assigned_id = true;
  }
  if (connect.properties.authentication_method) {
    refuse_connect(0x8C, 5);  // Bad authentication method: no enhanced authentication offered
    return;
  }
  identity_.client_id = connect.client_id;
  identity_.username = connect.username.value_or("");
  identity_.protocol_version = version_;
  std::optional<std::string_view> password;
  if (connect.password) password = *connect.password;
  if (auto status = core_.hooks().authenticate(identity_, password); !status.ok()) {
    core_.stats().auth_failures.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("mqtt {}: client '{}' refused: {}", identity_.peer, identity_.client_id,
                 status.error().detail);
    auto [v5_code, v311_code] = connack_codes_for(status.error());
    refuse_connect(v5_code, v311_code, status.error().detail);
    return;
  }

  Connack connack;
  keep_alive_s_ = connect.keep_alive;
  if (version_ == kMqtt5 && options.keep_alive_max > 0 &&
      (keep_alive_s_ == 0 || keep_alive_s_ > options.keep_alive_max)) {
    keep_alive_s_ = options.keep_alive_max;  // clause 3.2.2.3.14 Server Keep Alive
    connack.properties.server_keep_alive = keep_alive_s_;
  }
  std::uint32_t expiry = 0;
  if (version_ == kMqtt5) {
    std::uint32_t asked = connect.properties.session_expiry_interval.value_or(0);
    expiry = std::min(asked, options.session_expiry_max_s);
    if (expiry != asked) connack.properties.session_expiry_interval = expiry;
  } else if (!connect.clean_start) {
    expiry = options.session_expiry_max_s;  // 3.1.1 clause 3.1.2.4: kept until reconnect
  }
  outbound_inflight_limit_ = std::min<std::size_t>(
      options.max_outbound_inflight, connect.properties.receive_maximum.value_or(65535));
  client_max_packet_ = connect.properties.maximum_packet_size.value_or(0);
  problem_information_ = connect.properties.request_problem_information.value_or(1) == 1;
  will_ = std::move(connect.will);

  std::weak_ptr<Connection> weak = weak_from_this();
  auto wake = [weak, loop = loop_] {
    asio::post(*loop, [weak] {
      if (auto self = weak.lock()) self->pump();
    });
  };
  auto evict = [weak, loop = loop_] {
    asio::post(*loop, [weak] {
      if (auto self = weak.lock()) self->close(reason::kSessionTakenOver, true);
    });
  };
  auto attached = core_.attach(identity_.client_id, connect.clean_start, expiry, id_,
                               std::move(wake), std::move(evict));
  session_ = attached.session;

  connack.session_present = attached.present;
  if (version_ == kMqtt5) {
    Properties& p = connack.properties;
    p.receive_maximum = options.max_inflight;
    p.maximum_packet_size = static_cast<std::uint32_t>(options.max_packet_bytes);
    p.topic_alias_maximum = options.topic_alias_max;
    p.retain_available = 1;
    p.wildcard_subscription_available = 1;
    p.subscription_identifier_available = 0;
    p.shared_subscription_available = 0;
    if (assigned_id) p.assigned_client_identifier = identity_.client_id;
  }
  // A new persistent session (or a discarded one) is durable before CONNACK says so.
  after_journal(attached.journal_mark, [this, connack = std::move(connack)](Status journaled) {
    finish_connect(connack, std::move(journaled));
  });
}

void Connection::finish_connect(Connack connack, Status journaled) {
  if (state_ == State::kClosed) return;
  if (!journaled.ok()) {
    spdlog::error("mqtt {}: session of '{}' not saved: {}", identity_.peer, identity_.client_id,
                  journaled.error().detail);
    refuse_connect(reason::kServerUnavailable, 3, "the session could not be saved");
    return;
  }
  send(connack);
  state_ = State::kConnected;
  core_.stats().connections_open.fetch_add(1, std::memory_order_relaxed);
  spdlog::debug("mqtt {}: client '{}' connected (MQTT {})", identity_.peer, identity_.client_id,
                version_ == kMqtt5 ? "5.0" : "3.1.1");
  // A resumed session resends what was not acknowledged, in order (clause 4.4).
  if (connack.session_present) {
    for (auto& outgoing : session_->unacknowledged()) send_outgoing(outgoing);
    std::vector<std::string> filters;
    for (const auto& [filter, options] : session_->subscriptions()) filters.push_back(filter);
    core_.hooks().on_session_resumed(identity_, filters);
  }
  timer_.cancel();
  arm_keep_alive();
  pump();
}

void Connection::after_journal(std::uint64_t mark, std::function<void(Status)> then) {
  if (mark == 0) {
    then(ok_status());
    return;
  }
  ++journal_waits_;
  core_.when_durable(mark, [self = shared_from_this(), then = std::move(then)](Status status) {
    asio::post(*self->loop_, [self, then, status = std::move(status)] {
      --self->journal_waits_;
      then(status);
      self->resume_reading();
    });
  });
}

// ---- Inbound PUBLISH ----------------------------------------------------------------------

void Connection::handle_publish(Publish& publish) {
  if (version_ == kMqtt5) {
    if (!publish.properties.subscription_identifiers.empty()) {
      close_for_error(wire::protocol_error("subscription identifier in a client PUBLISH"));
      return;
    }
    // Topic aliases (clause 3.3.2.3.4): an alias above our Topic Alias Maximum is 0x94.
    if (auto alias = publish.properties.topic_alias) {
      if (*alias > core_.options().topic_alias_max) {
        core_.stats().protocol_errors.fetch_add(1, std::memory_order_relaxed);
        close(reason::kTopicAliasInvalid, true);
        return;
      }
      if (!publish.topic.empty()) {
        topic_aliases_[*alias] = publish.topic;
      } else if (auto known = topic_aliases_.find(*alias); known != topic_aliases_.end()) {
        publish.topic = known->second;
      } else {
        close_for_error(wire::protocol_error("unknown topic alias"));
        return;
      }
    }
  }
  PendingPublish entry;
  entry.sequence = next_sequence_++;
  entry.packet_id = publish.packet_id;
  entry.message.topic = std::move(publish.topic);
  entry.message.payload = std::move(publish.payload);
  entry.message.qos = publish.qos;
  entry.message.retain = publish.retain;
  entry.message.properties = std::move(publish.properties);
  entry.message.properties.topic_alias.reset();
  if (publish.qos == 2 && session_->inbound_qos2_seen(publish.packet_id)) {
    // A resent QoS 2 PUBLISH whose PUBREC was lost: acknowledge, do not deliver again.
    entry.duplicate = true;
    entry.result = ok_status();
    pending_.push_back(std::move(entry));
    finish_pending();
    return;
  }
  pending_.push_back(std::move(entry));
  const PendingPublish& stored = pending_.back();
  auto once = std::make_shared<std::atomic<bool>>(false);
  // Holds the connection until the hook answers, so a message received just before the
  // client went away is still forwarded once accepted.
  auto done = [self = shared_from_this(), sequence = stored.sequence, once](Status status) {
    if (once->exchange(true)) return;  // the contract is exactly once; ignore repeats
    asio::post(*self->loop_, [self, sequence, status = std::move(status)]() mutable {
      self->on_publish_done(sequence, std::move(status));
    });
  };
  core_.hooks().on_publish(identity_, stored.message, std::move(done));
}

Connection::PendingPublish* Connection::pending_entry(std::uint64_t sequence) {
  if (pending_.empty()) return nullptr;
  std::uint64_t first = pending_.front().sequence;
  if (sequence < first || sequence - first >= pending_.size()) return nullptr;
  return &pending_[sequence - first];
}

void Connection::on_publish_done(std::uint64_t sequence, Status status) {
  PendingPublish* entry = pending_entry(sequence);
  if (entry == nullptr) return;
  entry->result = std::move(status);
  finish_pending();
}

void Connection::on_journal_done(std::uint64_t sequence, Status status) {
  PendingPublish* entry = pending_entry(sequence);
  if (entry == nullptr) return;
  entry->awaiting_journal = false;
  if (!status.ok()) entry->result = std::move(status);  // not durably queued: refused
  finish_pending();
}

std::uint64_t Connection::route_inbound(PendingPublish& entry) {
  core_.stats().messages_received.fetch_add(1, std::memory_order_relaxed);
  Message message;
  message.topic = std::move(entry.message.topic);
  message.payload = std::make_shared<const std::string>(std::move(entry.message.payload));
  message.qos = entry.message.qos;
  message.retain = entry.message.retain;
  message.properties = forwarded_properties(entry.message.properties);
  message.origin_client_id = identity_.client_id;
  return core_.route(message);
}

// Completes inbound publishes in arrival order, so subscribers see one client's messages in
// the order it sent them (clause 4.6) whatever order on_publish finishes in.
// After the connection closed, accepted messages are still forwarded (they were received
// before the client left) but nothing is written back.
void Connection::finish_pending() {
  const bool closed = state_ == State::kClosed;
  // Forwards, in order, every accepted message whose predecessors are forwarded. One queued
  // for a persistent session is acknowledged (PUBACK/PUBREC) only once that is durable, so an
  // acknowledged message survives a crash (docs/mqtt.md, "Sessions"); the ones behind it are
  // forwarded meanwhile (they share its fsync) but acknowledged after it (clause 4.6).
  for (PendingPublish& entry : pending_) {
    if (!entry.result) break;
    if (entry.routed || entry.duplicate || !entry.result->ok()) continue;
    entry.routed = true;
    std::uint64_t mark = route_inbound(entry);
    if (mark == 0 || closed) continue;
    entry.awaiting_journal = true;
    core_.when_durable(mark, [self = shared_from_this(), sequence = entry.sequence](Status s) {
      asio::post(*self->loop_, [self, sequence, status = std::move(s)]() mutable {
        self->on_journal_done(sequence, std::move(status));
      });
    });
  }
  while (!pending_.empty() && pending_.front().result && !pending_.front().awaiting_journal) {
    PendingPublish entry = std::move(pending_.front());
    pending_.pop_front();
    const Status& result = *entry.result;
    std::uint8_t qos = entry.message.qos;
    if (!result.ok() && closed) {
      core_.stats().publishes_refused.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (!result.ok()) {
      core_.stats().publishes_refused.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("mqtt {}: PUBLISH from '{}' to '{}' refused: {}", identity_.peer,
                   identity_.client_id, entry.message.topic, result.error().detail);
      if (version_ != kMqtt5) {
        close(std::nullopt, true);  // 3.1.1 has no negative acknowledgement [MQTT-3.3.5-2]
        return;
      }
      if (qos > 0) {
        PacketType type = qos == 1 ? PacketType::kPuback : PacketType::kPubrec;
        PublishResponse refusal{type, entry.packet_id, puback_code_for(result.error()), {}};
        if (problem_information_) refusal.properties.reason_string = result.error().detail;
        send(refusal);
      }
      continue;
    }
    if (closed) continue;
    if (qos == 1) send(PublishResponse{PacketType::kPuback, entry.packet_id, 0, {}});
    if (qos == 2) {
      session_->remember_inbound_qos2(entry.packet_id);
      send(PublishResponse{PacketType::kPubrec, entry.packet_id, 0, {}});
    }
  }
  resume_reading();
}

void Connection::resume_reading() {
  if (!paused_ || state_ == State::kClosed || should_pause()) return;
  paused_ = false;
  process_input();
  read_more();
}

// ---- Acknowledgements ---------------------------------------------------------------------

void Connection::handle_response(const PublishResponse& response) {
  std::uint16_t id = response.packet_id;
  switch (response.type) {
    case PacketType::kPuback:
      session_->on_puback(id);
      break;
    case PacketType::kPubrec:
      if (response.reason_code >= 0x80) {
        session_->release(id);  // the client refused it: the QoS 2 flow ends (clause 4.3.3)
      } else if (session_->on_pubrec(id) || version_ != kMqtt5) {
        send(PublishResponse{PacketType::kPubrel, id, 0, {}});
      } else {
        send(PublishResponse{PacketType::kPubrel, id, reason::kPacketIdentifierNotFound, {}});
      }
      break;
    case PacketType::kPubrel: {
      bool known = session_->forget_inbound_qos2(id);
      std::uint8_t code =
          known || version_ != kMqtt5 ? reason::kSuccess : reason::kPacketIdentifierNotFound;
      send(PublishResponse{PacketType::kPubcomp, id, code, {}});
      break;
    }
    case PacketType::kPubcomp:
      session_->on_pubcomp(id);
      break;
    default:
      break;
  }
  pump();
}

// ---- SUBSCRIBE / UNSUBSCRIBE --------------------------------------------------------------

void Connection::handle_subscribe(const Subscribe& subscribe) {
  if (!subscribe.properties.subscription_identifiers.empty()) {
    // Subscription Identifier Available is 0 in CONNACK ([MQTT-3.2.2-...]: 0xA1).
    core_.stats().protocol_errors.fetch_add(1, std::memory_order_relaxed);
    close(reason::kSubscriptionIdentifiersNotSupported, true);
    return;
  }
  const bool v5 = version_ == kMqtt5;
  Suback suback;
  suback.packet_id = subscribe.packet_id;
  struct Granted {
    std::string filter;
    SubscriptionOptions options;
    std::uint8_t retain_handling;
    bool is_new;
    std::size_t index;  // in suback.reason_codes
  };
  std::vector<Granted> granted;
  for (const auto& request : subscribe.subscriptions) {
    std::uint8_t code = 0;
    if (request.filter.starts_with("$share/")) {
      code = v5 ? reason::kSharedSubscriptionsNotSupported : reason::kUnspecifiedError;
    } else if (!valid_topic_filter(request.filter)) {
      code = v5 ? reason::kTopicFilterInvalid : reason::kUnspecifiedError;
    } else if (!core_.hooks().may_subscribe(identity_, request.filter)) {
      code = v5 ? reason::kNotAuthorized : reason::kUnspecifiedError;
    } else {
      SubscriptionOptions options{request.qos, request.no_local, request.retain_as_published};
      auto result = core_.subscribe(*session_, request.filter, options);
      code = result.code;
      if (code <= 2) {
        granted.push_back(Granted{request.filter, options, request.retain_handling, result.is_new,
                                  suback.reason_codes.size()});
      } else if (!v5) {
        code = reason::kUnspecifiedError;
      }
    }
    suback.reason_codes.push_back(code);
  }
  // A persistent session's subscriptions are durable before SUBACK grants them.
  std::uint64_t mark = granted.empty() ? 0 : session_->save_state();
  after_journal(mark, [this, suback = std::move(suback), granted](Status journaled) mutable {
    if (state_ == State::kClosed) return;
    if (!journaled.ok()) {
      spdlog::error("mqtt {}: subscriptions of '{}' not saved: {}", identity_.peer,
                    identity_.client_id, journaled.error().detail);
      for (const auto& g : granted) {
        core_.unsubscribe(*session_, g.filter);
        suback.reason_codes[g.index] = reason::kUnspecifiedError;
      }
      send(suback);
      return;
    }
    send(suback);
    for (const auto& g : granted) {
      if (g.retain_handling == 2 || (g.retain_handling == 1 && !g.is_new)) continue;
      core_.send_retained(*session_, g.filter, g.options);
    }
    for (const auto& g : granted) core_.hooks().on_subscribed(identity_, g.filter);
    pump();
  });
}

void Connection::handle_unsubscribe(const Unsubscribe& unsubscribe) {
  Unsuback unsuback;
  unsuback.packet_id = unsubscribe.packet_id;
  bool removed = false;
  for (const auto& filter : unsubscribe.filters) {
    bool existed = core_.unsubscribe(*session_, filter);
    removed = removed || existed;
    unsuback.reason_codes.push_back(existed ? reason::kSuccess : reason::kNoSubscriptionExisted);
  }
  std::uint64_t mark = removed ? session_->save_state() : 0;
  after_journal(mark, [this, unsuback = std::move(unsuback)](Status journaled) mutable {
    if (state_ == State::kClosed) return;
    if (!journaled.ok()) {
      // Removed here, but a restart could bring them back: not a success (MQTT 5 only;
      // a 3.1.1 UNSUBACK has no codes).
      spdlog::error("mqtt {}: subscriptions of '{}' not saved: {}", identity_.peer,
                    identity_.client_id, journaled.error().detail);
      for (auto& code : unsuback.reason_codes) code = reason::kUnspecifiedError;
    }
    send(unsuback);
  });
}

void Connection::handle_disconnect(const Disconnect& disconnect) {
  if (auto expiry = disconnect.properties.session_expiry_interval) {
    // [MQTT-3.14.2-2]: a session that was to end at disconnect cannot be extended here.
    if (session_->expiry() == 0 && *expiry != 0) {
      close_for_error(wire::protocol_error("session expiry set at DISCONNECT"));
      return;
    }
    core_.set_expiry(*session_, std::min(*expiry, core_.options().session_expiry_max_s));
  }
  // A normal DISCONNECT discards the will, except reason 0x04 ([MQTT-3.1.2-10], 3.14.2.1).
  close(std::nullopt, disconnect.reason_code == reason::kDisconnectWithWill);
}

// ---- Outbound -----------------------------------------------------------------------------

void Connection::pump() {
  if (state_ != State::kConnected || !session_) return;
  while (unsent_bytes() < core_.options().write_buffer_bytes) {
    auto batch = session_->next_batch(id_, outbound_inflight_limit_, kPumpBatch);
    if (batch.empty()) break;
    for (auto& outgoing : batch) send_outgoing(outgoing);
  }
}

void Connection::send_outgoing(Session::Outgoing& outgoing) {
  if (outgoing.pubrel) {
    send(PublishResponse{PacketType::kPubrel, outgoing.packet_id, 0, {}});
    return;
  }
  Publish publish;
  publish.dup = outgoing.dup;
  publish.qos = outgoing.message.qos;
  publish.retain = outgoing.message.retain;
  publish.topic = outgoing.message.topic;
  publish.packet_id = outgoing.packet_id;
  if (version_ == kMqtt5) publish.properties = outgoing.message.properties;
  if (outgoing.message.payload) publish.payload = *outgoing.message.payload;
  std::string bytes = encode_packet(publish, version_);
  // [MQTT-3.1.2-25]: a packet over the client's Maximum Packet Size is discarded.
  if (client_max_packet_ > 0 && bytes.size() > client_max_packet_) {
    if (outgoing.packet_id != 0) session_->release(outgoing.packet_id);
    core_.stats().messages_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  core_.stats().packets_sent[static_cast<std::size_t>(PacketType::kPublish)].fetch_add(
      1, std::memory_order_relaxed);
  core_.stats().messages_sent.fetch_add(1, std::memory_order_relaxed);
  pending_out_.append(bytes);
  flush();
}

void Connection::send(const Packet& packet) {
  core_.stats().packets_sent[static_cast<std::size_t>(packet_type_of(packet))].fetch_add(
      1, std::memory_order_relaxed);
  pending_out_.append(encode_packet(packet, version_));
  flush();
}

void Connection::flush() {
  if (write_in_progress_ || pending_out_.empty() || socket_closed_) return;
  write_in_progress_ = true;
  writing_.swap(pending_out_);
  pending_out_.clear();
  auto on_written = [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
    self->write_in_progress_ = false;
    self->writing_.clear();
    if (ec) {
      self->close(std::nullopt, true);
      self->close_socket();
      return;
    }
    if (self->state_ == State::kClosed) {
      if (self->pending_out_.empty()) {
        self->close_socket();
      } else {
        self->flush();
      }
      return;
    }
    self->flush();
    self->pump();
    self->resume_reading();
  };
  stream_io::async_write(tls_, socket_, asio::buffer(writing_), std::move(on_written));
}

// ---- Keep-alive and closing ---------------------------------------------------------------

void Connection::arm_keep_alive() {
  if (keep_alive_s_ == 0 || state_ != State::kConnected) return;
  // [MQTT-3.1.2-22] (5.0) / [MQTT-3.1.2-24] (3.1.1): one and a half times the keep-alive.
  auto limit = std::chrono::milliseconds(keep_alive_s_ * 1500);
  timer_.expires_at(last_received_ + limit);
  timer_.async_wait([self = shared_from_this(), limit](boost::system::error_code ec) {
    if (ec || self->state_ != State::kConnected) return;
    if (std::chrono::steady_clock::now() - self->last_received_ >= limit) {
      self->core_.stats().keep_alive_timeouts.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("mqtt {}: client '{}' keep-alive expired", self->identity_.peer,
                    self->identity_.client_id);
      self->close(reason::kKeepAliveTimeout, true);
      return;
    }
    self->arm_keep_alive();
  });
}

void Connection::close(std::optional<std::uint8_t> v5_reason, bool with_will,
                       std::string reason_text) {
  if (state_ == State::kClosed) return;
  bool was_connected = state_ == State::kConnected;
  state_ = State::kClosed;
  if (was_connected && v5_reason && version_ == kMqtt5) {
    Disconnect disconnect;
    disconnect.reason_code = *v5_reason;
    if (!reason_text.empty()) disconnect.properties.reason_string = std::move(reason_text);
    send(disconnect);
  }
  if (!was_connected && session_) {
    core_.detach(session_, id_);  // closed while CONNACK waited for the session journal
  }
  if (was_connected) {
    if (with_will) publish_will();
    core_.detach(session_, id_);
    core_.stats().connections_open.fetch_sub(1, std::memory_order_relaxed);
    core_.hooks().on_disconnect(identity_);
  }
  timer_.cancel();
  if (!write_in_progress_ && pending_out_.empty()) {
    close_socket();
    return;
  }
  // Let the last packets (CONNACK refusal, DISCONNECT) go out, but not wait on a peer that
  // does not read.
  timer_.expires_after(kCloseGrace);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->close_socket();
  });
}

void Connection::publish_will() {
  if (!will_) return;
  auto will = std::make_shared<InboundPublish>();
  will->topic = std::move(will_->topic);
  will->payload = std::move(will_->payload);
  will->qos = will_->qos;
  will->retain = will_->retain;
  will->properties = forwarded_properties(will_->properties);
  // MQTT 5 Will Delay Interval (clause 3.1.3.2.2): sent once the delay has passed or the
  // session ends, whichever comes first, and not at all if the client comes back first.
  std::uint32_t delay =
      std::min(will_->properties.will_delay_interval.value_or(0), session_->expiry());
  will_.reset();
  BrokerCore* core = &core_;
  auto send = [core, identity = identity_, will] {
    core->hooks().on_publish(identity, *will,
                             [core, will, origin = identity.client_id](Status status) {
                               if (!status.ok()) return;
                               Message message;
                               message.topic = will->topic;
                               message.payload = std::make_shared<const std::string>(will->payload);
                               message.qos = will->qos;
                               message.retain = will->retain;
                               message.properties = will->properties;
                               message.origin_client_id = origin;
                               core->route(message);
                             });
  };
  if (delay == 0) {
    send();
    return;
  }
  auto cancelled = session_->defer_will();
  auto timer = std::make_shared<asio::steady_timer>(*loop_, std::chrono::seconds(delay));
  timer->async_wait([timer, cancelled, send](boost::system::error_code ec) {
    if (!ec && !cancelled->load()) send();
  });
}

void Connection::close_socket() {
  if (socket_closed_) return;
  socket_closed_ = true;
  timer_.cancel();
  rate_timer_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(Tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  self_.reset();  // every caller holds its own reference for the rest of the call
}

}  // namespace citytwin::mqtt
