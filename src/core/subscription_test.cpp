// Subscription payload validation and name handling (GS CIM 009 V1.8.1 clauses 5.2.12, 5.8).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "citytwin/core/subscription.hpp"
#include "subscription_test_support.hpp"

namespace citytwin::core {
namespace {
namespace json = boost::json;
using testing::Contexts;

const Instant kNow{1'800'000'000'000'000};

json::object valid() {
  return json::parse(R"({
    "type": "Subscription",
    "entities": [{"type": "Streetlight"}],
    "notification": {"endpoint": {"uri": "http://127.0.0.1:9/notify"}}
  })")
      .as_object();
}

class SubscriptionCompile : public ::testing::Test {
 protected:
  Result<Subscription> compile(json::object payload) {
    return compile_subscription("urn:ngsi-ld:Subscription:s1", "", std::move(payload),
                                Contexts::example(), contexts_.resolve_fn(), kNow);
  }
  void expect_bad(json::object payload, std::string_view fragment) {
    auto result = compile(std::move(payload));
    ASSERT_FALSE(result.ok()) << fragment;
    EXPECT_TRUE(result.error().kind == ErrorKind::kBadRequestData ||
                result.error().kind == ErrorKind::kInvalidRequest)
        << result.error().detail;
    EXPECT_NE(result.error().detail.find(fragment), std::string::npos) << result.error().detail;
  }
  Contexts contexts_;
};

TEST_F(SubscriptionCompile, MinimalSubscriptionGetsSpecDefaults) {
  auto subscription = compile(valid());
  ASSERT_TRUE(subscription.ok()) << subscription.error().detail;
  // Clause 5.2.12: default notificationTrigger is attributeCreated + attributeUpdated.
  EXPECT_TRUE(subscription->has(Trigger::kAttributeCreated));
  EXPECT_TRUE(subscription->has(Trigger::kAttributeUpdated));
  EXPECT_FALSE(subscription->has(Trigger::kEntityCreated));
  EXPECT_FALSE(subscription->has(Trigger::kEntityDeleted));
  EXPECT_TRUE(subscription->active);
  EXPECT_EQ(subscription->notification.format, model::RepresentationFormat::kNormalized);
  EXPECT_EQ(subscription->notification.accept, "application/json");
  EXPECT_EQ(subscription->notification.uri, "http://127.0.0.1:9/notify");
}

TEST_F(SubscriptionCompile, NamesAreExpandedWithTheContext) {
  auto payload = valid();
  payload["watchedAttributes"] = json::array{"power"};
  payload["notification"].as_object()["attributes"] = json::array{"level", "unknownName"};
  auto subscription = compile(payload);
  ASSERT_TRUE(subscription.ok()) << subscription.error().detail;
  EXPECT_TRUE(subscription->watched.contains("https://example.org/power"));
  EXPECT_TRUE(subscription->notification.attributes.contains("https://example.org/level"));
  EXPECT_TRUE(subscription->notification.attributes.contains(
      "https://uri.etsi.org/ngsi-ld/default-context/unknownName"));
}

TEST_F(SubscriptionCompile, TypeMustBeSubscription) {
  auto payload = valid();
  payload["type"] = "Subscriptions";
  expect_bad(payload, "type must be");
  payload.erase("type");
  expect_bad(payload, "type must be");
}

TEST_F(SubscriptionCompile, EntitiesOrWatchedAttributesAreRequired) {
  auto payload = valid();
  payload.erase("entities");
  expect_bad(payload, "entities or watchedAttributes");
  payload["watchedAttributes"] = json::array{"power"};
  EXPECT_TRUE(compile(payload).ok());
  payload["watchedAttributes"] = json::array{};
  expect_bad(payload, "watchedAttributes");
}

TEST_F(SubscriptionCompile, EntitySelectorsAreValidated) {
  auto payload = valid();
  payload["entities"] = json::parse(R"([{"id": "not a uri", "type": "Streetlight"}])");
  expect_bad(payload, "entities[].id");
  payload["entities"] = json::parse(R"([{"idPattern": "urn:.*"}])");
  expect_bad(payload, "entities[].type");
  payload["entities"] = json::parse(R"([{"type": "(Streetlight;"}])");
  EXPECT_FALSE(compile(payload).ok());
  payload["entities"] = json::parse(R"([{"type": "Streetlight", "idPattern": "urn:(.*"}])");
  EXPECT_FALSE(compile(payload).ok());
  payload["entities"] = json::parse(R"([{"type": "Streetlight,Lamp", "idPattern": "urn:.*"}])");
  EXPECT_TRUE(compile(payload).ok());
}

TEST_F(SubscriptionCompile, UnknownTriggerIsRejected) {
  auto payload = valid();
  payload["notificationTrigger"] = json::array{"entityCreated", "entityExploded"};
  expect_bad(payload, "entityExploded");
  payload["notificationTrigger"] = json::array{"entityCreated", "entityDeleted"};
  auto subscription = compile(payload);
  ASSERT_TRUE(subscription.ok());
  EXPECT_TRUE(subscription->has(Trigger::kEntityCreated));
  EXPECT_TRUE(subscription->has(Trigger::kEntityDeleted));
  EXPECT_FALSE(subscription->has(Trigger::kAttributeUpdated));
}

TEST_F(SubscriptionCompile, BadQAndGeoQAreRejected) {
  auto payload = valid();
  payload["q"] = "power==";
  EXPECT_FALSE(compile(payload).ok());
  payload["q"] = "level>10";
  EXPECT_TRUE(compile(payload).ok());
  payload.erase("q");
  payload["geoQ"] = json::parse(R"({"geometry": "Point", "coordinates": [1, 2]})");
  EXPECT_FALSE(compile(payload).ok());
  payload["geoQ"] = json::parse(
      R"({"georel": "near;maxDistance==100", "geometry": "Point", "coordinates": [1, 2]})");
  EXPECT_TRUE(compile(payload).ok());
}

TEST_F(SubscriptionCompile, OnlyHttpAndMqttEndpointsAreAccepted) {
  for (std::string_view uri : {"ftp://x/y", "not a uri", "http://", "https://", "mqtt://h",
                               "mqtt://h/a/#", "mqtts://h:99999/t", "ws://h/t"}) {
    auto payload = valid();
    payload["notification"].as_object()["endpoint"].as_object()["uri"] = uri;
    expect_bad(payload, "endpoint.uri");
  }
  auto payload = valid();
  payload["notification"].as_object()["endpoint"].as_object()["uri"] = "https://127.0.0.1:9/x";
  EXPECT_TRUE(compile(payload).ok());
  for (std::string_view uri : {"mqtt://127.0.0.1/topic", "mqtts://u:p@broker:8884/a/b"}) {
    payload["notification"].as_object()["endpoint"].as_object()["uri"] = uri;
    EXPECT_TRUE(compile(payload).ok()) << uri;
  }
  payload["notification"].as_object()["endpoint"].as_object().erase("uri");
  expect_bad(payload, "endpoint.uri is required");
}

TEST_F(SubscriptionCompile, NotificationParametersAreValidated) {
  auto payload = valid();
  auto& notification = payload["notification"].as_object();
  notification["format"] = "pretty";
  expect_bad(payload, "format");
  notification["format"] = "keyValues";
  notification["endpoint"].as_object()["accept"] = "text/plain";
  expect_bad(payload, "accept");
  notification["endpoint"].as_object()["accept"] = "application/ld+json";
  notification["endpoint"].as_object()["receiverInfo"] =
      json::parse(R"([{"key": "X-Bad Header", "value": "1"}])");
  expect_bad(payload, "receiverInfo");
  notification["endpoint"].as_object()["receiverInfo"] =
      json::parse(R"([{"key": "content-LENGTH", "value": "1"}])");
  expect_bad(payload, "receiverInfo cannot set");
  notification["endpoint"].as_object()["receiverInfo"] =
      json::parse(R"([{"key": "X-Auth", "value": "secret"}])");
  notification["showChanges"] = "yes";
  expect_bad(payload, "showChanges");
  notification["showChanges"] = true;
  auto subscription = compile(payload);
  ASSERT_TRUE(subscription.ok()) << subscription.error().detail;
  EXPECT_EQ(subscription->notification.format, model::RepresentationFormat::kSimplified);
  EXPECT_EQ(subscription->notification.accept, "application/ld+json");
  ASSERT_EQ(subscription->notification.receiver_info.size(), 1u);
  EXPECT_EQ(subscription->notification.receiver_info[0].first, "X-Auth");
  EXPECT_TRUE(subscription->notification.show_changes);
}

TEST_F(SubscriptionCompile, MqttNotifierInfoIsValidatedAndKept) {
  auto payload = valid();
  auto& endpoint = payload["notification"].as_object()["endpoint"].as_object();
  endpoint["uri"] = "mqtt://127.0.0.1:1883/city";
  endpoint["notifierInfo"] = json::parse(R"([{"key": "MQTT-QoS", "value": "5"}])");
  expect_bad(payload, "MQTT-QoS");
  endpoint["notifierInfo"] = json::parse(R"([{"key": "MQTT-Version", "value": "3"}])");
  expect_bad(payload, "MQTT-Version");
  endpoint["notifierInfo"] = json::parse(
      R"([{"key": "MQTT-QoS", "value": "1"}, {"key": "MQTT-Version", "value": "mqtt3.1.1"}])");
  auto subscription = compile(payload);
  ASSERT_TRUE(subscription.ok()) << subscription.error().detail;
  ASSERT_EQ(subscription->notification.notifier_info.size(), 2u);
  EXPECT_EQ(subscription->notification.notifier_info[0].first, "MQTT-QoS");
  EXPECT_EQ(subscription->notification.notifier_info[0].second, "1");
}

TEST_F(SubscriptionCompile, TimingMembersAreValidated) {
  auto payload = valid();
  payload["throttling"] = 5;
  payload["timeInterval"] = 10;
  expect_bad(payload, "throttling and timeInterval");
  payload.erase("timeInterval");
  payload["throttling"] = -1;
  expect_bad(payload, "throttling");
  payload["throttling"] = 2.5;
  payload["expiresAt"] = "2020-01-01T00:00:00Z";
  expect_bad(payload, "expiresAt is in the past");
  payload["expiresAt"] = "tomorrow";
  expect_bad(payload, "expiresAt must be a DateTime");
  payload["expiresAt"] = "2030-01-01T00:00:00Z";
  payload["isActive"] = "no";
  expect_bad(payload, "isActive");
  payload["isActive"] = false;
  auto subscription = compile(payload);
  ASSERT_TRUE(subscription.ok()) << subscription.error().detail;
  EXPECT_DOUBLE_EQ(subscription->throttling_seconds, 2.5);
  EXPECT_FALSE(subscription->active);
  EXPECT_EQ(subscription->expires_at, parse_date_time("2030-01-01T00:00:00Z"));
}

TEST_F(SubscriptionCompile, PeriodicSubscriptionsTakeNoWatchedAttributes) {
  auto payload = valid();
  payload["timeInterval"] = 10;
  auto subscription = compile(payload);
  ASSERT_TRUE(subscription.ok()) << subscription.error().detail;
  EXPECT_TRUE(subscription->periodic());
  EXPECT_DOUBLE_EQ(subscription->time_interval_seconds, 10);
  payload["watchedAttributes"] = json::array{"power"};
  expect_bad(payload, "watchedAttributes cannot be combined with timeInterval");
  payload.erase("watchedAttributes");
  payload["timeInterval"] = 0;
  expect_bad(payload, "timeInterval");
}

TEST(SubscriptionNames, TranslateMapsEveryNameBetweenContexts) {
  Contexts contexts;
  auto example = contexts.resolve(Contexts::example());
  auto core = contexts.resolve(json::value());
  json::object payload = json::parse(R"({
    "entities": [{"type": "(Streetlight;Lamp)|Other"}],
    "watchedAttributes": ["power"],
    "geoQ": {"geoproperty": "level", "georel": "near;maxDistance==1", "geometry": "Point",
             "coordinates": [1, 2]},
    "notification": {"attributes": ["level"]}
  })")
                             .as_object();
  auto expanded = translate_names(payload, *example, *core);
  EXPECT_EQ(expanded.at("entities").as_array()[0].as_object().at("type"),
            "(https://example.org/Streetlight;https://example.org/Lamp)|Other");
  EXPECT_EQ(expanded.at("watchedAttributes").as_array()[0], "https://example.org/power");
  EXPECT_EQ(expanded.at("geoQ").as_object().at("geoproperty"), "https://example.org/level");
  EXPECT_EQ(expanded.at("notification").as_object().at("attributes").as_array()[0],
            "https://example.org/level");
  EXPECT_EQ(translate_names(expanded, *core, *example), payload);
}

TEST(SubscriptionNames, PatchReplacesMembersAndMergesNotification) {
  json::object payload = json::parse(R"({"type": "Subscription", "q": "a==1",
    "notification": {"format": "keyValues", "endpoint": {"uri": "http://h/x"}}})")
                             .as_object();
  json::object fragment = json::parse(R"({"q": null, "isActive": false,
    "notification": {"format": "concise"}})")
                              .as_object();
  auto patched = patch_payload(payload, fragment);
  EXPECT_FALSE(patched.contains("q"));
  EXPECT_EQ(patched.at("isActive"), false);
  EXPECT_EQ(patched.at("notification").as_object().at("format"), "concise");
  EXPECT_TRUE(patched.at("notification").as_object().contains("endpoint"));
}

}  // namespace
}  // namespace citytwin::core
