// MQTT notification endpoints (GS CIM 009 V1.8.1 clause 7.2) and the scheme routing.
#include <gtest/gtest.h>

#include "citytwin/core/mqtt_endpoint.hpp"
#include "citytwin/core/notification_router.hpp"

namespace citytwin::core {
namespace {

TEST(MqttEndpoint, ParsesHostPortTopicAndCredentials) {
  auto endpoint = parse_mqtt_endpoint("mqtt://alice:s%40cret@broker.example:1884/city/alerts");
  ASSERT_TRUE(endpoint.ok()) << endpoint.error().detail;
  EXPECT_FALSE(endpoint->tls);
  EXPECT_EQ(endpoint->host, "broker.example");
  EXPECT_EQ(endpoint->port, 1884);
  EXPECT_EQ(endpoint->topic, "city/alerts");
  EXPECT_EQ(endpoint->username, "alice");
  EXPECT_EQ(endpoint->password, "s@cret");
}

TEST(MqttEndpoint, DefaultPortsFollowTheScheme) {
  auto plain = parse_mqtt_endpoint("mqtt://127.0.0.1/t");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 1883);
  EXPECT_FALSE(plain->username);
  auto secure = parse_mqtt_endpoint("MQTTS://[::1]/a%20b/c");
  ASSERT_TRUE(secure.ok()) << secure.error().detail;
  EXPECT_TRUE(secure->tls);
  EXPECT_EQ(secure->port, 8883);
  EXPECT_EQ(secure->host, "::1");
  EXPECT_EQ(secure->topic, "a b/c");
}

TEST(MqttEndpoint, UserWithoutPassword) {
  auto endpoint = parse_mqtt_endpoint("mqtt://bob@h:1/t");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->username, "bob");
  EXPECT_FALSE(endpoint->password);
}

TEST(MqttEndpoint, RefusesMalformedUris) {
  for (const char* uri :
       {"http://h/t", "mqtt://h", "mqtt://h/", "mqtt:///t", "mqtt://h:0/t", "mqtt://h:65536/t",
        "mqtt://h:/t", "mqtt://h:x/t", "mqtt://h/a/+/b", "mqtt://h/a/#", "mqtt://h/a%23",
        "mqtt://h/t?x=1", "mqtt://h/a b", "mqtt://[::1/t", "mqtt://h:1:2/t", "mqtt://h/%zz"}) {
    auto endpoint = parse_mqtt_endpoint(uri);
    ASSERT_FALSE(endpoint.ok()) << uri;
    EXPECT_EQ(endpoint.error().kind, ErrorKind::kBadRequestData) << uri;
  }
}

TEST(MqttEndpoint, NotifierInfoDefaultsAndValues) {
  auto defaults = parse_mqtt_notifier_info({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->qos, 0);
  EXPECT_EQ(defaults->version, MqttVersion::kV5);
  auto given =
      parse_mqtt_notifier_info({{"MQTT-QoS", "2"}, {"MQTT-Version", "mqtt3.1.1"}, {"x", "y"}});
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->qos, 2);
  EXPECT_EQ(given->version, MqttVersion::kV311);
  EXPECT_FALSE(parse_mqtt_notifier_info({{"MQTT-QoS", "3"}}).ok());
  EXPECT_FALSE(parse_mqtt_notifier_info({{"MQTT-QoS", ""}}).ok());
  EXPECT_FALSE(parse_mqtt_notifier_info({{"MQTT-Version", "mqtt4"}}).ok());
}

class RecordingSender final : public NotificationSender {
 public:
  Status send(const OutgoingNotification& notification) override {
    uris.push_back(notification.uri());
    return ok_status();
  }
  std::vector<std::string> uris;
};

TEST(NotificationRouter, RoutesBySchemeAndRefusesOthers) {
  RecordingSender http;
  RecordingSender mqtt;
  NotificationRouter router;
  router.route("http", http);
  router.route("mqtt", mqtt);
  OutgoingNotification notification;
  notification.endpoint = make_endpoint("HTTP://h/x");
  EXPECT_TRUE(router.send(notification).ok());
  notification.endpoint = make_endpoint("mqtt://h/t");
  EXPECT_TRUE(router.send(notification).ok());
  notification.endpoint = make_endpoint("ftp://h/t");
  EXPECT_FALSE(router.send(notification).ok());
  EXPECT_EQ(http.uris, std::vector<std::string>{"HTTP://h/x"});
  EXPECT_EQ(mqtt.uris, std::vector<std::string>{"mqtt://h/t"});
}

}  // namespace
}  // namespace citytwin::core
