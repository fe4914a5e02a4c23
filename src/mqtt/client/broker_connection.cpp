#include "broker_connection.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace citytwin::mqtt {
namespace {

Error failed(std::string detail) {
  return make_error(ErrorKind::kServiceUnavailable, std::move(detail));
}

std::string client_id() {
  std::random_device device;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "citytwin-notify-";
  for (int i = 0; i < 16; ++i) id += kHex[device() % 16];
  return id;
}

MqttBrokerConnection* self(void* object) {
  return static_cast<MqttBrokerConnection*>(object);
}

void connect_callback(mosquitto*, void* object, int reason_code, int, const mosquitto_property*) {
  self(object)->on_connect(reason_code);
}

void publish_callback(mosquitto*, void* object, int mid, int reason_code,
                      const mosquitto_property*) {
  self(object)->on_publish(mid, reason_code);
}

void disconnect_callback(mosquitto*, void* object, int reason_code, const mosquitto_property*) {
  self(object)->on_disconnect(reason_code);
}

// libmosquitto reports OpenSSL failures (certificate verification) only through its log.
void log_callback(mosquitto*, void* object, int level, const char* text) {
  if (level == MOSQ_LOG_ERR && text != nullptr) self(object)->on_error_log(text);
}

std::string describe(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
  return mosquitto_strerror(rc);
}

}  // namespace

MqttBrokerConnection::MqttBrokerConnection(core::MqttEndpoint endpoint, core::MqttVersion version,
                                           const MqttNotificationSenderOptions& options)
    : endpoint_(std::move(endpoint)),
      version_(version),
      options_(options),
      last_used_(std::chrono::steady_clock::now()) {}

MqttBrokerConnection::~MqttBrokerConnection() {
  close();
}

std::string MqttBrokerConnection::name() const {
  return (endpoint_.tls ? "mqtts://" : "mqtt://") + endpoint_.host + ":" +
         std::to_string(endpoint_.port);
}

void MqttBrokerConnection::on_connect(int reason_code) {
  connack_ = true;
  connack_code_ = reason_code;
  if (reason_code == 0) connected_ = true;
}

void MqttBrokerConnection::on_publish(int mid, int reason_code) {
  // MQTT 5 clause 3.4.2.1: a PUBACK/PUBREC reason code of 0x80 or more is a refusal.
  if (reason_code >= 0x80) {
    refused_.insert(mid);
    refused_code_ = reason_code;
  } else {
    acknowledged_.insert(mid);
  }
}

void MqttBrokerConnection::on_disconnect(int reason_code) {
  connected_ = false;
  lost_ = true;
  lost_code_ = reason_code;
}

void MqttBrokerConnection::on_error_log(std::string text) {
  last_log_error_ = std::move(text);
}

void MqttBrokerConnection::close() {
  if (handle_ == nullptr) return;
  if (connected_) {
    mosquitto_disconnect(handle_);
  }
  mosquitto_destroy(handle_);
  handle_ = nullptr;
  connected_ = false;
  connack_ = false;
  acknowledged_.clear();
  refused_.clear();
}

template <class Done>
Status MqttBrokerConnection::run_until(Done done, SteadyTime deadline, const char* waiting_for) {
  while (!done()) {
    if (lost_) {
      std::string reason = last_log_error_.empty() ? describe(lost_code_) : last_log_error_;
      return failed("connection to " + name() + " lost while waiting for " + waiting_for + ": " +
                    reason);
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return failed("timed out after " + std::to_string(options_.timeout.count()) +
                    " ms waiting for " + waiting_for + " from " + name());
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    // mosquitto_loop: one select() round of reads, writes (the TLS handshake included) and
    // keep-alive; a socket number past FD_SETSIZE makes it fail with MOSQ_ERR_INVAL.
    int rc = mosquitto_loop(handle_, static_cast<int>(std::clamp<long long>(left, 1, 100)), 1);
    if (rc != MOSQ_ERR_SUCCESS && !done()) {
      std::string reason = last_log_error_.empty() ? describe(rc) : last_log_error_;
      return failed("connection to " + name() + " failed while waiting for " + waiting_for + ": " +
                    reason);
    }
  }
  return ok_status();
}

Status MqttBrokerConnection::fail_connection(std::string reason) {
  close();
  ++connect_failures_;
  auto delay = options_.reconnect_initial;
  for (unsigned i = 1; i < connect_failures_ && delay < options_.reconnect_max; ++i) delay *= 2;
  delay = std::min(delay, options_.reconnect_max);
  next_connect_ = std::chrono::steady_clock::now() + delay;
  last_connect_error_ = reason;
  return failed(std::move(reason));
}

Status MqttBrokerConnection::connect(SteadyTime deadline) {
  auto now = std::chrono::steady_clock::now();
  if (connect_failures_ > 0 && now < next_connect_) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_connect_ - now);
    return failed(last_connect_error_ + " (next connection attempt in " +
                  std::to_string(wait.count()) + " ms)");
  }
  close();
  lost_ = false;
  last_log_error_.clear();
  handle_ = mosquitto_new(client_id().c_str(), true, this);
  if (handle_ == nullptr) return fail_connection("cannot create an MQTT client");
  mosquitto_int_option(handle_, MOSQ_OPT_PROTOCOL_VERSION,
                       version_ == core::MqttVersion::kV5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  mosquitto_connect_v5_callback_set(handle_, connect_callback);
  mosquitto_publish_v5_callback_set(handle_, publish_callback);
  mosquitto_disconnect_v5_callback_set(handle_, disconnect_callback);
  mosquitto_log_callback_set(handle_, log_callback);
  if (endpoint_.username) {
    mosquitto_username_pw_set(handle_, endpoint_.username->c_str(),
                              endpoint_.password ? endpoint_.password->c_str() : nullptr);
  }
  if (endpoint_.tls) {
    // Certificate verification is on (SSL_VERIFY_PEER, and tls_insecure stays false so the
    // host name or IP address must match the certificate).
    int rc = options_.ca_file.empty() ? mosquitto_int_option(handle_, MOSQ_OPT_TLS_USE_OS_CERTS, 1)
                                      : mosquitto_tls_set(handle_, options_.ca_file.c_str(),
                                                          nullptr, nullptr, nullptr, nullptr);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_tls_opts_set(handle_, 1, "tlsv1.2", nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      return fail_connection("cannot set up TLS for " + name() + ": " + describe(rc));
    }
  }
  int keep_alive = static_cast<int>(options_.keep_alive.count());
  int rc = mosquitto_connect_async(handle_, endpoint_.host.c_str(), endpoint_.port, keep_alive);
  if (rc != MOSQ_ERR_SUCCESS) {
    return fail_connection("cannot connect to " + name() + ": " + describe(rc));
  }
  auto status = run_until([&] { return connack_; }, deadline, "CONNACK");
  if (!status.ok()) return fail_connection(status.error().detail);
  if (connack_code_ != 0) {
    std::string reason = version_ == core::MqttVersion::kV5
                             ? mosquitto_reason_string(connack_code_)
                             : mosquitto_connack_string(connack_code_);
    return fail_connection("the broker " + name() + " refused the connection: " + reason);
  }
  connect_failures_ = 0;
  // With a log callback set, libmosquitto formats a debug line (a 500-byte allocation and a
  // vsnprintf) for every message published: a tenth of the notifier's CPU in
  // bench/subscriptions. Without TLS nothing needs the log once connected (errors come back as
  // return codes and errno); over TLS it stays, being the only report of OpenSSL failures.
  if (!endpoint_.tls) mosquitto_log_callback_set(handle_, nullptr);
  return ok_status();
}

void MqttBrokerConnection::refresh() {
  auto now = std::chrono::steady_clock::now();
  // The broker drops a client silent for 1.5 keep-alive periods (MQTT clause 3.1.2.10); a
  // connection unused that long is reopened rather than trusted.
  if (handle_ != nullptr && now - last_used_ >= options_.keep_alive) close();
  last_used_ = now;
  if (handle_ != nullptr && connected_) {
    // Reads what arrived meanwhile (a DISCONNECT, a closed socket) without waiting.
    if (mosquitto_loop(handle_, 0, 1) != MOSQ_ERR_SUCCESS || lost_) close();
  }
}

Status MqttBrokerConnection::publish(const std::string& topic, const std::string& payload, int qos,
                                     SteadyTime deadline) {
  std::lock_guard lock(mutex_);
  refresh();
  return publish_locked(topic, payload, qos, deadline);
}

std::vector<Status> MqttBrokerConnection::publish_all(const std::vector<Message>& messages,
                                                      std::chrono::milliseconds timeout) {
  std::vector<Status> statuses;
  statuses.reserve(messages.size());
  std::lock_guard lock(mutex_);
  refresh();
  // QoS 0 waits for no answer, so a batch of them is corked and leaves in as few segments as
  // its size allows when uncorked at the end: one segment per message crossed the network
  // stack (on 127.0.0.1 the broker's side too) and woke the broker once per message
  // (bench/subscriptions). A QoS 1/2 message waits for its acknowledgement, so it must leave
  // at once: such batches are not corked. The first message of a connection opened here goes
  // uncorked (the socket exists only once it is sent).
  bool cork = std::all_of(messages.begin(), messages.end(),
                          [](const Message& message) { return message.qos == 0; });
  bool corked = false;
  for (const auto& message : messages) {
    if (cork && !corked && handle_ != nullptr && connected_) corked = set_cork(true);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    statuses.push_back(publish_locked(message.topic, message.payload, message.qos, deadline));
  }
  if (corked) set_cork(false);  // sends what is held (on a connection reopened since: no-op)
  return statuses;
}

bool MqttBrokerConnection::set_cork(bool on) {
  int socket = handle_ != nullptr ? mosquitto_socket(handle_) : -1;
  if (socket < 0) return false;
  int value = on ? 1 : 0;
  return setsockopt(socket, IPPROTO_TCP, TCP_CORK, &value, sizeof value) == 0;
}

Status MqttBrokerConnection::publish_locked(const std::string& topic, const std::string& payload,
                                            int qos, SteadyTime deadline) {
  if (handle_ == nullptr || !connected_) CT_RETURN_IF_ERROR(connect(deadline));
  int mid = 0;
  int rc = mosquitto_publish_v5(handle_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                                payload.data(), qos, false, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    std::string reason = describe(rc);
    close();
    return failed("cannot publish to " + name() + ": " + reason);
  }
  auto status = run_until([&] { return acknowledged_.contains(mid) || refused_.contains(mid); },
                          deadline, qos == 0 ? "the write" : "the acknowledgement");
  if (!status.ok()) {
    // Its state is unknown (an acknowledgement may still come): start afresh next time.
    close();
    return status;
  }
  last_used_ = std::chrono::steady_clock::now();
  if (refused_.erase(mid) > 0) {
    return failed("the broker " + name() +
                  " refused the message: " + mosquitto_reason_string(refused_code_));
  }
  acknowledged_.erase(mid);
  return ok_status();
}

bool MqttBrokerConnection::idle_for(std::chrono::steady_clock::duration idle) {
  std::unique_lock lock(mutex_, std::try_to_lock);
  return lock.owns_lock() && std::chrono::steady_clock::now() - last_used_ >= idle;
}

}  // namespace citytwin::mqtt
