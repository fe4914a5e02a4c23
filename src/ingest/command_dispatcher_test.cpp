#include "citytwin/ingest/command_dispatcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>

#include "citytwin/model/entity_parser.hpp"
#include "citytwin/store/memory_store.hpp"
#include "ingest_test_support.hpp"

namespace citytwin::ingest {
namespace {

class ManualClock final : public Clock {
 public:
  Instant now() const override { return Instant{micros.load()}; }
  std::atomic<std::int64_t> micros{parse_date_time("2026-12-05T10:00:00Z")->micros};
};

// Records what it is asked to send and answers as told.
class FakeTransport final : public CommandTransport {
 public:
  Result<std::optional<boost::json::value>> send(const DeviceCommand& command) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(encode_command(command));
    changed_.notify_all();
    return answer_;
  }
  std::vector<std::string> wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return sent_.size() >= count; });
    return sent_;
  }
  Result<std::optional<boost::json::value>> answer_ = std::optional<boost::json::value>();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> sent_;
};

constexpr std::string_view kLamp = "urn:ngsi-ld:Streetlight:lamp1";

class CommandDispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto group = parse_service_group(
        boost::json::parse(R"({"apikey": "k1", "entity_type": "Streetlight"})").as_object(),
        ServiceScope{"city", "/"});
    ASSERT_TRUE(group.ok());
    ASSERT_TRUE(registry_.add_groups({std::move(*group)}).ok());
    add_device(R"({"device_id": "lamp1", "apikey": "k1", "transport": "MQTT",
                   "commands": [{"name": "switch", "type": "command"}]})");
    entities_.set_write_hook(&commands_);
  }
  void TearDown() override {
    commands_.stop();
    entities_.set_write_hook(nullptr);
  }

  void add_device(std::string_view json) {
    auto device = parse_device(boost::json::parse(json).as_object(), ServiceScope{"city", "/"});
    ASSERT_TRUE(device.ok()) << device.error().detail;
    ASSERT_TRUE(registry_.add_devices({std::move(*device)}).ok());
    auto synced = commands_.sync_entities();
    ASSERT_TRUE(synced.ok()) << synced.error().detail;
  }

  boost::json::value attr(std::string_view id, std::string_view name) {
    auto entity = entities_.get("city", id);
    EXPECT_TRUE(entity.ok()) << id;
    if (!entity.ok()) return nullptr;
    const auto* attribute = entity->at("attrs").as_object().if_contains(vocab(name));
    return attribute ? attribute->as_array().at(0).at("value") : boost::json::value();
  }

  void set_command(std::string_view id, std::string_view name, boost::json::value value) {
    boost::json::object fragment{{std::string(name), {{"type", "Property"}, {"value", value}}}};
    auto attrs = model::parse_attributes(fragment, *terms_, {});
    ASSERT_TRUE(attrs.ok());
    ASSERT_TRUE(entities_.update_attributes("city", id, *attrs).ok());
  }

  std::size_t queued_records() {
    auto documents = store_->list_documents("iot.command");
    return documents.ok() ? documents->size() : 0;
  }

  ManualClock clock_;
  std::unique_ptr<store::EntityStore> store_ = store::make_memory_store();
  core::EntityService entities_{*store_, clock_};
  DeviceRegistry registry_{*store_};
  std::shared_ptr<const jsonld::TermMapper> terms_ = std::make_shared<CoreTerms>();
  CommandOptions options_{.expiry_s = 60, .check_interval = std::chrono::milliseconds(10)};
  CommandDispatcher commands_{registry_, entities_, terms_, clock_, nullptr, options_};
  FakeTransport mqtt_;
};

TEST_F(CommandDispatcherTest, ProvisioningGivesTheEntityItsCommandAttributes) {
  EXPECT_EQ(attr(kLamp, "switch"), "");
  EXPECT_EQ(attr(kLamp, "switch_status"), "UNKNOWN");
  EXPECT_EQ(attr(kLamp, "switch_info"), "");
}

TEST_F(CommandDispatcherTest, AChangedCommandIsQueuedDurablyInTheSameWrite) {
  set_command(kLamp, "switch", "on");
  EXPECT_EQ(attr(kLamp, "switch_status"), "PENDING");
  EXPECT_EQ(queued_records(), 1u);
  EXPECT_EQ(commands_.pending(), 1u);
  // Other attributes are not commands.
  set_command(kLamp, "switch_info", "x");
  EXPECT_EQ(commands_.pending(), 1u);
}

TEST_F(CommandDispatcherTest, SentCommandsCompleteWithTheDevicesResult) {
  commands_.add_transport("MQTT", mqtt_);
  commands_.start();
  set_command(kLamp, "switch", "on");
  EXPECT_EQ(mqtt_.wait_for(1), std::vector<std::string>{R"({"switch":"on"})"});
  EXPECT_EQ(attr(kLamp, "switch_status"), "PENDING");
  ASSERT_TRUE(
      commands_.complete("mqtt", "k1", "lamp1", PayloadFormat::kJson, R"({"switch": "done"})", {})
          .ok());
  EXPECT_EQ(attr(kLamp, "switch_status"), "OK");
  EXPECT_EQ(attr(kLamp, "switch_info"), "done");
  EXPECT_EQ(commands_.pending(), 0u);
  // Results for something that is not one of the device's commands write nothing.
  EXPECT_FALSE(
      commands_.complete("mqtt", "k1", "lamp1", PayloadFormat::kJson, R"({"other": 1})", {}).ok());
  EXPECT_FALSE(commands_.complete("mqtt", "k1", "nobody", PayloadFormat::kJson, "{}", {}).ok());
  EXPECT_FALSE(commands_.complete("mqtt", "k1", "lamp1", PayloadFormat::kJson, "{", {}).ok());
  EXPECT_EQ(attr(kLamp, "switch_info"), "done");
}

TEST_F(CommandDispatcherTest, TransportsThatDecodeResultsReportThemDirectly) {
  set_command(kLamp, "switch", "on");
  EXPECT_FALSE(commands_.report_results("lorawan", "k1", "lamp1", {}, {}).ok());
  EXPECT_FALSE(commands_.report_results("lorawan", "k1", "lamp1", {{"dim", 1}}, {}).ok());
  EXPECT_EQ(commands_.pending(), 1u);
  ASSERT_TRUE(commands_.report_results("lorawan", "k1", "lamp1", {{"switch", 1}}, {}).ok());
  EXPECT_EQ(attr(kLamp, "switch_status"), "OK");
  EXPECT_EQ(attr(kLamp, "switch_info"), 1);
  EXPECT_EQ(commands_.pending(), 0u);
}

TEST_F(CommandDispatcherTest, ATransportThatFailsGivesError) {
  mqtt_.answer_ = make_error(ErrorKind::kServiceUnavailable, "device unreachable");
  commands_.add_transport("MQTT", mqtt_);
  commands_.start();
  set_command(kLamp, "switch", "on");
  mqtt_.wait_for(1);
  for (int i = 0; i < 1000 && attr(kLamp, "switch_status") != "ERROR"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(attr(kLamp, "switch_status"), "ERROR");
  EXPECT_EQ(attr(kLamp, "switch_info"), "device unreachable");
}

TEST_F(CommandDispatcherTest, PollingDevicesFetchTheirCommandsOnce) {
  add_device(R"({"device_id": "meter1", "apikey": "k1", "transport": "HTTP",
                 "entity_name": "urn:ngsi-ld:Meter:meter1",
                 "commands": [{"name": "reset", "type": "command"}]})");
  set_command("urn:ngsi-ld:Meter:meter1", "reset", 1);
  auto polled = commands_.poll("k1", "meter1", "", {});
  ASSERT_TRUE(polled.ok()) << polled.error().detail;
  EXPECT_EQ(encode_commands(*polled, PayloadFormat::kJson), R"({"reset":1})");
  EXPECT_EQ(attr("urn:ngsi-ld:Meter:meter1", "reset_status"), "DELIVERED");
  EXPECT_TRUE(commands_.poll("k1", "meter1", "", {})->empty());
  // The caller's key must cover the group's tenant.
  auto refused = commands_.poll("k1", "meter1", "", [](std::string_view) {
    return Status(make_error(ErrorKind::kForbidden, "no"));
  });
  EXPECT_FALSE(refused.ok());
}

TEST_F(CommandDispatcherTest, ACommandExpressionComputesWhatIsSent) {
  add_device(R"({"device_id": "dimmer1", "apikey": "k1", "transport": "HTTP",
                 "entity_name": "urn:ngsi-ld:Dimmer:dimmer1",
                 "commands": [{"name": "dim", "type": "command", "expression": "level * 10"},
                              {"name": "fail", "type": "command", "expression": "fail / 0"}]})");
  set_command("urn:ngsi-ld:Dimmer:dimmer1", "dim", boost::json::object{{"level", 4}});
  auto polled = commands_.poll("k1", "dimmer1", "", {});
  ASSERT_TRUE(polled.ok()) << polled.error().detail;
  EXPECT_EQ(encode_commands(*polled, PayloadFormat::kJson), R"({"dim":40})");
  // An expression that fails sends nothing: ERROR, with the reason, in the same write.
  set_command("urn:ngsi-ld:Dimmer:dimmer1", "fail", 1);
  EXPECT_EQ(attr("urn:ngsi-ld:Dimmer:dimmer1", "fail_status"), "ERROR");
  EXPECT_TRUE(
      attr("urn:ngsi-ld:Dimmer:dimmer1", "fail_info").as_string().starts_with("expression"));
  EXPECT_EQ(commands_.pending(), 1u);  // only dim, DELIVERED
}

TEST_F(CommandDispatcherTest, UnansweredCommandsExpire) {
  set_command(kLamp, "switch", "on");
  EXPECT_EQ(commands_.expire(), 0u);
  clock_.micros += 61'000'000;
  EXPECT_EQ(commands_.expire(), 1u);
  EXPECT_EQ(attr(kLamp, "switch_status"), "EXPIRED");
  EXPECT_EQ(commands_.pending(), 0u);
}

TEST_F(CommandDispatcherTest, QueuedCommandsAreRestored) {
  set_command(kLamp, "switch", "on");
  CommandDispatcher restarted(registry_, entities_, terms_, clock_, nullptr, options_);
  auto problems = restarted.restore();
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty());
  EXPECT_EQ(restarted.pending(), 1u);
  // MQTT resends only when the device subscribes again (the fake says it resends at start).
  FakeTransport transport;
  restarted.add_transport("MQTT", transport);
  restarted.start();
  EXPECT_EQ(transport.wait_for(1), std::vector<std::string>{R"({"switch":"on"})"});
  restarted.stop();
}

}  // namespace
}  // namespace citytwin::ingest
