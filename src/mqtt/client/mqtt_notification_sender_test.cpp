// The MQTT notifier without a broker: the message layout (clause 7.2) and the connection
// backoff. Delivery through a real broker is tested black-box (tests/api/test_52_*).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "citytwin/mqtt/mqtt_notification_sender.hpp"

namespace citytwin::mqtt {
namespace {

// A loopback port nobody listens on (bound, then released).
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST(MqttNotificationPayload, HeadersBecomeMetadataAndTheNotificationTheBody) {
  core::OutgoingNotification notification;
  notification.endpoint =
      core::make_endpoint("mqtt://h/t", {{"Content-Type", "application/json"}, {"X-Key", "v"}});
  notification.body = R"({"id":"urn:n:1","type":"Notification","data":[]})";
  auto parsed = boost::json::parse(mqtt_notification_payload(notification)).as_object();
  EXPECT_EQ(parsed.at("metadata").at("Content-Type"), "application/json");
  EXPECT_EQ(parsed.at("metadata").at("X-Key"), "v");
  EXPECT_EQ(parsed.at("body").at("type"), "Notification");
}

// The metadata is written as text: a header name given twice keeps its first place and its
// last value (as a JSON object built member by member), and values are escaped.
TEST(MqttNotificationSender, PayloadMetadataKeepsTheLastValueOfARepeatedName) {
  core::OutgoingNotification notification;
  notification.endpoint = core::make_endpoint("mqtt://h/t", {{"Content-Type", "application/json"},
                                                             {"X-Key", "first"},
                                                             {"X-Quote", "a\"b\\c"},
                                                             {"X-Key", "last"}});
  notification.body = R"({"id":"urn:n:1"})";
  std::string payload = mqtt_notification_payload(notification);
  EXPECT_EQ(payload,
            R"({"metadata":{"Content-Type":"application/json","X-Key":"last","X-Quote":"a\"b\\c"},)"
            R"("body":{"id":"urn:n:1"}})");
  EXPECT_EQ(boost::json::parse(payload).at("metadata").at("X-Quote"), "a\"b\\c");
}

// Routes are cached per URI and notifierInfo: asking again gives the same lane, another
// protocol version another lane, and what does not parse no lane (send() says why).
TEST(MqttNotificationSender, LanesFollowTheEndpointAndNotifierInfo) {
  MqttNotificationSender sender;
  core::OutgoingNotification notification;
  notification.endpoint = core::make_endpoint("mqtt://127.0.0.1:1883/city/a");
  std::string v5 = sender.lane(notification);
  EXPECT_FALSE(v5.empty());
  EXPECT_EQ(sender.lane(notification), v5);
  notification.endpoint =
      core::make_endpoint("mqtt://127.0.0.1:1883/city/b");  // another topic, the same connection
  EXPECT_EQ(sender.lane(notification), v5);
  notification.endpoint =
      core::make_endpoint("mqtt://127.0.0.1:1883/city/b", {}, {{"MQTT-Version", "mqtt3.1.1"}});
  std::string v311 = sender.lane(notification);
  EXPECT_FALSE(v311.empty());
  EXPECT_NE(v311, v5);
  notification.endpoint =
      core::make_endpoint("mqtt://127.0.0.1:1883/city/b", {}, {{"MQTT-Version", "mqtt9"}});
  EXPECT_TRUE(sender.lane(notification).empty());
  EXPECT_FALSE(sender.send(notification).ok());
  notification.endpoint = core::make_endpoint("mqtt://127.0.0.1:1883/city/#");
  EXPECT_TRUE(sender.lane(notification).empty());
}

// Prepared per endpoint object (a subscription's notifications share one): the same object,
// an equal one and one with other headers all go on the connection of their URI.
TEST(MqttNotificationSender, LanesAreTheSameForSharedAndEqualEndpoints) {
  MqttNotificationSender sender;
  core::OutgoingNotification shared;
  shared.endpoint =
      core::make_endpoint("mqtt://127.0.0.1:1883/city/a", {{"Content-Type", "application/json"}});
  std::string lane = sender.lane(shared);
  EXPECT_FALSE(lane.empty());
  EXPECT_EQ(sender.lane(shared), lane);
  core::OutgoingNotification equal;
  equal.endpoint =
      core::make_endpoint("mqtt://127.0.0.1:1883/city/a", {{"Content-Type", "application/json"}});
  EXPECT_EQ(sender.lane(equal), lane);
  core::OutgoingNotification other_headers;
  other_headers.endpoint = core::make_endpoint("mqtt://127.0.0.1:1883/city/a",
                                               {{"Content-Type", "application/ld+json"}});
  EXPECT_EQ(sender.lane(other_headers), lane);
}

TEST(MqttNotificationSender, UnreachableBrokerFailsThenBacksOff) {
  MqttNotificationSenderOptions options;
  options.timeout = std::chrono::milliseconds(2000);
  options.reconnect_initial = std::chrono::milliseconds(60000);
  MqttNotificationSender sender(options);
  core::OutgoingNotification notification;
  notification.endpoint =
      core::make_endpoint("mqtt://127.0.0.1:" + std::to_string(closed_port()) + "/city");
  notification.body = "{}";
  auto first = sender.send(notification);
  ASSERT_FALSE(first.ok());
  EXPECT_NE(first.error().detail.find("127.0.0.1"), std::string::npos) << first.error().detail;
  auto second = sender.send(notification);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().detail.find("next connection attempt"), std::string::npos)
      << second.error().detail;
  EXPECT_EQ(sender.connection_count(), 1u);
}

TEST(MqttNotificationSender, RefusesMalformedEndpointsWithoutConnecting) {
  MqttNotificationSender sender;
  core::OutgoingNotification notification;
  notification.endpoint = core::make_endpoint("mqtt://127.0.0.1:1/a/#");
  EXPECT_FALSE(sender.send(notification).ok());
  notification.endpoint = core::make_endpoint("mqtt://127.0.0.1:1/a", {}, {{"MQTT-QoS", "7"}});
  EXPECT_FALSE(sender.send(notification).ok());
  EXPECT_EQ(sender.connection_count(), 0u);
}

}  // namespace
}  // namespace citytwin::mqtt
