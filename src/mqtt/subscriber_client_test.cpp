// SubscriberClient against the built-in broker on 127.0.0.1 (standing in for an external
// one): messages arrive, a QoS 1 message is acknowledged only once its handler said it is
// stored, an unacknowledged one comes back after the client reconnects with its session, and
// the outbound address check is applied before connecting.
#include "citytwin/mqtt/subscriber_client.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

namespace citytwin::mqtt {
namespace {

class AcceptAll : public BrokerHooks {
 public:
  Status authenticate(const ClientIdentity&, std::optional<std::string_view>) override {
    return ok_status();
  }
  void on_publish(const ClientIdentity&, const InboundPublish&,
                  std::function<void(Status)> done) override {
    done(ok_status());
  }
  bool may_subscribe(const ClientIdentity&, std::string_view) override { return true; }
};

// Records messages; answers them at once, or holds their `done` when told to.
class Receiver {
 public:
  SubscriberClientHooks hooks() {
    SubscriberClientHooks hooks;
    hooks.on_message = [this](const InboundPublish& message, std::function<void(Status)> done) {
      std::unique_lock lock(mutex_);
      payloads_.push_back(message.payload);
      if (hold_) {
        held_.push_back(std::move(done));
      } else {
        lock.unlock();
        done(answer_);
      }
      changed_.notify_all();
    };
    hooks.on_state = [this](bool connected) {
      std::lock_guard lock(mutex_);
      connected_ = connected;
      changed_.notify_all();
    };
    return hooks;
  }
  void hold() { hold_ = true; }
  bool wait_for_messages(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10),
                             [&] { return payloads_.size() >= count; });
  }
  bool wait_connected() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return connected_; });
  }
  std::vector<std::string> payloads() {
    std::lock_guard lock(mutex_);
    return payloads_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_ = false;
  bool connected_ = false;
  Status answer_;
  std::vector<std::string> payloads_;
  std::vector<std::function<void(Status)>> held_;
};

class SubscriberClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BrokerOptions options;
    options.port = 0;
    broker_ = std::make_unique<Broker>(options, broker_hooks_, metrics_);
    ASSERT_TRUE(broker_->start().ok());
  }
  SubscriberClientOptions client_options() {
    SubscriberClientOptions options;
    options.host = "127.0.0.1";
    options.port = broker_->port();
    options.client_id = "citytwin-test";
    options.filters = {"dev/+/attrs"};
    options.reconnect_initial = std::chrono::milliseconds(50);
    return options;
  }

  MetricsRegistry metrics_;
  AcceptAll broker_hooks_;
  std::unique_ptr<Broker> broker_;
};

TEST_F(SubscriberClientTest, ReceivesWhatIsPublishedToItsFilters) {
  Receiver receiver;
  SubscriberClient client(client_options(), receiver.hooks(), metrics_);
  ASSERT_TRUE(client.start().ok());
  ASSERT_TRUE(receiver.wait_connected());
  EXPECT_TRUE(client.connected());
  ASSERT_TRUE(broker_->publish("dev/a/attrs", "one", 1, false).ok());
  ASSERT_TRUE(broker_->publish("other/a/attrs", "not subscribed", 1, false).ok());
  ASSERT_TRUE(broker_->publish("dev/b/attrs", "two", 0, false).ok());
  ASSERT_TRUE(receiver.wait_for_messages(2));
  EXPECT_EQ(receiver.payloads(), (std::vector<std::string>{"one", "two"}));
  EXPECT_NE(metrics_.render().find("citytwin_mqtt_external_connected 1"), std::string::npos);
}

TEST_F(SubscriberClientTest, UnacknowledgedMessageComesBackAfterReconnecting) {
  {
    Receiver receiver;
    receiver.hold();  // never stored: never acknowledged
    SubscriberClient client(client_options(), receiver.hooks(), metrics_);
    ASSERT_TRUE(client.start().ok());
    ASSERT_TRUE(receiver.wait_connected());
    ASSERT_TRUE(broker_->publish("dev/a/attrs", "kept", 1, false).ok());
    ASSERT_TRUE(receiver.wait_for_messages(1));
  }  // the client goes away; its session stays at the broker
  Receiver again;
  SubscriberClient client(client_options(), again.hooks(), metrics_);
  ASSERT_TRUE(client.start().ok());
  ASSERT_TRUE(again.wait_for_messages(1));
  EXPECT_EQ(again.payloads(), std::vector<std::string>{"kept"});
}

TEST_F(SubscriberClientTest, AcknowledgedMessageIsNotSentAgain) {
  {
    Receiver receiver;
    SubscriberClient client(client_options(), receiver.hooks(), metrics_);
    ASSERT_TRUE(client.start().ok());
    ASSERT_TRUE(receiver.wait_connected());
    ASSERT_TRUE(broker_->publish("dev/a/attrs", "first", 1, false).ok());
    ASSERT_TRUE(receiver.wait_for_messages(1));
    // The PUBACK goes out after the handler's answer; let it reach the broker.
    ASSERT_TRUE(broker_->publish("dev/a/attrs", "second", 1, false).ok());
    ASSERT_TRUE(receiver.wait_for_messages(2));
  }
  Receiver again;
  SubscriberClient client(client_options(), again.hooks(), metrics_);
  ASSERT_TRUE(client.start().ok());
  ASSERT_TRUE(again.wait_connected());
  ASSERT_TRUE(broker_->publish("dev/a/attrs", "third", 1, false).ok());
  ASSERT_TRUE(again.wait_for_messages(1));
  // "first" was acknowledged before the client left and does not come back. ("second" may,
  // when its PUBACK was still being written: at least once.)
  for (const auto& payload : again.payloads()) EXPECT_NE(payload, "first");
}

TEST_F(SubscriberClientTest, RefusedAddressIsNotConnectedTo) {
  Receiver receiver;
  auto hooks = receiver.hooks();
  std::atomic<int> checks{0};
  hooks.allow_address = [&checks](std::string_view, std::uint16_t,
                                  const boost::asio::ip::address&) {
    checks.fetch_add(1);
    return Status(make_error(ErrorKind::kBadRequestData, "refused by test policy"));
  };
  SubscriberClient client(client_options(), std::move(hooks), metrics_);
  ASSERT_TRUE(client.start().ok());
  for (int i = 0; i < 200 && checks.load() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(checks.load(), 2);  // checked, refused, retried with backoff
  EXPECT_FALSE(client.connected());
  EXPECT_NE(metrics_.render().find("citytwin_mqtt_external_connections{result=\"failed\"}"),
            std::string::npos);
}

}  // namespace
}  // namespace citytwin::mqtt
