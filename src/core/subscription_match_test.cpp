// Which changes fire which triggers, and what the notification says (GS CIM 009 V1.8.1
// clauses 5.2.12, 5.3.1, 5.11).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "citytwin/common/json_text.hpp"
#include "citytwin/core/subscription_match.hpp"
#include "subscription_test_support.hpp"

namespace citytwin::core {
namespace {
namespace json = boost::json;
using testing::Contexts;

const Instant kNow{1'800'000'000'000'000};

// A stored-form Streetlight with Property power, and level when given. Built from text:
// nested initializer lists of boost::json trip GCC 12's -Wdangling-pointer.
json::object light(std::string_view id, std::string_view power, std::optional<int> level = 10) {
  std::string text = R"({"id": ")" + std::string(id) +
                     R"(", "type": ["https://example.org/Streetlight"], "attrs": {)" +
                     R"("https://example.org/power": [{"type": "Property", "value": ")" +
                     std::string(power) + R"("}])";
  if (level) {
    text += R"(, "https://example.org/level": [{"type": "Property", "value": )" +
            std::to_string(*level) + "}]";
  }
  return json::parse(text + "}}").as_object();
}

class SubscriptionMatch : public ::testing::Test {
 protected:
  Subscription make(std::string_view extra) {
    json::object payload = json::parse(R"({
      "type": "Subscription", "entities": [{"type": "Streetlight"}],
      "notification": {"endpoint": {"uri": "http://127.0.0.1:9/notify"}}})")
                               .as_object();
    json::value parsed_extra = json::parse(extra);
    for (const auto& [key, value] : parsed_extra.as_object()) {
      if (key == "notification") {
        for (const auto& [member, inner] : value.as_object()) {
          payload["notification"].as_object()[member] = inner;
        }
      } else {
        payload[key] = value;
      }
    }
    auto compiled = compile_subscription("urn:ngsi-ld:Subscription:m", "", payload,
                                         Contexts::example(), contexts_.resolve_fn(), kNow);
    EXPECT_TRUE(compiled.ok()) << compiled.error().detail;
    return std::move(*compiled);
  }
  Contexts contexts_;
};

TEST_F(SubscriptionMatch, DefaultTriggersFireOnCreationAndUpdateButNotDeletion) {
  auto s = make("{}");
  EXPECT_EQ(match_change(s, {std::nullopt, light("urn:a", "on")}), Trigger::kAttributeCreated);
  EXPECT_EQ(match_change(s, {light("urn:a", "on"), light("urn:a", "off")}),
            Trigger::kAttributeUpdated);
  EXPECT_EQ(match_change(s, {light("urn:a", "on"), std::nullopt}), std::nullopt);
  // Only an attribute removed: attributeDeleted is not subscribed by default.
  EXPECT_EQ(match_change(s, {light("urn:a", "on"), light("urn:a", "on", std::nullopt)}),
            std::nullopt);
  // Nothing changed at all.
  EXPECT_EQ(match_change(s, {light("urn:a", "on"), light("urn:a", "on")}), std::nullopt);
}

TEST_F(SubscriptionMatch, EachTriggerFiresForItsKindOfChange) {
  auto entity = make(R"({"notificationTrigger": ["entityCreated", "entityDeleted"]})");
  EXPECT_EQ(match_change(entity, {std::nullopt, light("urn:a", "on")}), Trigger::kEntityCreated);
  EXPECT_EQ(match_change(entity, {light("urn:a", "on"), std::nullopt}), Trigger::kEntityDeleted);
  EXPECT_EQ(match_change(entity, {light("urn:a", "on"), light("urn:a", "off")}), std::nullopt);

  auto updated = make(R"({"notificationTrigger": ["entityUpdated"]})");
  EXPECT_EQ(match_change(updated, {light("urn:a", "on"), light("urn:a", "on", std::nullopt)}),
            Trigger::kEntityUpdated);
  EXPECT_EQ(match_change(updated, {std::nullopt, light("urn:a", "on")}), std::nullopt);

  auto deleted = make(R"({"notificationTrigger": ["attributeDeleted"]})");
  EXPECT_EQ(match_change(deleted, {light("urn:a", "on"), light("urn:a", "on", std::nullopt)}),
            Trigger::kAttributeDeleted);
  EXPECT_EQ(match_change(deleted, {light("urn:a", "on"), light("urn:a", "off")}), std::nullopt);

  auto created = make(R"({"notificationTrigger": ["attributeCreated"]})");
  EXPECT_EQ(match_change(created, {light("urn:a", "on", std::nullopt), light("urn:a", "on")}),
            Trigger::kAttributeCreated);
  EXPECT_EQ(match_change(created, {light("urn:a", "on"), light("urn:a", "off")}), std::nullopt);
}

TEST_F(SubscriptionMatch, WatchedAttributesLimitWhatCounts) {
  auto s = make(R"({"watchedAttributes": ["level"]})");
  EXPECT_EQ(match_change(s, {light("urn:a", "on", 1), light("urn:a", "off", 1)}), std::nullopt);
  EXPECT_EQ(match_change(s, {light("urn:a", "on", 1), light("urn:a", "on", 2)}),
            Trigger::kAttributeUpdated);
  EXPECT_EQ(match_change(s, {std::nullopt, light("urn:a", "on", std::nullopt)}), std::nullopt);
}

// A few watched names are compared one by one, more are searched in the set: the same answer.
TEST_F(SubscriptionMatch, ManyWatchedAttributesLimitWhatCountsAlike) {
  auto s = make(R"({"watchedAttributes": ["a1", "a2", "a3", "a4", "level", "a5"]})");
  EXPECT_EQ(match_change(s, {light("urn:a", "on", 1), light("urn:a", "off", 1)}), std::nullopt);
  EXPECT_EQ(match_change(s, {light("urn:a", "on", 1), light("urn:a", "on", 2)}),
            Trigger::kAttributeUpdated);
  EXPECT_EQ(match_change(s, {std::nullopt, light("urn:a", "on", std::nullopt)}), std::nullopt);
}

// One ChangeMatcher tests a change against subscription after subscription and reuses its
// attribute comparison only for subscriptions watching the same attributes: every answer is
// match_change()'s, whatever the order.
TEST_F(SubscriptionMatch, AChangeMatcherAnswersAsMatchChangeForEachSubscription) {
  std::vector<Subscription> subscriptions;
  subscriptions.push_back(make(R"({"watchedAttributes": ["level"]})"));
  subscriptions.push_back(make(R"({"watchedAttributes": ["power"]})"));
  subscriptions.push_back(make(R"({"watchedAttributes": ["level"],
                                   "notificationTrigger": ["attributeDeleted"]})"));
  subscriptions.push_back(make("{}"));
  subscriptions.push_back(make(R"({"watchedAttributes": ["power"],
                                   "notificationTrigger": ["entityUpdated"]})"));
  subscriptions.push_back(make(R"({"watchedAttributes": ["level", "power"]})"));
  const std::vector<EntityChange> changes = {
      {light("urn:a", "on", 1), light("urn:a", "on", 2)},             // level updated
      {light("urn:a", "on", 1), light("urn:a", "off", 1)},            // power updated
      {light("urn:a", "on", 1), light("urn:a", "on", std::nullopt)},  // level deleted
      {light("urn:a", "on", std::nullopt), light("urn:a", "on", 3)},  // level created
      {light("urn:a", "on", 1), light("urn:a", "on", 1)},             // nothing changed
      {std::nullopt, light("urn:a", "on")},
      {light("urn:a", "on"), std::nullopt}};
  int fired = 0;
  for (const auto& change : changes) {
    // Forwards, backwards, and each subscription twice in a row.
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < subscriptions.size(); ++i) order.push_back(i);
    for (std::size_t i = subscriptions.size(); i-- > 0;) order.insert(order.end(), {i, i});
    ChangeMatcher matcher(change);
    for (std::size_t i : order) {
      auto expected = match_change(subscriptions[i], change);
      EXPECT_EQ(matcher.match(subscriptions[i]), expected) << "subscription " << i;
      fired += expected ? 1 : 0;
    }
  }
  EXPECT_GT(fired, 10);  // the cases above do fire, the comparison is not of nothing
}

TEST_F(SubscriptionMatch, EntitiesAndQFilter) {
  auto s = make(R"({"entities": [{"type": "Lamp"}, {"type": "Streetlight", "idPattern": "^urn:ok"}],
                    "q": "level>5"})");
  EXPECT_EQ(match_change(s, {std::nullopt, light("urn:ok:1", "on", 10)}),
            Trigger::kAttributeCreated);
  EXPECT_EQ(match_change(s, {std::nullopt, light("urn:no:1", "on", 10)}), std::nullopt);
  EXPECT_EQ(match_change(s, {std::nullopt, light("urn:ok:1", "on", 3)}), std::nullopt);
}

TEST_F(SubscriptionMatch, NotificationCarriesTheEntityInTheChosenFormat) {
  auto s = make(R"({"notification": {"format": "keyValues", "attributes": ["level"]}})");
  auto body = make_notification(s, {std::nullopt, light("urn:a", "on", 7)},
                                Trigger::kAttributeCreated, kNow, "urn:ngsi-ld:Notification:1");
  EXPECT_EQ(body.at("type"), "Notification");
  EXPECT_EQ(body.at("id"), "urn:ngsi-ld:Notification:1");
  EXPECT_EQ(body.at("subscriptionId"), "urn:ngsi-ld:Subscription:m");
  EXPECT_EQ(body.at("notifiedAt"), json::value(format_date_time(kNow)));
  EXPECT_EQ(body.at("triggerReason"), "attributeCreated");
  EXPECT_FALSE(body.contains("@context"));
  const auto& data = body.at("data").as_array();
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0], json::parse(R"({"id": "urn:a", "type": "Streetlight", "level": 7})"));
}

TEST_F(SubscriptionMatch, JsonLdNotificationsCarryTheContext) {
  auto s = make(R"({"notification": {"format": "concise",
                    "endpoint": {"uri": "http://127.0.0.1:9/n", "accept": "application/ld+json"}}})");
  auto body = make_notification(s, {std::nullopt, light("urn:a", "on", std::nullopt)},
                                Trigger::kAttributeCreated, kNow, "urn:ngsi-ld:Notification:1");
  EXPECT_EQ(body.at("@context"), Contexts::example());
  EXPECT_EQ(body.at("data").as_array()[0],
            json::parse(R"({"id": "urn:a", "type": "Streetlight", "power": "on"})"));
}

TEST_F(SubscriptionMatch, ShowChangesAddsPreviousValues) {
  auto s = make(R"({"notification": {"showChanges": true}})");
  auto body = make_notification(s, {light("urn:a", "on", 1), light("urn:a", "off", 1)},
                                Trigger::kAttributeUpdated, kNow, "urn:ngsi-ld:Notification:1");
  const auto& entity = body.at("data").as_array()[0].as_object();
  EXPECT_EQ(entity.at("power"),
            json::parse(R"({"type": "Property", "value": "off", "previousValue": "on"})"));
  EXPECT_EQ(entity.at("level").as_object().at("previousValue"), 1);

  auto without = make("{}");
  auto plain = make_notification(without, {light("urn:a", "on", 1), light("urn:a", "off", 1)},
                                 Trigger::kAttributeUpdated, kNow, "urn:ngsi-ld:Notification:2");
  EXPECT_FALSE(
      plain.at("data").as_array()[0].as_object().at("power").as_object().contains("previousValue"));
}

TEST_F(SubscriptionMatch, DeletedEntityIsNotifiedByIdAndType) {
  auto s = make(R"({"notificationTrigger": ["entityDeleted"]})");
  auto body = make_notification(s, {light("urn:a", "on"), std::nullopt}, Trigger::kEntityDeleted,
                                kNow, "urn:ngsi-ld:Notification:1");
  const auto& entity = body.at("data").as_array()[0].as_object();
  EXPECT_EQ(entity.at("id"), "urn:a");
  EXPECT_EQ(entity.at("type"), "Streetlight");
  EXPECT_FALSE(entity.contains("power"));
}

}  // namespace
}  // namespace citytwin::core

namespace citytwin::core {
namespace {

// The renderer shares `data` between subscriptions that render alike and must give the very
// text make_notification() gives to each of them.
TEST_F(SubscriptionMatch, RendererTextIsTheNotificationTextForEverySubscription) {
  std::vector<Subscription> subscriptions;
  for (std::string_view extra : {
           R"({})",
           R"({"notification": {"format": "keyValues"}})",
           R"({"notification": {"format": "keyValues"}})",
           R"({"notification": {"format": "concise", "attributes": ["power"]}})",
           R"({"notification": {"sysAttrs": true}})",
           R"({"notification": {"showChanges": true}})",
           R"({"notification": {"attributes": ["level"]}})",
           R"({"notification": {"endpoint": {"uri": "http://127.0.0.1:9/n",
               "accept": "application/ld+json"}}})",
           R"({"lang": "en"})",
       }) {
    subscriptions.push_back(make(extra));
  }
  const std::vector<EntityChange> changes = {
      {std::nullopt, light("urn:a", "on")},
      {light("urn:a", "on"), light("urn:a", "off", 12)},
      {light("urn:a", "off"), std::nullopt},
  };
  // As the service files them: with the id written once as JSON (quoted and escaped).
  for (std::size_t i = 0, compiled = subscriptions.size(); i < compiled; ++i) {
    Subscription filed = subscriptions[i];
    filed.id = "urn:s:\"quoted\"\\" + std::to_string(i);
    append_json_string(filed.id_json, filed.id);
    subscriptions.push_back(std::move(filed));
  }
  for (const auto& change : changes) {
    NotificationRenderer renderer(change);
    for (const auto& subscription : subscriptions) {
      std::string id = "urn:ngsi-ld:Notification:" + std::to_string(subscription.id.size());
      const auto expected =
          make_notification(subscription, change, Trigger::kAttributeUpdated, kNow, id);
      auto rendered = renderer.render(subscription, Trigger::kAttributeUpdated, kNow, id);
      EXPECT_EQ(rendered.body, to_json_text(expected));
      // The span the Notifier joins by is exactly the one item of `data`.
      if (change.after) {
        EXPECT_EQ(
            rendered.body.substr(rendered.data_begin, rendered.data_end - rendered.data_begin),
            to_json_text(expected.at("data").as_array()[0]));
      } else {
        EXPECT_EQ(rendered.data_end, rendered.data_begin);
      }
    }
  }
}

}  // namespace
}  // namespace citytwin::core
