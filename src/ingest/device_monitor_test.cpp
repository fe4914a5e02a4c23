#include "citytwin/ingest/device_monitor.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "citytwin/ingest/ingest_service.hpp"
#include "citytwin/store/memory_store.hpp"
#include "ingest_test_support.hpp"

namespace citytwin::ingest {
namespace {

class SettableClock final : public Clock {
 public:
  Instant now() const override { return now_; }
  void advance_seconds(std::int64_t seconds) { now_.micros += seconds * 1000000; }

 private:
  Instant now_ = *parse_date_time("2026-12-04T12:00:00Z");
};

class DeviceMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto group = parse_service_group(
        boost::json::parse(R"({"apikey": "k", "entity_type": "Bin", "expectedPeriod": 60})")
            .as_object(),
        ServiceScope{"city", "/"});
    ASSERT_TRUE(group.ok());
    ASSERT_TRUE(registry_.add_groups({*group}).ok());
  }

  Status report(std::string device) {
    Measurement m;
    m.transport = "test";
    m.apikey = "k";
    m.device_id = std::move(device);
    m.format = PayloadFormat::kUltraLight;
    m.payload = "f|1";
    auto receipt = ingest_.write(m);
    if (!receipt) return receipt.error();
    return ok_status();
  }

  std::string state(std::string_view device) {
    auto entity = entities_.get("city", "urn:ngsi-ld:Device:" + std::string(device));
    if (!entity) return "<no entity>";
    const auto* attr = entity->at("attrs").as_object().if_contains(vocab("deviceState"));
    if (attr == nullptr) return "";
    return std::string(attr->as_array().at(0).at("value").as_string());
  }

  SettableClock clock_;
  std::unique_ptr<store::EntityStore> store_ = store::make_memory_store();
  core::EntityService entities_{*store_, clock_};
  DeviceRegistry registry_{*store_};
  std::shared_ptr<CoreTerms> terms_ = std::make_shared<CoreTerms>();
  IngestService ingest_{registry_, entities_, terms_, clock_};
  MetricsRegistry metrics_;
  DeviceMonitor monitor_{registry_, entities_, terms_, clock_, &metrics_};
};

TEST_F(DeviceMonitorTest, SilentDevicesAreFlaggedOnceAndClearedByTheirNextReport) {
  ASSERT_TRUE(report("b1").ok());
  ASSERT_TRUE(report("b2").ok());
  EXPECT_EQ(state("b1"), "ok");
  clock_.advance_seconds(50);
  ASSERT_TRUE(report("b2").ok());
  EXPECT_EQ(*monitor_.check(), 0u);  // within the period

  clock_.advance_seconds(20);  // b1: 70 s silent, b2: 20 s
  EXPECT_EQ(*monitor_.check(), 1u);
  EXPECT_EQ(state("b1"), "silent");
  EXPECT_EQ(state("b2"), "ok");
  EXPECT_EQ(*monitor_.check(), 0u);  // already flagged
  EXPECT_NE(metrics_.render().find("citytwin_ingest_devices_flagged_silent_total 1"),
            std::string::npos);

  ASSERT_TRUE(report("b1").ok());
  EXPECT_EQ(state("b1"), "ok");
  // The flag and its clearing are in the Device entity's history.
  auto history = store_->history("city", "urn:ngsi-ld:Device:b1", vocab("deviceState"), {}, 10);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 3u);  // ok, silent, ok
}

TEST_F(DeviceMonitorTest, DevicesWithoutPeriodOrReportsAreLeftAlone) {
  auto group = parse_service_group(boost::json::parse(R"({"apikey": "free"})").as_object(),
                                   ServiceScope{"city", "/other"});
  ASSERT_TRUE(group.ok());
  ASSERT_TRUE(registry_.add_groups({*group}).ok());
  auto never =
      parse_device(boost::json::parse(R"({"device_id": "quiet", "apikey": "k"})").as_object(),
                   ServiceScope{"city", "/"});
  ASSERT_TRUE(registry_.add_devices({*never}).ok());
  Measurement m;
  m.transport = "test";
  m.apikey = "free";
  m.device_id = "loose";
  m.format = PayloadFormat::kUltraLight;
  m.payload = "f|1";
  ASSERT_TRUE(ingest_.write(m).ok());
  clock_.advance_seconds(100000);
  EXPECT_EQ(*monitor_.check(), 0u);
  EXPECT_EQ(state("quiet"), "<no entity>");
  EXPECT_EQ(registry_.watched_devices().size(), 1u);  // "quiet" only: "loose" has no period
}

}  // namespace
}  // namespace citytwin::ingest
