// The Device entity's dateLastValueReported is written at most once per
// IngestOptions::device_report_interval; newer reports wait for the measure writer.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include <boost/json.hpp>

#include "citytwin/ingest/ingest_service.hpp"
#include "citytwin/store/memory_store.hpp"
#include "ingest_test_support.hpp"

namespace citytwin::ingest {
namespace {

constexpr std::int64_t kMinute = 60'000'000;  // µs

class StepClock final : public Clock {
 public:
  Instant now() const override { return Instant{start_.micros + advanced_micros}; }
  Instant start() const { return start_; }
  std::int64_t advanced_micros = 0;

 private:
  Instant start_ = *parse_date_time("2026-12-04T12:00:00Z");
};

class DeviceReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    provision(R"({"apikey": "k1", "resource": "/iot/d", "entity_type": "Room",
        "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"},
                       {"object_id": "b", "name": "batteryLevel", "type": "Number"}]})");
    provision(R"({"apikey": "w1", "resource": "/iot/d", "entity_type": "Bin",
        "expectedPeriod": 3600})");
  }

  void provision(std::string_view json) {
    auto group = parse_service_group(boost::json::parse(json).as_object(), {"city", "/"});
    ASSERT_TRUE(group.ok()) << group.error().detail;
    ASSERT_TRUE(registry_.add_groups({std::move(*group)}).ok());
  }

  // The writer's own passes come an interval apart (an hour in these tests, zero: none), so a
  // test decides when waiting reports are written (write_deferred_reports), except for the
  // pass when the service stops.
  std::unique_ptr<IngestService> service(std::chrono::milliseconds interval) {
    IngestOptions options;
    options.device_report_interval = interval;
    options.device_report_pass = interval;
    return std::make_unique<IngestService>(registry_, entities_, std::make_shared<CoreTerms>(),
                                           clock_, nullptr, options);
  }

  // A device's first two measures write its Device entity whole (the first autoprovisions
  // the device, a provisioning change after which the second writes the links again).
  void first_measures(IngestService& ingest, std::string device, std::string apikey = "k1") {
    measure(ingest, device, "t|0", apikey);
    measure(ingest, device, "t|0", apikey);
  }

  void measure(IngestService& ingest, std::string device, std::string payload,
               std::string apikey = "k1") {
    auto receipt =
        ingest.write(ultralight_measure(std::move(device), std::move(payload), std::move(apikey)));
    ASSERT_TRUE(receipt.ok()) << receipt.error().detail;
  }

  // The Device entity's dateLastValueReported, as minutes after the clock's start.
  double reported_minute(std::string_view device_entity) {
    auto device = entities_.get("city", device_entity);
    if (!device.ok()) return -1;
    const auto& text = device->at("attrs")
                           .at(vocab("dateLastValueReported"))
                           .as_array()
                           .at(0)
                           .at("value")
                           .at("@value")
                           .as_string();
    auto at = parse_date_time(text);
    return at ? static_cast<double>(at->micros - clock_.start().micros) / kMinute : -1;
  }

  std::size_t report_samples(std::string_view device_entity) {
    auto history = store_->history("city", device_entity, vocab("dateLastValueReported"), {}, 100);
    EXPECT_TRUE(history.ok());
    return history.ok() ? history->size() : 0;
  }

  double temperature(std::string_view id) {
    auto room = entities_.get("city", id);
    if (!room.ok()) return -1;
    return room->at("attrs")
        .at(vocab("temperature"))
        .as_array()
        .at(0)
        .at("value")
        .to_number<double>();
  }

  StepClock clock_;
  std::unique_ptr<store::EntityStore> store_ = store::make_memory_store();
  core::EntityService entities_{*store_, clock_};
  DeviceRegistry registry_{*store_};
};

constexpr std::chrono::milliseconds kHour = std::chrono::hours(1);
constexpr const char* kDevice = "urn:ngsi-ld:Device:r1";

TEST_F(DeviceReportTest, ReportsWithinTheIntervalWaitForTheWriter) {
  auto ingest = service(kHour);
  first_measures(*ingest, "r1");
  EXPECT_EQ(reported_minute(kDevice), 0);
  clock_.advanced_micros += 10 * kMinute;
  measure(*ingest, "r1", "t|2");
  clock_.advanced_micros += 10 * kMinute;
  measure(*ingest, "r1", "t|3");
  // The measures are in the twin; the Device entity still says when the first came.
  EXPECT_EQ(temperature("urn:ngsi-ld:Room:r1"), 3);
  EXPECT_EQ(reported_minute(kDevice), 0);
  EXPECT_EQ(report_samples(kDevice), 1u);  // the first two measures came at the same time
  // Not before an interval since the Device entity's last write.
  EXPECT_EQ(ingest->write_deferred_reports(), 0u);

  // Then the writer's pass writes the newest waiting report, once.
  clock_.advanced_micros += 40 * kMinute;
  EXPECT_EQ(ingest->write_deferred_reports(), 1u);
  EXPECT_EQ(reported_minute(kDevice), 20);
  EXPECT_EQ(report_samples(kDevice), 2u);
  EXPECT_EQ(ingest->write_deferred_reports(), 0u);

  // A report an interval after the last one written goes with its measure again.
  clock_.advanced_micros += 21 * kMinute;
  measure(*ingest, "r1", "t|4");
  EXPECT_EQ(reported_minute(kDevice), 81);
  EXPECT_EQ(ingest->write_deferred_reports(), 0u);
  EXPECT_EQ(report_samples(kDevice), 3u);
}

TEST_F(DeviceReportTest, AReportWrittenWithItsMeasureDropsAnOlderWaitingOne) {
  auto ingest = service(kHour);
  first_measures(*ingest, "r1");
  clock_.advanced_micros += 30 * kMinute;
  measure(*ingest, "r1", "t|2");  // waits
  clock_.advanced_micros += 40 * kMinute;
  measure(*ingest, "r1", "t|3");  // 70 minutes after the last written one: written
  EXPECT_EQ(reported_minute(kDevice), 70);
  EXPECT_EQ(ingest->write_deferred_reports(), 0u);  // the time never moves back
  EXPECT_EQ(reported_minute(kDevice), 70);
}

// A pass writes at most kReportsPerPass Device entities, so that the measures queued behind it
// do not wait long; the next pass goes on.
TEST_F(DeviceReportTest, APassIsBounded) {
  auto ingest = service(kHour);
  const std::size_t devices = IngestService::kReportsPerPass + 3;
  auto name = [](std::size_t k) { return "d" + std::to_string(k); };
  // Autoprovisioning is a provisioning change after which each device writes its whole Device
  // entity again: all are provisioned before that second round.
  for (std::size_t k = 0; k < devices; ++k) measure(*ingest, name(k), "t|0");
  for (std::size_t k = 0; k < devices; ++k) measure(*ingest, name(k), "t|0");
  clock_.advanced_micros += kMinute;
  for (std::size_t k = 0; k < devices; ++k) measure(*ingest, name(k), "t|1");
  clock_.advanced_micros += kHour.count() * 1000;
  EXPECT_EQ(ingest->write_deferred_reports(), IngestService::kReportsPerPass);
  EXPECT_EQ(ingest->write_deferred_reports(), 3u);
  for (std::size_t k = 0; k < devices; ++k) {
    EXPECT_EQ(reported_minute("urn:ngsi-ld:Device:" + name(k)), 1) << name(k);
  }
}

TEST_F(DeviceReportTest, StoppingWritesTheWaitingReports) {
  {
    auto ingest = service(kHour);
    first_measures(*ingest, "r1");
    first_measures(*ingest, "r2");
    measure(*ingest, "r1", "t|0");  // r2's autoprovisioning made r1 write its links again
    clock_.advanced_micros += 5 * kMinute;
    measure(*ingest, "r1", "t|2");
    measure(*ingest, "r2", "t|2");
    EXPECT_EQ(reported_minute(kDevice), 0);
  }
  EXPECT_EQ(reported_minute(kDevice), 5);
  EXPECT_EQ(reported_minute("urn:ngsi-ld:Device:r2"), 5);
}

// A measure that changes another attribute of the Device entity (here its battery) writes the
// report with it; watched devices (an expected period) get every report, since silence is
// judged by it; a zero interval writes every report.
TEST_F(DeviceReportTest, SomeReportsAreNeverDeferred) {
  auto ingest = service(kHour);
  first_measures(*ingest, "r1");
  clock_.advanced_micros += kMinute;
  measure(*ingest, "r1", "t|1|b|70");
  EXPECT_EQ(reported_minute(kDevice), 1);

  first_measures(*ingest, "w1", "w1");
  clock_.advanced_micros += kMinute;
  measure(*ingest, "w1", "t|2", "w1");
  EXPECT_EQ(reported_minute("urn:ngsi-ld:Device:w1"), 2);
  EXPECT_EQ(ingest->write_deferred_reports(), 0u);

  auto every = service(std::chrono::milliseconds::zero());
  clock_.advanced_micros += kMinute;
  measure(*every, "r1", "t|5");
  clock_.advanced_micros += kMinute;
  measure(*every, "r1", "t|6");
  EXPECT_EQ(reported_minute(kDevice), 4);
}

}  // namespace
}  // namespace citytwin::ingest
