// The broker over real TCP on 127.0.0.1 with a hand-driven client, checking what black-box
// clients cannot: acknowledgement only after BrokerHooks::on_publish finishes, in order,
// back-pressure when publishes wait, and the refusal paths of both protocol versions.
#include "citytwin/mqtt/broker.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "test_session_journal.hpp"

namespace citytwin::mqtt {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class TestHooks : public BrokerHooks {
 public:
  Status authenticate(const ClientIdentity&, std::optional<std::string_view> password) override {
    if (password && *password == "wrong") return make_error(ErrorKind::kUnauthorized, "wrong");
    return ok_status();
  }
  void on_publish(const ClientIdentity&, const InboundPublish& message,
                  std::function<void(Status)> done) override {
    std::unique_lock lock(mutex_);
    topics_.push_back(message.topic);
    if (defer_) {
      waiting_.push_back(std::move(done));
      changed_.notify_all();
      return;
    }
    Status answer = answer_;
    lock.unlock();
    done(answer);
  }
  bool may_subscribe(const ClientIdentity&, std::string_view filter) override {
    return filter != "forbidden/#";
  }

  void defer() { defer_ = true; }
  void refuse_with(ErrorKind kind) { answer_ = make_error(kind, "refused by test"); }
  // Waits until `count` publishes wait for their done, and takes them.
  std::vector<std::function<void(Status)>> take_waiting(std::size_t count) {
    std::unique_lock lock(mutex_);
    bool arrived =
        changed_.wait_for(lock, std::chrono::seconds(10), [&] { return waiting_.size() >= count; });
    EXPECT_TRUE(arrived);
    auto out = std::move(waiting_);
    waiting_.clear();
    return out;
  }
  std::size_t seen() {
    std::lock_guard lock(mutex_);
    return topics_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool defer_ = false;
  Status answer_;
  std::vector<std::string> topics_;
  std::vector<std::function<void(Status)>> waiting_;
};

class TestClient {
 public:
  TestClient(std::uint16_t port, std::uint8_t version) : version_(version) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval timeout{10, 0};  // a broken broker fails the test instead of hanging it
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  void send_raw(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  void send(const Packet& packet) { send_raw(encode_packet(packet, version_)); }
  // The next packet, or nullopt when the broker closed the connection.
  std::optional<Packet> receive() {
    std::string bytes(1, '\0');
    boost::system::error_code ec;
    if (asio::read(socket_, asio::buffer(bytes), ec) != 1) return std::nullopt;
    FixedHeader header;
    while (parse_fixed_header(bytes, header) == FrameStatus::kIncomplete) {
      char next = 0;
      if (asio::read(socket_, asio::buffer(&next, 1), ec) != 1) return std::nullopt;
      bytes.push_back(next);
    }
    std::string body(header.remaining_length, '\0');
    if (!body.empty() && asio::read(socket_, asio::buffer(body), ec) != body.size()) {
      return std::nullopt;
    }
    auto packet = decode_packet(header.first_byte, body, version_);
    EXPECT_TRUE(packet.ok());
    if (!packet.ok()) return std::nullopt;
    return *packet;
  }
  template <class T>
  T expect() {
    auto packet = receive();
    EXPECT_TRUE(packet && std::holds_alternative<T>(*packet));
    if (!packet || !std::holds_alternative<T>(*packet)) return T{};
    return std::get<T>(*packet);
  }
  Connack connect(const std::string& client_id, bool clean = true,
                  std::optional<std::string> password = std::nullopt) {
    Connect connect;
    connect.protocol_version = version_;
    connect.client_id = client_id;
    connect.clean_start = clean;
    if (password) {
      connect.username = "u";
      connect.password = password;
    }
    send(connect);
    return expect<Connack>();
  }
  void publish(const std::string& topic, const std::string& payload, std::uint8_t qos,
               std::uint16_t id, bool retain = false) {
    Publish publish;
    publish.topic = topic;
    publish.payload = payload;
    publish.qos = qos;
    publish.packet_id = id;
    publish.retain = retain;
    send(publish);
  }
  std::size_t available() { return socket_.available(); }

 private:
  asio::io_context io_;
  tcp::socket socket_{io_};
  std::uint8_t version_;
};

class BrokerTest : public ::testing::Test {
 protected:
  void start(BrokerOptions options = {}, SessionPersistence* journal = nullptr) {
    options.port = 0;
    broker_ = std::make_unique<Broker>(options, hooks_, metrics_, journal);
    ASSERT_TRUE(broker_->start().ok());
  }
  std::uint16_t port() const { return broker_->port(); }

  TestHooks hooks_;
  MetricsRegistry metrics_;
  TestSessionJournal journal_;  // outlives the broker
  std::unique_ptr<Broker> broker_;
};

TEST_F(BrokerTest, PubackOnlyAfterDoneAndInArrivalOrder) {
  hooks_.defer();
  start();
  TestClient client(port(), kMqtt5);
  EXPECT_EQ(client.connect("c1").reason_code, reason::kSuccess);
  client.publish("/k/d/attrs", "1", 1, 1);
  client.publish("/k/d/attrs", "2", 1, 2);
  auto waiting = hooks_.take_waiting(2);
  ASSERT_EQ(waiting.size(), 2u);
  EXPECT_EQ(client.available(), 0u);  // nothing acknowledged yet
  waiting[1](ok_status());            // the second finishes first...
  waiting[0](ok_status());
  auto first = client.expect<PublishResponse>();
  auto second = client.expect<PublishResponse>();
  EXPECT_EQ(first.packet_id, 1);  // ...yet the acknowledgements keep the arrival order
  EXPECT_EQ(second.packet_id, 2);
  EXPECT_EQ(first.type, PacketType::kPuback);
}

// Each tracked closed connection held ~23 KB until 10,000 had closed (the soak's "memory
// rising" with devices reconnecting every minute).
TEST_F(BrokerTest, ForgetsClosedConnections) {
  start();
  for (int i = 0; i < 20; ++i) {
    TestClient client(port(), kMqtt311);
    EXPECT_EQ(client.connect("gone" + std::to_string(i)).reason_code, reason::kSuccess);
  }
  TestClient staying(port(), kMqtt311);
  EXPECT_EQ(staying.connect("staying").reason_code, reason::kSuccess);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (broker_->tracked_connections() > 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(broker_->tracked_connections(), 1u);
}

TEST_F(BrokerTest, PublishRateLimitDelaysButAcknowledgesEverything) {
  BrokerOptions options;
  options.publish_rate_per_s = 20;
  options.publish_burst = 1;
  start(options);
  TestClient client(port(), kMqtt5);
  EXPECT_EQ(client.connect("c1").reason_code, reason::kSuccess);
  for (std::uint16_t id = 1; id <= 4; ++id) client.publish("/k/d/attrs", "1", 1, id);
  for (std::uint16_t id = 1; id <= 4; ++id) {
    auto ack = client.expect<PublishResponse>();  // none refused, none lost, in order
    EXPECT_EQ(ack.packet_id, id);
    EXPECT_EQ(ack.reason_code, reason::kSuccess);
  }
  EXPECT_EQ(hooks_.seen(), 4u);
  // A burst of one: at least three of the four waited for a token.
  auto metrics = metrics_.render();
  const std::string sample = "\ncitytwin_mqtt_connection_rate_limited ";
  auto at = metrics.find(sample);
  ASSERT_NE(at, std::string::npos);
  EXPECT_GE(std::stod(metrics.substr(at + sample.size())), 3.0);
}

// Waits (bounded) until `ready` holds; the broker works on its own threads.
template <class Predicate>
bool eventually(Predicate ready) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// CONNECT without waiting for CONNACK; `clean` false asks for a persistent session (MQTT 5:
// with a Session Expiry Interval).
void send_connect(TestClient& client, std::uint8_t version, const std::string& client_id,
                  bool clean) {
  Connect connect;
  connect.protocol_version = version;
  connect.client_id = client_id;
  connect.clean_start = clean;
  if (version == kMqtt5 && !clean) connect.properties.session_expiry_interval = 3600;
  client.send(connect);
}

// A persistent session subscribed to `filter`, its client gone.
void leave_subscribed(std::uint16_t port, std::uint8_t version, const std::string& client_id,
                      const std::string& filter) {
  TestClient client(port, version);
  send_connect(client, version, client_id, /*clean=*/false);
  EXPECT_EQ(client.expect<Connack>().reason_code, reason::kSuccess);
  client.send(Subscribe{1, {}, {SubscriptionRequest{filter, 1}}});
  client.expect<Suback>();
  client.send(Disconnect{});
}

// A copy of the journal taken while the first broker still runs is what kill -9 leaves.
TEST_F(BrokerTest, PersistentSessionSurvivesACrash) {
  start({}, &journal_);
  leave_subscribed(port(), kMqtt311, "device", "cmd/#");
  bool queued = false;
  ASSERT_TRUE(
      broker_->publish("cmd/a", "before", 1, false, [&](Status s) { queued = s.ok(); }).ok());
  EXPECT_TRUE(queued);
  TestSessionJournal on_disk(journal_);
  BrokerOptions options;
  options.port = 0;
  Broker second(options, hooks_, metrics_, &on_disk);
  ASSERT_TRUE(second.start().ok());
  ASSERT_TRUE(second.publish("cmd/b", "after", 1, false).ok());  // the subscription is back
  TestClient client(second.port(), kMqtt311);
  EXPECT_TRUE(client.connect("device", /*clean=*/false).session_present);
  auto first_message = client.expect<Publish>();
  auto second_message = client.expect<Publish>();
  EXPECT_EQ(first_message.payload, "before");
  EXPECT_EQ(second_message.payload, "after");
  EXPECT_EQ(on_disk.messages("device"), 2u);
  client.send(PublishResponse{PacketType::kPuback, first_message.packet_id, 0, {}});
  client.send(PublishResponse{PacketType::kPuback, second_message.packet_id, 0, {}});
  EXPECT_TRUE(eventually([&] { return on_disk.messages("device") == 0; }));
}

TEST_F(BrokerTest, ConnackAndSubackWaitForTheJournal) {
  start({}, &journal_);
  TestClient client(port(), kMqtt311);
  journal_.hold();
  send_connect(client, kMqtt311, "device", /*clean=*/false);
  // Sent right behind CONNECT: not read until CONNACK has gone.
  client.send(Subscribe{1, {}, {SubscriptionRequest{"cmd/#", 1}}});
  ASSERT_TRUE(eventually([&] { return journal_.held() == 1; }));
  EXPECT_EQ(journal_.sessions(), 1u);
  EXPECT_EQ(client.available(), 0u);
  journal_.release();
  EXPECT_FALSE(client.expect<Connack>().session_present);
  ASSERT_TRUE(eventually([&] { return journal_.held() == 1; }));  // the SUBSCRIBE's write
  EXPECT_EQ(client.available(), 0u);
  journal_.release();
  EXPECT_EQ(client.expect<Suback>().reason_codes, std::vector<std::uint8_t>{1});
}

TEST_F(BrokerTest, PubackWaitsUntilQueuedForAPersistentSubscriber) {
  start({}, &journal_);
  leave_subscribed(port(), kMqtt5, "sub", "data/#");
  TestClient publisher(port(), kMqtt5);
  publisher.connect("pub");
  journal_.hold();
  publisher.publish("data/1", "one", 1, 7);
  publisher.publish("other", "two", 1, 8);  // no subscriber, yet acknowledged in order
  ASSERT_TRUE(eventually([&] { return journal_.held() == 1; }));
  EXPECT_EQ(journal_.messages("sub"), 1u);
  EXPECT_EQ(publisher.available(), 0u);
  journal_.release();
  EXPECT_EQ(publisher.expect<PublishResponse>().packet_id, 7);
  EXPECT_EQ(publisher.expect<PublishResponse>().packet_id, 8);
}

TEST_F(BrokerTest, AFailedJournalWriteRefusesTheAcknowledgement) {
  start({}, &journal_);
  TestClient client(port(), kMqtt5);
  client.connect("device", /*clean=*/true);
  journal_.hold();
  client.send(Subscribe{1, {}, {SubscriptionRequest{"cmd/#", 1}}});
  // A clean session writes nothing and waits for nothing.
  EXPECT_EQ(client.expect<Suback>().reason_codes, std::vector<std::uint8_t>{1});
  EXPECT_EQ(journal_.waits(), 0u);
  EXPECT_EQ(journal_.sessions(), 0u);
  TestClient persistent(port(), kMqtt311);
  send_connect(persistent, kMqtt311, "kept", /*clean=*/false);
  ASSERT_TRUE(eventually([&] { return journal_.held() == 1; }));
  journal_.release(make_error(ErrorKind::kServiceUnavailable, "disk full"));
  EXPECT_EQ(persistent.expect<Connack>().reason_code, 3);  // server unavailable
}

TEST_F(BrokerTest, ACleanStartErasesThePersistentSession) {
  start({}, &journal_);
  leave_subscribed(port(), kMqtt311, "device", "cmd/#");
  ASSERT_TRUE(broker_->publish("cmd/a", "x", 1, false).ok());
  EXPECT_EQ(journal_.messages("device"), 1u);
  TestClient client(port(), kMqtt311);
  EXPECT_FALSE(client.connect("device", /*clean=*/true).session_present);
  EXPECT_EQ(journal_.sessions(), 0u);
  EXPECT_EQ(journal_.messages("device"), 0u);
}

TEST_F(BrokerTest, StopsReadingWhilePublishesWait) {
  hooks_.defer();
  BrokerOptions options;
  options.max_inflight = 2;
  start(options);
  TestClient client(port(), kMqtt311);
  client.connect("c1");
  for (std::uint16_t id = 1; id <= 5; ++id) client.publish("t", "x", 1, id);
  auto first = hooks_.take_waiting(2);
  EXPECT_EQ(hooks_.seen(), 2u);  // the other three stay unread in the socket
  for (auto& done : first) done(ok_status());
  auto next = hooks_.take_waiting(2);
  for (auto& done : next) done(ok_status());
  auto last = hooks_.take_waiting(1);
  for (auto& done : last) done(ok_status());
  for (std::uint16_t id = 1; id <= 5; ++id)
    EXPECT_EQ(client.expect<PublishResponse>().packet_id, id);
}

TEST_F(BrokerTest, RefusedPublishGetsAReasonCodeInMqtt5) {
  hooks_.refuse_with(ErrorKind::kForbidden);
  start();
  TestClient client(port(), kMqtt5);
  client.connect("c1");
  client.publish("t", "x", 1, 9);
  auto puback = client.expect<PublishResponse>();
  EXPECT_EQ(puback.packet_id, 9);
  EXPECT_EQ(puback.reason_code, reason::kNotAuthorized);
  EXPECT_EQ(puback.properties.reason_string, "refused by test");
  client.publish("t", "x", 2, 10);
  auto pubrec = client.expect<PublishResponse>();
  EXPECT_EQ(pubrec.type, PacketType::kPubrec);
  EXPECT_EQ(pubrec.reason_code, reason::kNotAuthorized);
  client.send(Pingreq{});
  client.expect<Pingresp>();  // still connected
}

TEST_F(BrokerTest, RefusedPublishClosesAn311Connection) {
  hooks_.refuse_with(ErrorKind::kBadRequestData);
  start();
  TestClient client(port(), kMqtt311);
  client.connect("c1");
  client.publish("t", "x", 1, 9);
  EXPECT_EQ(client.receive(), std::nullopt);
}

TEST_F(BrokerTest, RefusedCredentials) {
  start();
  TestClient v5(port(), kMqtt5);
  auto refused = v5.connect("c1", true, "wrong");
  EXPECT_EQ(refused.reason_code, reason::kBadUserNameOrPassword);
  EXPECT_EQ(refused.properties.reason_string, "wrong");
  EXPECT_EQ(v5.receive(), std::nullopt);
  TestClient v311(port(), kMqtt311);
  EXPECT_EQ(v311.connect("c2", true, "wrong").reason_code, 4);
}

TEST_F(BrokerTest, ForwardsWithQosDowngradeAndRetained) {
  start();
  TestClient publisher(port(), kMqtt5);
  publisher.connect("pub");
  publisher.publish("a/b", "kept", 1, 1, true);
  publisher.expect<PublishResponse>();

  TestClient subscriber(port(), kMqtt311);
  subscriber.connect("sub");
  subscriber.send(
      Subscribe{3, {}, {{"a/+", 0, false, false, 0}, {"forbidden/#", 1, false, false, 0}}});
  auto suback = subscriber.expect<Suback>();
  EXPECT_EQ(suback.reason_codes, (std::vector<std::uint8_t>{0, 0x80}));
  auto retained = subscriber.expect<Publish>();
  EXPECT_TRUE(retained.retain);
  EXPECT_EQ(retained.payload, "kept");
  publisher.publish("a/c", "live", 2, 2);
  EXPECT_EQ(publisher.expect<PublishResponse>().type, PacketType::kPubrec);
  publisher.send(PublishResponse{PacketType::kPubrel, 2, 0, {}});
  EXPECT_EQ(publisher.expect<PublishResponse>().type, PacketType::kPubcomp);
  auto live = subscriber.expect<Publish>();
  EXPECT_EQ(live.topic, "a/c");
  EXPECT_EQ(live.qos, 0);  // downgraded to the subscription's QoS
  EXPECT_FALSE(live.retain);
}

TEST_F(BrokerTest, PersistentSessionGetsWhatWasSentWhileOffline) {
  start();
  {
    TestClient device(port(), kMqtt311);
    device.connect("dev", false);
    device.send(Subscribe{1, {}, {{"/k/dev/cmd", 1, false, false, 0}}});
    device.expect<Suback>();
    device.send(Disconnect{});
  }
  // The session outlives the connection; wait until the broker has seen it go.
  Status published = broker_->publish("/k/dev/cmd", "reboot", 1, false);
  ASSERT_TRUE(published.ok());
  TestClient device(port(), kMqtt311);
  auto connack = device.connect("dev", false);
  EXPECT_TRUE(connack.session_present);
  auto command = device.expect<Publish>();
  EXPECT_EQ(command.payload, "reboot");
  EXPECT_EQ(command.qos, 1);
  device.send(PublishResponse{PacketType::kPuback, command.packet_id, 0, {}});
}

TEST_F(BrokerTest, OversizedPacketClosesTheConnection) {
  BrokerOptions options;
  options.max_packet_bytes = 64;
  start(options);
  TestClient client(port(), kMqtt5);
  client.connect("c1");
  client.publish("t", std::string(100, 'x'), 0, 0);
  auto disconnect = client.expect<Disconnect>();
  EXPECT_EQ(disconnect.reason_code, reason::kPacketTooLarge);
  EXPECT_EQ(disconnect.properties.reason_string, "packet of 106 bytes over the limit of 64");
  EXPECT_EQ(client.receive(), std::nullopt);
  EXPECT_NE(metrics_.render().find("citytwin_mqtt_rejected{cause=\"packet_too_large\"} 1"),
            std::string::npos);
}

TEST_F(BrokerTest, FirstPacketMustBeConnect) {
  start();
  TestClient client(port(), kMqtt311);
  client.send(Pingreq{});
  EXPECT_EQ(client.receive(), std::nullopt);
}

TEST_F(BrokerTest, TopicAliasIsResolvedInbound) {
  start();
  TestClient subscriber(port(), kMqtt5);
  subscriber.connect("sub");
  subscriber.send(Subscribe{1, {}, {{"x/y", 0, false, false, 0}}});
  subscriber.expect<Suback>();
  TestClient publisher(port(), kMqtt5);
  publisher.connect("pub");
  Publish first;
  first.topic = "x/y";
  first.payload = "1";
  first.properties.topic_alias = 2;
  publisher.send(first);
  Publish second;
  second.payload = "2";
  second.properties.topic_alias = 2;
  publisher.send(second);
  EXPECT_EQ(subscriber.expect<Publish>().payload, "1");
  auto aliased = subscriber.expect<Publish>();
  EXPECT_EQ(aliased.topic, "x/y");
  EXPECT_EQ(aliased.payload, "2");
}

// MQTT 5 Will Delay Interval: the will waits, and is dropped when the client comes back.
TEST_F(BrokerTest, DelayedWillIsSentLaterOrNotAtAll) {
  start();
  TestClient watcher(port(), kMqtt5);
  watcher.connect("watcher");
  watcher.send(Subscribe{1, {}, {{"status/#", 0, false, false, 0}}});
  watcher.expect<Suback>();
  auto connect_with_will = [&](TestClient& client, const std::string& id, std::uint32_t delay) {
    Connect connect;
    connect.client_id = id;
    connect.clean_start = false;
    connect.properties.session_expiry_interval = 60;
    Will will;
    will.topic = "status/" + id;
    will.payload = "gone";
    will.properties.will_delay_interval = delay;
    connect.will = will;
    client.send(connect);
    return client.expect<Connack>();
  };
  {
    TestClient returning(port(), kMqtt5);
    connect_with_will(returning, "returning", 3600);
  }  // closed without DISCONNECT: its will waits an hour
  TestClient back(port(), kMqtt5);
  EXPECT_TRUE(connect_with_will(back, "returning", 3600).session_present);
  {
    TestClient leaving(port(), kMqtt5);
    connect_with_will(leaving, "leaving", 1);
  }
  auto will = watcher.expect<Publish>();  // after about a second; "returning" never comes
  EXPECT_EQ(will.topic, "status/leaving");
}

TEST_F(BrokerTest, RoutesAcrossEventLoops) {
  BrokerOptions options;
  options.threads = 4;  // connections land on different loops
  start(options);
  std::vector<std::unique_ptr<TestClient>> subscribers;
  for (int i = 0; i < 4; ++i) {
    subscribers.push_back(std::make_unique<TestClient>(port(), kMqtt5));
    subscribers.back()->connect("sub" + std::to_string(i));
    subscribers.back()->send(Subscribe{1, {}, {{"loop/#", 1, false, false, 0}}});
    subscribers.back()->expect<Suback>();
  }
  std::vector<std::unique_ptr<TestClient>> publishers;
  for (int i = 0; i < 3; ++i) {
    publishers.push_back(std::make_unique<TestClient>(port(), kMqtt311));
    publishers.back()->connect("pub" + std::to_string(i));
  }
  constexpr int kEach = 50;
  for (int n = 0; n < kEach; ++n) {
    for (std::size_t p = 0; p < publishers.size(); ++p) {
      publishers[p]->publish("loop/" + std::to_string(p), std::to_string(n), 1,
                             static_cast<std::uint16_t>(n + 1));
    }
  }
  for (auto& publisher : publishers) {
    for (int n = 0; n < kEach; ++n) publisher->expect<PublishResponse>();
  }
  for (auto& subscriber : subscribers) {
    std::map<std::string, int> next;  // per publisher topic, messages arrive in order
    for (int k = 0; k < kEach * 3; ++k) {
      auto message = subscriber->expect<Publish>();
      EXPECT_EQ(message.payload, std::to_string(next[message.topic]++));
      subscriber->send(PublishResponse{PacketType::kPuback, message.packet_id, 0, {}});
    }
  }
}

}  // namespace
}  // namespace citytwin::mqtt
