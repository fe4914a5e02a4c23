#pragma once

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/core/mqtt_endpoint.hpp"
#include "citytwin/mqtt/mqtt_notification_sender.hpp"

struct mosquitto;

namespace citytwin::mqtt {

// One client connection to an external broker, for one user and protocol version, driven
// synchronously by whichever thread publishes (poll() on libmosquitto's socket, no
// libmosquitto thread). Thread-safe: publishes are serialized.
class MqttBrokerConnection {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  MqttBrokerConnection(core::MqttEndpoint endpoint, core::MqttVersion version,
                       const MqttNotificationSenderOptions& options);
  ~MqttBrokerConnection();
  MqttBrokerConnection(const MqttBrokerConnection&) = delete;
  MqttBrokerConnection& operator=(const MqttBrokerConnection&) = delete;

  // Publishes `payload` to `topic` and waits for the acknowledgement of `qos`, connecting first
  // when needed; fails at once while a failed connection backs off. The connection is shared
  // by every endpoint on the same broker, so the topic comes with each message.
  Status publish(const std::string& topic, const std::string& payload, int qos,
                 SteadyTime deadline);

  struct Message {
    std::string topic;
    std::string payload;
    int qos = 0;
  };
  // Publishes each, in order, as publish() would (each gets `timeout` from its own start),
  // taking the connection once for all of them. One status per message.
  std::vector<Status> publish_all(const std::vector<Message>& messages,
                                  std::chrono::milliseconds timeout);

  // No publish for longer than `idle` (and none running now).
  bool idle_for(std::chrono::steady_clock::duration idle);

  // libmosquitto callbacks (C functions forward here).
  void on_connect(int reason_code);
  void on_publish(int mid, int reason_code);
  void on_disconnect(int reason_code);
  void on_error_log(std::string text);

 private:
  Status connect(SteadyTime deadline);
  // Reopens a connection idle past the keep-alive, reads what arrived meanwhile. Needs mutex_.
  void refresh();
  // publish() without the lock and the refresh.
  Status publish_locked(const std::string& topic, const std::string& payload, int qos,
                        SteadyTime deadline);
  // Drives the socket until `done()` or the deadline, the connection dropping, or an error.
  template <class Done>
  Status run_until(Done done, SteadyTime deadline, const char* waiting_for);
  Status fail_connection(std::string reason);
  // TCP_CORK on the connection's socket (Linux): held writes leave in full segments until it is
  // set off again. False when there is no socket or it cannot be set. Needs mutex_.
  bool set_cork(bool on);
  void close();
  std::string name() const;

  core::MqttEndpoint endpoint_;  // broker and credentials; its topic is not used
  core::MqttVersion version_;
  const MqttNotificationSenderOptions& options_;

  std::mutex mutex_;
  mosquitto* handle_ = nullptr;
  bool connected_ = false;
  bool connack_ = false;
  int connack_code_ = 0;
  bool lost_ = false;
  int lost_code_ = 0;
  std::set<int> acknowledged_;  // mids acknowledged (or written, QoS 0)
  std::set<int> refused_;       // mids the broker refused (MQTT 5 reason code >= 0x80)
  int refused_code_ = 0;
  unsigned connect_failures_ = 0;
  SteadyTime next_connect_{};
  std::string last_connect_error_;
  std::string last_log_error_;  // the latest error libmosquitto logged (TLS failures)
  SteadyTime last_used_;
};

}  // namespace citytwin::mqtt
