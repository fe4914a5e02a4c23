#include "citytwin/ingest/provisioning.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace citytwin::ingest {
namespace {

boost::json::object json(std::string_view text) {
  return boost::json::parse(text).as_object();
}

TEST(ProvisioningTest, ServiceGroupRoundTrips) {
  auto group = parse_service_group(json(R"({
      "apikey": "k1", "resource": "/iot/d", "entity_type": "Room", "cbroker": "http://orion",
      "autoprovision": false, "explicitAttrs": true, "entityNameExp": "'room-' + id",
      "attributes": [{"object_id": "t", "name": "temperature", "type": "Number",
                      "expression": "t * 10", "metadata": {"unitCode": {"type": "Text", "value": "CEL"}}}],
      "commands": [{"name": "ping", "type": "command"}],
      "static_attributes": [{"name": "floor", "type": "Number", "value": 3}]})"),
                                   ServiceScope{"city", "/b1"});
  ASSERT_TRUE(group.ok()) << group.error().detail;
  EXPECT_EQ(group->apikey, "k1");
  EXPECT_FALSE(group->autoprovision);
  EXPECT_EQ(group->mapping.explicit_attrs, true);
  ASSERT_EQ(group->mapping.attributes.size(), 1u);
  EXPECT_EQ(group->mapping.attributes[0].field(), "t");
  EXPECT_EQ(group->mapping.commands.size(), 1u);
  auto again = parse_service_group(group_to_json(*group), group->scope);
  ASSERT_TRUE(again.ok()) << again.error().detail;
  EXPECT_EQ(group_to_json(*again), group_to_json(*group));
  EXPECT_EQ(group_to_json(*group).at("service"), "city");
}

TEST(ProvisioningTest, DeviceRoundTripsWithMultiEntityAttributes) {
  auto device = parse_device(json(R"({
      "device_id": "meter12", "entity_name": "urn:ngsi-ld:Meter:12", "entity_type": "Meter",
      "protocol": "PDI-IoTA-UltraLight", "transport": "http", "timezone": "Europe/Madrid",
      "attributes": [{"object_id": "c1", "name": "vol", "type": "Number",
                      "entity_name": "urn:ngsi-ld:WaterMeter:1", "entity_type": "WaterMeter"}]})"),
                             ServiceScope{});
  ASSERT_TRUE(device.ok()) << device.error().detail;
  EXPECT_EQ(device->transport, "HTTP");
  EXPECT_EQ(device->mapping.attributes[0].entity_type, "WaterMeter");
  auto again = parse_device(device_to_json(*device), device->scope);
  ASSERT_TRUE(again.ok()) << again.error().detail;
  EXPECT_EQ(device_to_json(*again), device_to_json(*device));
}

TEST(ProvisioningTest, InvalidGroupsAreRejectedNamingTheMember) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {R"({})", "apikey"},
      {R"({"apikey": "a b"})", "apikey"},
      {R"({"apikey": "k", "resource": "iot"})", "resource"},
      {R"({"apikey": "k", "autoprovision": "yes"})", "autoprovision"},
      {R"({"apikey": "k", "bogus": 1})", "bogus"},
      {R"({"apikey": "k", "attributes": {}})", "attributes"},
      {R"({"apikey": "k", "attributes": [{"name": "t"}]})", "type"},
      {R"({"apikey": "k", "attributes": [{"name": "id", "type": "Text"}]})", "name"},
      {R"({"apikey": "k", "attributes": [{"name": "t", "type": "Number", "expression": "t *"}]})",
       "expression"},
      {R"({"apikey": "k", "attributes": [{"name": "t", "type": "N"}, {"name": "t", "type": "N"}]})",
       "twice"},
      {R"({"apikey": "k", "static_attributes": [{"name": "s", "type": "Text"}]})", "value"},
      {R"({"apikey": "k", "commands": [{"name": "c", "type": "command", "entity_name": "x"}]})",
       "entity_name"},
      {R"({"apikey": "k", "entity_type": "has space"})", "entity_type"},
      {R"({"apikey": "k", "entityNameExp": "(("})", "entityNameExp"},
  };
  for (const auto& [text, member] : cases) {
    auto group = parse_service_group(json(text), ServiceScope{});
    ASSERT_FALSE(group.ok()) << text;
    EXPECT_EQ(group.error().kind, ErrorKind::kBadRequestData);
    EXPECT_NE(group.error().detail.find(member), std::string::npos)
        << text << " -> " << group.error().detail;
  }
}

TEST(ProvisioningTest, InvalidDevicesAreRejected) {
  for (std::string_view text :
       {R"({})", R"({"device_id": "a/b"})", R"({"device_id": "d", "transport": "SMOKE"})",
        R"({"device_id": "d", "entity_name": "has space"})", R"({"device_id": 5})",
        R"({"device_id": "d", "timezone": "Mars Time"})"}) {
    EXPECT_FALSE(parse_device(json(text), ServiceScope{}).ok()) << text;
  }
}

TEST(ProvisioningTest, ServicePathSyntax) {
  EXPECT_TRUE(is_valid_servicepath("/"));
  EXPECT_TRUE(is_valid_servicepath("/a/b_c"));
  EXPECT_FALSE(is_valid_servicepath(""));
  EXPECT_FALSE(is_valid_servicepath("a"));
  EXPECT_FALSE(is_valid_servicepath("/a/"));
  EXPECT_FALSE(is_valid_servicepath("/a b"));
  EXPECT_FALSE(is_valid_servicepath("/*"));
}

}  // namespace
}  // namespace citytwin::ingest
