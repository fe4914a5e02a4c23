#include "mqtt_topic.hpp"

#include <gtest/gtest.h>

namespace citytwin::server {
namespace {

using ingest::PayloadFormat;

TEST(MqttTopic, DeviceTopicsOfTheIotAgentConventions) {
  auto plain = parse_device_topic("/key1/dev1/attrs");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->kind, DeviceTopic::Kind::kMeasures);
  EXPECT_EQ(plain->apikey, "key1");
  EXPECT_EQ(plain->device_id, "dev1");
  EXPECT_TRUE(plain->object_id.empty());
  EXPECT_FALSE(plain->format);

  auto one = parse_device_topic("json/key1/dev1/attrs/t");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->format, PayloadFormat::kJson);
  EXPECT_EQ(one->object_id, "t");

  auto ul = parse_device_topic("/ul/key1/dev1/attrs");
  ASSERT_TRUE(ul);
  EXPECT_EQ(ul->format, PayloadFormat::kUltraLight);
  EXPECT_EQ(ul->apikey, "key1");

  auto result = parse_device_topic("/key1/dev1/cmdexe");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->kind, DeviceTopic::Kind::kCommandResult);
}

TEST(MqttTopic, OtherTopicsAreNotDeviceTopics) {
  for (const char* topic :
       {"", "/", "a/b", "key/dev/data", "key/dev/attrs/t/more", "//dev/attrs", "/key//attrs",
        "key/dev/attrs/", "json/key/dev", "key/dev/cmd", "json/key/dev/cmdexe/x"}) {
    EXPECT_FALSE(parse_device_topic(topic)) << topic;
  }
}

TEST(MqttTopic, TheAuditPathLeavesTheApikeyOut) {
  EXPECT_EQ(audit_path(*parse_device_topic("/secret/dev1/attrs")), "/{apikey}/dev1/attrs");
  EXPECT_EQ(audit_path(*parse_device_topic("json/secret/dev1/attrs/t")),
            "/json/{apikey}/dev1/attrs/t");
  EXPECT_EQ(audit_path(*parse_device_topic("/ul/secret/dev1/cmdexe")), "/ul/{apikey}/dev1/cmdexe");
}

TEST(MqttTopic, UnprefixedPayloadsAreJsonWhenTheyLookLikeIt) {
  DeviceTopic topic;
  EXPECT_EQ(payload_format(topic, R"({"t": 1})"), PayloadFormat::kJson);
  EXPECT_EQ(payload_format(topic, " [1]"), PayloadFormat::kJson);
  EXPECT_EQ(payload_format(topic, "t|1"), PayloadFormat::kUltraLight);
  EXPECT_EQ(payload_format(topic, "23.5"), PayloadFormat::kUltraLight);
  topic.format = PayloadFormat::kJson;
  EXPECT_EQ(payload_format(topic, "23.5"), PayloadFormat::kJson);
}

TEST(TopicAllowed, DeviceCredentialCoversOnlyItsOwnTopics) {
  security::DeviceCredential device{"u", "", "key1", "dev1", {}};
  EXPECT_TRUE(topic_allowed(device, "/key1/dev1/attrs", false));
  EXPECT_TRUE(topic_allowed(device, "key1/dev1/attrs/t", false));
  EXPECT_TRUE(topic_allowed(device, "/json/key1/dev1/attrs", false));
  EXPECT_TRUE(topic_allowed(device, "ul/key1/dev1/cmdexe", false));
  EXPECT_TRUE(topic_allowed(device, "/key1/dev1/cmd", true));
  EXPECT_TRUE(topic_allowed(device, "/key1/dev1/#", true));
  EXPECT_FALSE(topic_allowed(device, "/key1/dev2/attrs", false));
  EXPECT_FALSE(topic_allowed(device, "/key2/dev1/attrs", false));
  EXPECT_FALSE(topic_allowed(device, "/key1/+/cmd", true));
  EXPECT_FALSE(topic_allowed(device, "#", true));
  EXPECT_FALSE(topic_allowed(device, "other/topic", false));
}

TEST(TopicAllowed, GroupCredentialCoversEveryDeviceOfItsApikey) {
  security::DeviceCredential group{"u", "", "key1", "", {}};
  EXPECT_TRUE(topic_allowed(group, "/key1/dev1/attrs", false));
  EXPECT_TRUE(topic_allowed(group, "/key1/dev9/attrs", false));
  EXPECT_TRUE(topic_allowed(group, "/key1/+/cmd", true));
  EXPECT_FALSE(topic_allowed(group, "/key1/#", true));
  EXPECT_FALSE(topic_allowed(group, "/key2/dev1/attrs", false));
}

}  // namespace
}  // namespace citytwin::server
