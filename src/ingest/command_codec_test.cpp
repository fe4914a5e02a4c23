#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "citytwin/ingest/command.hpp"

namespace citytwin::ingest {
namespace {

DeviceCommand command(PayloadFormat format, boost::json::value value) {
  DeviceCommand out;
  out.device.device_id = "lamp1";
  out.device.format = format;
  out.name = "dim";
  out.value = std::move(value);
  return out;
}

TEST(CommandCodecTest, EncodesJsonAndUltraLight) {
  EXPECT_EQ(encode_command(command(PayloadFormat::kJson, boost::json::parse(R"({"level": 4})"))),
            R"({"dim":{"level":4}})");
  EXPECT_EQ(encode_command(command(PayloadFormat::kUltraLight, "40")), "lamp1@dim|40");
  EXPECT_EQ(encode_command(command(PayloadFormat::kUltraLight, 40)), "lamp1@dim|40");
  EXPECT_EQ(encode_command(command(PayloadFormat::kUltraLight,
                                   boost::json::parse(R"({"level": 4, "fade": "on"})"))),
            "lamp1@dim|level=4|fade=on");
  std::vector<DeviceCommand> both = {command(PayloadFormat::kUltraLight, 1),
                                     command(PayloadFormat::kUltraLight, 2)};
  both[1].name = "blink";
  EXPECT_EQ(encode_commands(both, PayloadFormat::kUltraLight), "lamp1@dim|1#lamp1@blink|2");
  EXPECT_EQ(encode_commands(both, PayloadFormat::kJson), R"({"dim":1,"blink":2})");
  EXPECT_EQ(encode_commands({}, PayloadFormat::kJson), "{}");
}

TEST(CommandCodecTest, DecodesResults) {
  auto json = decode_command_results(R"({"dim": "done", "blink": {"n": 2}})", PayloadFormat::kJson,
                                     "lamp1");
  ASSERT_TRUE(json.ok()) << json.error().detail;
  ASSERT_EQ(json->size(), 2u);
  EXPECT_EQ((*json)[0].first, "dim");
  EXPECT_EQ((*json)[0].second, "done");
  auto ul = decode_command_results("lamp1@dim|dimmed to 4#lamp1@blink|3",
                                   PayloadFormat::kUltraLight, "lamp1");
  ASSERT_TRUE(ul.ok()) << ul.error().detail;
  ASSERT_EQ(ul->size(), 2u);
  EXPECT_EQ((*ul)[0].second, "dimmed to 4");
  EXPECT_EQ((*ul)[1].second, 3);
}

TEST(CommandCodecTest, RejectsMalformedResults) {
  for (const char* payload : {"", "[1]", "{", "{}", R"({"": 1})", "42"}) {
    EXPECT_FALSE(decode_command_results(payload, PayloadFormat::kJson, "lamp1").ok()) << payload;
  }
  for (const char* payload :
       {"", "lamp1", "lamp1@dim", "other@dim|x", "lamp1@|x", "dim|x@y", "lamp1@dim|x#"}) {
    EXPECT_FALSE(decode_command_results(payload, PayloadFormat::kUltraLight, "lamp1").ok())
        << payload;
  }
}

TEST(CommandCodecTest, PersistedFormRoundTrips) {
  DeviceCommand original = command(PayloadFormat::kUltraLight, boost::json::parse(R"({"a": 1})"));
  original.device.scope = ServiceScope{"city", "/lights"};
  original.device.apikey = "k";
  original.device.transport = "MQTT";
  original.device.entity_id = "urn:ngsi-ld:Streetlight:lamp1";
  original.status = "PENDING";
  original.issued_at = *parse_date_time("2026-12-05T10:00:00Z");
  original.expires_at = *parse_date_time("2026-12-05T11:00:00Z");
  original.mqtt = CommandMqtt{2, true};
  auto back = command_from_json(command_to_json(original));
  ASSERT_TRUE(back.ok()) << back.error().detail;
  EXPECT_EQ(back->device.scope.tenant, "city");
  EXPECT_EQ(back->device.scope.servicepath, "/lights");
  EXPECT_EQ(back->device.format, PayloadFormat::kUltraLight);
  EXPECT_EQ(back->device.entity_id, original.device.entity_id);
  EXPECT_EQ(back->value, original.value);
  EXPECT_EQ(back->expires_at, original.expires_at);
  EXPECT_EQ(back->mqtt.qos, 2);
  EXPECT_TRUE(back->mqtt.retain);
  auto broken = command_to_json(original);
  broken.erase("device_id");
  EXPECT_FALSE(command_from_json(broken).ok());
}

TEST(CommandCodecTest, ProvisionedMqttOptionsAreCheckedAndKept) {
  auto parse = [](std::string_view mqtt) {
    std::string json = R"({"device_id": "d", "commands": [{"name": "c", "type": "command",
                           "mqtt": )" +
                       std::string(mqtt) + "}]}";
    return parse_device(boost::json::parse(json).as_object(), ServiceScope{});
  };
  auto device = parse(R"({"qos": 0, "retain": true})");
  ASSERT_TRUE(device.ok()) << device.error().detail;
  ASSERT_TRUE(device->mapping.commands.at(0).command_mqtt.has_value());
  EXPECT_EQ(device->mapping.commands.at(0).command_mqtt->qos, 0);
  auto again = parse_device(device_to_json(*device), ServiceScope{});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->mapping.commands.at(0).command_mqtt->retain);
  for (const char* bad :
       {R"({"qos": 3})", R"({"qos": "1"})", R"({"retain": 1})", R"({"x": 1})", "[]"}) {
    EXPECT_FALSE(parse(bad).ok()) << bad;
  }
}

TEST(CommandCodecTest, KeysSeparateTheirParts) {
  EXPECT_NE(command_key({"a", "/"}, "b", "c"), command_key({"a", "/b"}, "", "c"));
  EXPECT_TRUE(
      command_key({"t", "/p"}, "dev", "cmd").starts_with(command_key({"t", "/p"}, "dev", "")));
}

}  // namespace
}  // namespace citytwin::ingest
