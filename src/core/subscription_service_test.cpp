// Subscription CRUD, persistence and change dispatch (GS CIM 009 V1.8.1 clauses 5.8, 5.11),
// with the memory store and the real EntityService.
#include "citytwin/core/subscription_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "citytwin/core/entity_service.hpp"
#include "citytwin/store/memory_store.hpp"
#include "subscription_test_support.hpp"

namespace citytwin::core {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::Contexts;
using testing::ManualClock;
using testing::RecordingSender;

json::object payload(std::string_view extra = "{}") {
  json::object out = json::parse(R"({
    "type": "Subscription", "entities": [{"type": "Streetlight"}],
    "notification": {"endpoint": {"uri": "http://127.0.0.1:9/notify"}}})")
                         .as_object();
  json::value parsed_extra = json::parse(extra);
  for (const auto& [key, value] : parsed_extra.as_object()) out[key] = value;
  return out;
}

// A stored-form Streetlight with power (built from text, see subscription_match_test.cpp).
json::object light(std::string_view id, std::string_view power) {
  return json::parse(R"({"id": ")" + std::string(id) +
                     R"(", "type": ["https://example.org/Streetlight"], "attrs": {)" +
                     R"("https://example.org/power": [{"type": "Property", "value": ")" +
                     std::string(power) + R"("}]}})")
      .as_object();
}

class SubscriptionServiceTest : public ::testing::Test {
 protected:
  SubscriptionServiceTest() : store_(store::make_memory_store()) {}

  std::unique_ptr<SubscriptionService> make_service(unsigned max_attempts = 5) {
    NotifierOptions options;
    options.max_attempts = max_attempts;
    options.retry_initial = 5ms;
    options.retry_max = 10ms;
    return std::make_unique<SubscriptionService>(*store_, clock_, contexts_.resolve_fn(), sender_,
                                                 options);
  }

  // Started, showing every dispatched batch to `observer`, with that dispatch backlog.
  std::unique_ptr<SubscriptionService> make_observed(std::size_t dispatch_backlog,
                                                     ChangeObserver& observer) {
    NotifierOptions options;
    options.dispatch_backlog = dispatch_backlog;
    auto service = std::make_unique<SubscriptionService>(*store_, clock_, contexts_.resolve_fn(),
                                                         sender_, options);
    service->set_observer(&observer);
    service->start();
    return service;
  }

  Contexts contexts_;
  ManualClock clock_;
  RecordingSender sender_;
  std::unique_ptr<store::EntityStore> store_;
};

TEST_F(SubscriptionServiceTest, CrudRoundTrip) {
  auto service = make_service();
  auto core = contexts_.resolve(json::value());
  auto id = service->create("", payload(R"({"id": "urn:ngsi-ld:Subscription:one"})"),
                            Contexts::example());
  ASSERT_TRUE(id.ok()) << id.error().detail;
  EXPECT_EQ(*id, "urn:ngsi-ld:Subscription:one");
  auto again = service->create("", payload(R"({"id": "urn:ngsi-ld:Subscription:one"})"),
                               Contexts::example());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kAlreadyExists);

  // Retrieved with another context, names come back as full IRIs.
  auto got = service->get("", *id, *core);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->at("type"), "Subscription");
  EXPECT_EQ(got->at("status"), "active");
  EXPECT_EQ(got->at("entities").as_array()[0].as_object().at("type"),
            "https://example.org/Streetlight");
  EXPECT_EQ(got->at("notification").as_object().at("timesSent"), 0);
  auto example = contexts_.resolve(Contexts::example());
  EXPECT_EQ(service->get("", *id, *example)->at("entities").as_array()[0].as_object().at("type"),
            "Streetlight");
  EXPECT_EQ(service->get("other", *id, *core).error().kind, ErrorKind::kResourceNotFound);

  ASSERT_TRUE(
      service->update("", *id, json::parse(R"({"isActive": false})").as_object(), *core).ok());
  EXPECT_EQ(service->get("", *id, *core)->at("status"), "paused");
  auto bad = service->update("", *id, json::parse(R"({"throttling": -3})").as_object(), *core);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kBadRequestData);
  EXPECT_FALSE(service->get("", *id, *core)->contains("throttling"));

  auto second = service->create("", payload(), json::value());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->rfind("urn:ngsi-ld:Subscription:", 0), 0u);
  auto page = service->list("", 1, 0, *core);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 2u);
  EXPECT_EQ(page->items.size(), 1u);

  ASSERT_TRUE(service->remove("", *id).ok());
  EXPECT_EQ(service->remove("", *id).error().kind, ErrorKind::kResourceNotFound);
  EXPECT_EQ(service->list("", 10, 0, *core)->total, 1u);
}

TEST_F(SubscriptionServiceTest, SubscriptionsSurviveARestart) {
  auto core = contexts_.resolve(json::value());
  {
    auto service = make_service();
    ASSERT_TRUE(service
                    ->create("t1", payload(R"({"id": "urn:s:1", "q": "power==\"on\""})"),
                             Contexts::example())
                    .ok());
  }
  auto service = make_service();
  auto problems = service->restore();
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty());
  auto got = service->get("t1", "urn:s:1", *core);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->at("q"), "power==\"on\"");
  EXPECT_TRUE(service->wants("t1"));
  EXPECT_FALSE(service->wants(""));
}

TEST_F(SubscriptionServiceTest, DurableChangesAreNotifiedInSequenceOrder) {
  auto service = make_service();
  ASSERT_TRUE(service->create("", payload(R"({"id": "urn:s:1"})"), Contexts::example()).ok());
  service->start();
  auto s0 = service->next_sequence();
  auto s1 = service->next_sequence();
  auto s2 = service->next_sequence();
  // Reported out of order; a lost write (s1) is skipped.
  service->committed(s2, "", {{light("urn:a", "on"), light("urn:a", "off")}}, clock_.now(), true);
  service->committed(s1, "", {{light("urn:a", "x"), light("urn:a", "y")}}, clock_.now(), false);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(sender_.attempts(), 0u);  // waits for s0
  service->committed(s0, "", {{std::nullopt, light("urn:a", "on")}}, clock_.now(), true);
  auto sent = sender_.wait_for(2);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_NE(sent[0].body.find("attributeCreated"), std::string::npos);
  EXPECT_NE(sent[1].body.find("\"off\""), std::string::npos);
  EXPECT_EQ(sent[0].uri(), "http://127.0.0.1:9/notify");
  service->stop();
}

TEST_F(SubscriptionServiceTest, PausedExpiredAndThrottledSubscriptionsStayQuiet) {
  auto service = make_service();
  auto core = contexts_.resolve(json::value());
  ASSERT_TRUE(
      service
          ->create("", payload(R"({"id": "urn:s:paused", "isActive": false})"), Contexts::example())
          .ok());
  auto soon = format_date_time(Instant{clock_.now().micros + 1'000'000});
  ASSERT_TRUE(service
                  ->create("", payload(R"({"id": "urn:s:expiring", "expiresAt": ")" + soon + "\"}"),
                           Contexts::example())
                  .ok());
  ASSERT_TRUE(service
                  ->create("", payload(R"({"id": "urn:s:throttled", "throttling": 10})"),
                           Contexts::example())
                  .ok());
  service->start();
  clock_.advance_seconds(2);
  EXPECT_EQ(service->get("", "urn:s:expiring", *core)->at("status"), "expired");
  // Still changeable once expired; a new expiresAt must be in the future.
  EXPECT_TRUE(service
                  ->update("", "urn:s:expiring",
                           json::parse(R"({"description": "old"})").as_object(), *core)
                  .ok());
  EXPECT_FALSE(service
                   ->update("", "urn:s:expiring",
                            json::parse(R"({"expiresAt": "2020-01-01T00:00:00Z"})").as_object(),
                            *core)
                   .ok());
  for (int i = 0; i < 3; ++i) {
    service->committed(service->next_sequence(), "",
                       {{light("urn:a", std::to_string(i)), light("urn:a", std::to_string(i + 1))}},
                       clock_.now(), true);
  }
  auto sent = sender_.wait_for(1);
  std::this_thread::sleep_for(50ms);
  sent = sender_.wait_for(1);
  ASSERT_EQ(sent.size(), 1u);  // throttled: only the first of three
  EXPECT_NE(sent[0].body.find("urn:s:throttled"), std::string::npos);
  clock_.advance_seconds(11);
  service->committed(service->next_sequence(), "", {{light("urn:a", "3"), light("urn:a", "4")}},
                     clock_.now(), true);
  EXPECT_EQ(sender_.wait_for(2).size(), 2u);
  service->stop();
}

// The throttling period runs from the last notification of the subscription, whatever
// update it had since (its delivery slot is kept).
TEST_F(SubscriptionServiceTest, ThrottlingOutlivesAnUpdate) {
  auto service = make_service();
  auto core = contexts_.resolve(json::value());
  ASSERT_TRUE(service
                  ->create("", payload(R"({"id": "urn:s:throttled", "throttling": 10})"),
                           Contexts::example())
                  .ok());
  service->start();
  service->committed(service->next_sequence(), "", {{light("urn:a", "0"), light("urn:a", "1")}},
                     clock_.now(), true);
  ASSERT_EQ(sender_.wait_for(1).size(), 1u);
  ASSERT_TRUE(service
                  ->update("", "urn:s:throttled",
                           json::parse(R"({"description": "changed"})").as_object(), *core)
                  .ok());
  clock_.advance_seconds(5);
  service->committed(service->next_sequence(), "", {{light("urn:a", "1"), light("urn:a", "2")}},
                     clock_.now(), true);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sender_.wait_for(1).size(), 1u);  // within 10 s of the first: not notified
  clock_.advance_seconds(6);
  service->committed(service->next_sequence(), "", {{light("urn:a", "2"), light("urn:a", "3")}},
                     clock_.now(), true);
  auto sent = sender_.wait_for(2);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(sent[0].same_endpoint(sent[1]));
  EXPECT_EQ(sent[1].uri(), "http://127.0.0.1:9/notify");
  EXPECT_EQ(sent[1].headers().front().first, "Content-Type");
  service->stop();
}

TEST_F(SubscriptionServiceTest, EntityServiceFeedsTheListenerAfterWrites) {
  auto service = make_service();
  ASSERT_TRUE(service
                  ->create("", payload(R"({"id": "urn:s:1",
      "notificationTrigger": ["entityCreated", "entityDeleted", "attributeUpdated"]})"),
                           Contexts::example())
                  .ok());
  service->start();
  EntityService entities(*store_, clock_, EntityService::Durability::kWaitForDisk, service.get());
  ASSERT_TRUE(entities.create("", light("urn:a", "on")).ok());
  auto update =
      json::parse(R"({"https://example.org/power": [{"type": "Property", "value": "off"}]})");
  ASSERT_TRUE(entities.update_attributes("", "urn:a", update.as_object()).ok());
  ASSERT_TRUE(entities.remove("", "urn:a").ok());
  auto sent = sender_.wait_for(3);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_NE(sent[0].body.find("entityCreated"), std::string::npos);
  EXPECT_NE(sent[1].body.find("attributeUpdated"), std::string::npos);
  EXPECT_NE(sent[2].body.find("entityDeleted"), std::string::npos);
  service->stop();
}

TEST_F(SubscriptionServiceTest, PeriodicSubscriptionsSendEveryMatchingEntity) {
  auto service = make_service();
  std::atomic<int> queries{0};
  service->set_entity_source(
      [&](std::string_view tenant, const EntityQuery& query) -> Result<std::vector<json::object>> {
        ++queries;
        EXPECT_EQ(tenant, "t");
        EXPECT_EQ(query.selectors.size(), 1u);
        return std::vector<json::object>{light("urn:a", "on"), light("urn:b", "off")};
      });
  ASSERT_TRUE(
      service
          ->create("t", payload(R"({"id": "urn:s:p", "timeInterval": 0.2})"), Contexts::example())
          .ok());
  ASSERT_TRUE(service
                  ->create("t", payload(R"({"id": "urn:s:quiet", "timeInterval": 0.2,
                                               "isActive": false})"),
                           Contexts::example())
                  .ok());
  service->start();
  auto sent = sender_.wait_for(2);
  ASSERT_GE(sent.size(), 2u);
  for (const auto& notification : sent) {
    auto body = json::parse(notification.body).as_object();
    EXPECT_EQ(body.at("subscriptionId"), "urn:s:p");
    EXPECT_EQ(body.at("data").as_array().size(), 2u);
    EXPECT_FALSE(body.contains("triggerReason"));
  }
  // Changes do not notify periodic subscriptions.
  auto before = sender_.attempts();
  service->committed(service->next_sequence(), "t", {{std::nullopt, light("urn:c", "on")}},
                     clock_.now(), true);
  service->stop();
  EXPECT_LE(sender_.attempts(), before + 1);  // at most one more tick, never the change
  for (const auto& notification : sender_.wait_for(0)) {
    EXPECT_EQ(notification.body.find("urn:c"), std::string::npos);
  }
}

// Concurrent writers to different entities: every change is notified once, and each entity's
// notifications arrive in the order of its writes (clause 5.11 ordering, per subscription).
TEST_F(SubscriptionServiceTest, ConcurrentWritesAreNotifiedInPerEntityOrder) {
  auto service = make_service();
  ASSERT_TRUE(service
                  ->create("", payload(R"({"id": "urn:s:order",
      "notificationTrigger": ["entityCreated", "attributeUpdated"],
      "notification": {"format": "keyValues", "endpoint": {"uri": "http://127.0.0.1:9/n"}}})"),
                           Contexts::example())
                  .ok());
  service->start();
  EntityService entities(*store_, clock_, EntityService::Durability::kWaitForDisk, service.get());
  constexpr int kWriters = 6;
  constexpr int kUpdates = 40;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::string id = "urn:w:" + std::to_string(w);
      ASSERT_TRUE(entities.create("", light(id, "0")).ok());
      for (int i = 1; i <= kUpdates; ++i) {
        auto update =
            json::parse(R"({"https://example.org/power": [{"type": "Property", "value": ")" +
                        std::to_string(i) + R"("}]})");
        ASSERT_TRUE(entities.update_attributes("", id, update.as_object()).ok());
      }
    });
  }
  for (auto& writer : writers) writer.join();
  auto sent = sender_.wait_for(kWriters * (kUpdates + 1));
  ASSERT_EQ(sent.size(), static_cast<std::size_t>(kWriters * (kUpdates + 1)));
  std::map<std::string, int> last;
  for (const auto& notification : sent) {
    auto body = json::parse(notification.body);
    const auto& entity = body.at("data").as_array()[0].as_object();
    std::string id(entity.at("id").as_string());
    int value = std::stoi(std::string(entity.at("power").as_string()));
    auto found = last.find(id);
    if (found == last.end()) {
      EXPECT_EQ(value, 0) << id;
    } else {
      EXPECT_EQ(value, found->second + 1) << id;
    }
    last[id] = value;
  }
  EXPECT_EQ(last.size(), static_cast<std::size_t>(kWriters));
  service->stop();
}

// Notification ids (clause 5.3.1) are URIs, each used once, also across runs of the service;
// the body names the subscription by its id.
TEST_F(SubscriptionServiceTest, NotificationIdsAreDistinctUrisAcrossRuns) {
  constexpr int kChanges = 40;
  const std::regex kIdForm("urn:ngsi-ld:Notification:[0-9a-f]{32}");
  std::set<std::string> ids;
  for (int run = 0; run < 2; ++run) {
    auto service = make_service();
    if (run == 0) {
      ASSERT_TRUE(service->create("", payload(R"({"id": "urn:s:ids"})"), Contexts::example()).ok());
    } else {
      ASSERT_TRUE(service->restore().ok());
    }
    service->start();
    for (int i = 0; i < kChanges; ++i) {
      service->committed(service->next_sequence(), "",
                         {{std::nullopt, light("urn:a" + std::to_string(i), "on")}}, clock_.now(),
                         true);
    }
    auto sent = sender_.wait_for((run + 1) * kChanges);
    ASSERT_EQ(sent.size(), static_cast<std::size_t>((run + 1) * kChanges));
    std::optional<std::uint64_t> previous;
    for (std::size_t i = run * kChanges; i < sent.size(); ++i) {
      auto body = json::parse(sent[i].body).as_object();
      std::string id(body.at("id").as_string());
      ASSERT_TRUE(std::regex_match(id, kIdForm)) << id;
      EXPECT_TRUE(ids.insert(id).second) << id << " sent twice";
      EXPECT_EQ(body.at("subscriptionId"), "urn:s:ids");
      // The last 16 digits count the run's notifications (in hex, zero-padded).
      std::uint64_t number = std::stoull(id.substr(id.size() - 16), nullptr, 16);
      if (previous) {
        EXPECT_EQ(number, *previous + 1) << id;
      }
      previous = number;
    }
    service->stop();
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(2 * kChanges));
}

// A clean shutdown keeps what could not be delivered yet; the next run sends it, in order.
TEST_F(SubscriptionServiceTest, QueuedNotificationsSurviveACleanRestart) {
  {
    auto service = make_service(1000000);  // never gives up while the test runs
    ASSERT_TRUE(service->create("", payload(R"({"id": "urn:s:1"})"), Contexts::example()).ok());
    sender_.set_failing(true);
    service->start();
    service->committed(service->next_sequence(), "", {{std::nullopt, light("urn:a", "1")}},
                       clock_.now(), true);
    service->committed(service->next_sequence(), "", {{light("urn:a", "1"), light("urn:a", "2")}},
                       clock_.now(), true);
    service->stop();
  }
  EXPECT_EQ(store_->list_documents("subscription-outbox")->size(), 1u);
  sender_.set_failing(false);
  auto service = make_service();
  ASSERT_TRUE(service->restore().ok());
  EXPECT_TRUE(store_->list_documents("subscription-outbox")->empty());
  service->start();
  auto sent = sender_.wait_for(2);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_NE(sent[0].body.find("\"1\""), std::string::npos);
  EXPECT_NE(sent[1].body.find("\"2\""), std::string::npos);
  EXPECT_EQ(sent[0].headers().front().first, "Content-Type");
  service->stop();
}

// Each change to a tenant with subscriptions is recorded in the same store write; the record
// goes once its notifications are delivered. What a crash leaves is notified by the next run.
TEST_F(SubscriptionServiceTest, ChangeRecordsAreDeletedWhenHandledAndReplayedAfterACrash) {
  auto records = [&] { return store_->list_documents("change-outbox")->size(); };
  // A first run whose receiver is down and that never shuts down cleanly.
  RecordingSender down;
  down.set_failing(true);
  NotifierOptions patient;
  patient.retry_initial = 5ms;
  patient.max_attempts = 1000000;
  auto crashed =
      std::make_unique<SubscriptionService>(*store_, clock_, contexts_.resolve_fn(), down, patient);
  ASSERT_TRUE(crashed->create("", payload(R"({"id": "urn:s:1"})"), Contexts::example()).ok());
  crashed->start();
  {
    EntityService entities(*store_, clock_, EntityService::Durability::kWaitForDisk, crashed.get());
    ASSERT_TRUE(entities.create("", light("urn:a", "on")).ok());
    ASSERT_TRUE(entities.create("", light("urn:b", "on")).ok());
  }
  EXPECT_EQ(records(), 2u);
  // The next run (same store) replays both records, in order, and deletes them once sent.
  auto service = make_service();
  ASSERT_TRUE(service->restore().ok());
  service->start();
  auto sent = sender_.wait_for(2);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_NE(sent[0].body.find("urn:a"), std::string::npos);
  EXPECT_NE(sent[1].body.find("urn:b"), std::string::npos);
  for (int i = 0; i < 100 && records() > 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(records(), 0u);
  // A change that notifies nobody leaves no record behind either.
  EntityService entities(*store_, clock_, EntityService::Durability::kWaitForDisk, service.get());
  auto other = json::parse(R"({"id": "urn:x", "type": ["https://example.org/Other"]})");
  ASSERT_TRUE(entities.create("", other.as_object()).ok());
  for (int i = 0; i < 100 && records() > 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(records(), 0u);
  service->stop();
  crashed.reset();
}

// A batch's change record is made from the stored texts (EntityChange::before_text,
// after_text), not by serializing again: it must still hold exactly the states stored.
TEST_F(SubscriptionServiceTest, ChangeRecordsOfABatchHoldTheStoredStates) {
  RecordingSender down;
  down.set_failing(true);
  NotifierOptions patient;
  patient.retry_initial = 5ms;
  patient.max_attempts = 1000000;
  SubscriptionService service(*store_, clock_, contexts_.resolve_fn(), down, patient);
  ASSERT_TRUE(service.create("", payload(R"({"id": "urn:s:1"})"), Contexts::example()).ok());
  service.start();
  EntityService entities(*store_, clock_, EntityService::Durability::kWaitForDisk, &service);
  ASSERT_TRUE(entities.create("", light("urn:a", "on")).ok());
  auto stored_before = store_->get_latest("", "urn:a");
  ASSERT_TRUE(stored_before.ok() && stored_before->has_value());
  std::vector<BatchItem> items;
  items.emplace_back("urn:a", light("urn:a", "off"));
  items.emplace_back("urn:b", light("urn:b", "on"));
  auto outcome = entities.batch("", BatchKind::kUpsertUpdate, std::move(items));
  ASSERT_EQ(outcome.items.size(), 2u);
  ASSERT_FALSE(outcome.items[0].error || outcome.items[1].error);
  auto records = store_->list_documents("change-outbox");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);  // the create, then the batch (keys in write order)
  auto changes = json::parse(records->back().second).at("changes").as_array();
  ASSERT_EQ(changes.size(), 2u);
  for (const auto& change : changes) {
    std::string id(change.at("after").at("id").as_string());
    auto stored = store_->get_latest("", id);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ(change.at("after"), json::parse(**stored)) << id;
    if (id == "urn:a") {
      EXPECT_EQ(change.at("before"), json::parse(**stored_before));
    } else {
      EXPECT_FALSE(change.as_object().contains("before"));
    }
  }
  service.stop();
}

// Only the changes a subscription may match (its index finds a candidate) are recorded: a
// write that none may match writes no change record, a batch's record holds only the others.
TEST_F(SubscriptionServiceTest, OnlyChangesASubscriptionMayMatchAreRecorded) {
  auto service = make_service();
  ASSERT_TRUE(service->create("", payload(R"({"id": "urn:s:1"})"), Contexts::example()).ok());
  auto other = json::parse(R"({"id": "urn:x", "type": ["https://example.org/Other"]})");
  std::vector<EntityChange> unwatched{{std::nullopt, other.as_object()}};
  EXPECT_FALSE(service->record(service->next_sequence(), "", unwatched, clock_.now()));
  std::vector<EntityChange> mixed{{std::nullopt, other.as_object()},
                                  {std::nullopt, light("urn:a", "on")},
                                  {light("urn:b", "on"), light("urn:b", "off")}};
  auto record = service->record(service->next_sequence(), "", mixed, clock_.now());
  ASSERT_TRUE(record);
  auto changes = json::parse(record->value).at("changes").as_array();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].at("after").at("id"), "urn:a");
  EXPECT_FALSE(changes[0].as_object().contains("before"));
  EXPECT_EQ(changes[1].at("before"), light("urn:b", "on"));
  EXPECT_EQ(changes[1].at("after"), light("urn:b", "off"));
  // A tenant without subscriptions records nothing.
  EXPECT_FALSE(service->record(service->next_sequence(), "elsewhere", mixed, clock_.now()));
}

// Watches one tenant, records the ids it is shown, in order.
class RecordingObserver final : public ChangeObserver {
 public:
  bool wants(std::string_view tenant) const override { return tenant == "watched"; }
  void observe(std::string_view tenant, const std::vector<EntityChange>& changes,
               Instant) override {
    std::lock_guard lock(mutex_);
    for (const auto& change : changes) {
      const json::object& entity = change.after ? *change.after : *change.before;
      seen_.push_back(std::string(tenant) + " " + std::string(entity.at("id").as_string()) +
                      (change.after ? "" : " deleted"));
    }
  }
  std::vector<std::string> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> seen_;
};

TEST_F(SubscriptionServiceTest, ObserverSeesDurableChangesInOrderWithoutChangeRecords) {
  auto service = make_service();
  RecordingObserver observer;
  service->set_observer(&observer);
  service->start();
  {
    EntityService entities(*store_, clock_, EntityService::Durability::kWaitForDisk, service.get());
    ASSERT_TRUE(entities.create("watched", light("urn:a", "on")).ok());
    ASSERT_TRUE(entities.create("other", light("urn:b", "on")).ok());
    ASSERT_TRUE(entities.create("watched", light("urn:c", "on")).ok());
    ASSERT_TRUE(entities.remove("watched", "urn:a").ok());
  }
  // Nobody subscribed: the observer alone needs no record for a restart.
  EXPECT_EQ(store_->list_documents("change-outbox")->size(), 0u);
  service->stop();  // dispatches what was reported
  EXPECT_EQ(observer.seen(),
            (std::vector<std::string>{"watched urn:a", "watched urn:c", "watched urn:a deleted"}));
}

}  // namespace
}  // namespace citytwin::core

namespace citytwin::core {
namespace {

// Holds the dispatcher in observe() until opened, so that its backlog grows.
class GateObserver final : public ChangeObserver {
 public:
  bool wants(std::string_view) const override { return true; }
  void observe(std::string_view, const std::vector<EntityChange>& changes, Instant) override {
    std::unique_lock lock(mutex_);
    opened_.wait(lock, [&] { return open_; });
    seen_ += changes.size();
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }
  std::size_t seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
  std::size_t seen_ = 0;
};

std::vector<EntityChange> one_change(int n) {
  std::vector<EntityChange> changes;
  changes.emplace_back(std::nullopt, light("urn:n:" + std::to_string(n), "on"));
  return changes;
}

TEST_F(SubscriptionServiceTest, WritersWaitWhileTheDispatchBacklogIsFull) {
  GateObserver gate;
  auto service = make_observed(3, gate);
  std::atomic<int> reported{0};
  std::thread writer([&] {
    for (int n = 0; n < 10; ++n) {
      service->committed(service->next_sequence(), "", one_change(n), clock_.now(), true);
      ++reported;
    }
  });
  // The dispatcher holds change 0 in the gate; changes 1-3 fill the backlog, and the writer
  // reporting change 4 waits.
  for (int i = 0; i < 400 && reported.load() < 4; ++i) std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(reported.load(), 4);
  EXPECT_EQ(service->dispatch_backlog().changes, 4u);  // 1-3 waiting, and 4 in
  gate.open();
  writer.join();
  EXPECT_EQ(reported.load(), 10);
  EXPECT_GE(service->dispatch_backlog().writer_waits, 1u);
  EXPECT_GT(service->dispatch_backlog().writer_wait_seconds, 0.05);
  for (int i = 0; i < 200 && gate.seen() < 10; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(gate.seen(), 10u);
  service->stop();
}

TEST_F(SubscriptionServiceTest, AWriterNeverWaitsForAChangeNotYetReported) {
  GateObserver gate;
  gate.open();
  auto service = make_observed(2, gate);
  // Sequence 0 is reported last: the dispatcher waits for it, so the changes after it are
  // held however many they are, and their writers must not wait (the writer of 0 could be
  // behind them, as on the store's commit thread).
  std::uint64_t first = service->next_sequence();
  for (int n = 1; n <= 6; ++n) {
    service->committed(service->next_sequence(), "", one_change(n), clock_.now(), true);
  }
  service->committed(first, "", one_change(0), clock_.now(), true);
  for (int i = 0; i < 200 && gate.seen() < 7; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(gate.seen(), 7u);
  service->stop();
}

TEST_F(SubscriptionServiceTest, AWaitingWriterIsReleasedByStop) {
  GateObserver gate;
  auto service = make_observed(1, gate);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int n = 0; n < 5; ++n) {
      service->committed(service->next_sequence(), "", one_change(n), clock_.now(), true);
    }
    done = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(done.load());
  std::thread stopper([&] { service->stop(); });
  // stop() dispatches what was reported before it returns: the gate must open for that.
  std::this_thread::sleep_for(50ms);
  gate.open();
  stopper.join();
  writer.join();
  EXPECT_TRUE(done.load());
}

}  // namespace
}  // namespace citytwin::core
