#include "citytwin/ingest/ingest_service.hpp"

#include <gtest/gtest.h>

#include <future>

#include <boost/json.hpp>

#include "citytwin/store/memory_store.hpp"
#include "ingest_test_support.hpp"

namespace citytwin::ingest {
namespace {

class FixedClock final : public Clock {
 public:
  Instant now() const override {
    Instant start = *parse_date_time("2026-12-04T12:00:00Z");
    return Instant{start.micros + advanced_micros};
  }
  std::int64_t advanced_micros = 0;  // what a test moved the clock by
};

class IngestServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    provision_group(R"({"apikey": "k1", "resource": "/iot/d", "entity_type": "Room",
        "attributes": [
          {"object_id": "t", "name": "temperature", "type": "Number", "expression": "t * 10",
           "metadata": {"unitCode": {"type": "Text", "value": "CEL"}}},
          {"object_id": "b", "name": "batteryLevel", "type": "Number", "expression": "b / 100"},
          {"name": "label", "type": "Text", "expression": "'T=' + t"}],
        "static_attributes": [{"name": "floor", "type": "Number", "value": 3}]})",
                    ServiceScope{"city", "/b1"});
  }

  void provision_group(std::string_view json, ServiceScope scope) {
    auto group = parse_service_group(boost::json::parse(json).as_object(), std::move(scope));
    ASSERT_TRUE(group.ok()) << group.error().detail;
    ASSERT_TRUE(registry_.add_groups({std::move(*group)}).ok());
  }

  Measurement ul(std::string device, std::string payload, std::string apikey = "k1") {
    return ultralight_measure(std::move(device), std::move(payload), std::move(apikey));
  }

  boost::json::object entity(std::string_view tenant, std::string_view id) {
    auto found = entities_.get(tenant, id);
    EXPECT_TRUE(found.ok()) << id;
    return found.ok() ? *found : boost::json::object();
  }

  static const boost::json::object& attr(const boost::json::object& entity, std::string_view name) {
    return entity.at("attrs").at(vocab(name)).as_array().at(0).as_object();
  }

  FixedClock clock_;
  std::unique_ptr<store::EntityStore> store_ = store::make_memory_store();
  core::EntityService entities_{*store_, clock_};
  DeviceRegistry registry_{*store_};
  MetricsRegistry metrics_;
  IngestService ingest_{registry_, entities_, std::make_shared<CoreTerms>(), clock_, &metrics_};
};

TEST_F(IngestServiceTest, AutoprovisionedDeviceWritesMappedEntityAndDevice) {
  auto receipt = ingest_.write(ul("r1", "t|2.5|b|80|extra|x"));
  ASSERT_TRUE(receipt.ok()) << receipt.error().detail;
  EXPECT_TRUE(receipt->autoprovisioned);
  EXPECT_EQ(receipt->tenant, "city");
  EXPECT_EQ(receipt->entity_id, "urn:ngsi-ld:Room:r1");
  EXPECT_EQ(receipt->device_entity_id, "urn:ngsi-ld:Device:b1:r1");

  auto room = entity("city", "urn:ngsi-ld:Room:r1");
  EXPECT_EQ(attr(room, "temperature").at("value"), boost::json::value(25));
  EXPECT_EQ(attr(room, "temperature").at("unitCode"), "CEL");
  EXPECT_EQ(attr(room, "temperature").at("observedAt"), "2026-12-04T12:00:00.000Z");
  EXPECT_EQ(attr(room, "label").at("value"), "T=2.5");
  EXPECT_EQ(attr(room, "extra").at("value"), "x");  // unmapped, explicitAttrs off
  EXPECT_EQ(attr(room, "floor").at("value"), boost::json::value(3));
  EXPECT_EQ(room.at("scope").as_array().at(0), "/b1");

  auto device = entity("city", "urn:ngsi-ld:Device:b1:r1");
  EXPECT_EQ(attr(device, "dateLastValueReported").at("value").at("@value"),
            "2026-12-04T12:00:00.000Z");
  EXPECT_EQ(attr(device, "controlledAsset").at("object"), "urn:ngsi-ld:Room:r1");
  EXPECT_EQ(attr(device, "batteryLevel").at("value"), boost::json::value(0.8));
  EXPECT_TRUE(registry_.find_device({"city", "/b1"}, "r1").has_value());
}

// controlledAsset and supportedProtocol change only with provisioning or the transport:
// written with a device's first measure and when its transport changes, not with every
// measure (each write would add a history sample of each); dateLastValueReported is
// written with every measure here, as they come the report interval (10 s) apart.
TEST_F(IngestServiceTest, DeviceLinksAreWrittenOnlyWhenTheyChange) {
  const std::string device_id = "urn:ngsi-ld:Device:b1:r1";
  auto samples = [&](const std::string& id, std::string_view name) {
    auto history = store_->history("city", id, vocab(name), {}, 100);
    EXPECT_TRUE(history.ok());
    return history.ok() ? history->size() : 0;
  };
  // The clock moves between measures: a write of an unchanged instance adds no sample.
  auto write = [&](const Measurement& measurement) {
    clock_.advanced_micros += 10'000'000;
    return ingest_.write(measurement).ok();
  };
  // The first measure autoprovisions the device, a provisioning change: the second writes
  // the static attributes and the links again.
  ASSERT_TRUE(write(ul("r1", "t|1")));
  ASSERT_TRUE(write(ul("r1", "t|1")));
  std::size_t links = samples(device_id, "controlledAsset");
  std::size_t statics = samples("urn:ngsi-ld:Room:r1", "floor");
  ASSERT_GE(links, 1u);
  EXPECT_EQ(samples(device_id, "supportedProtocol"), links);
  EXPECT_EQ(samples(device_id, "dateLastValueReported"), 2u);

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(write(ul("r1", "t|1")));
  EXPECT_EQ(samples(device_id, "dateLastValueReported"), 5u);
  EXPECT_EQ(samples(device_id, "controlledAsset"), links);
  EXPECT_EQ(samples(device_id, "supportedProtocol"), links);

  Measurement other = ul("r1", "t|2");  // another transport: supportedProtocol changes
  other.transport = "MQTT";
  ASSERT_TRUE(write(other));
  ASSERT_TRUE(write(other));
  auto device = entity("city", device_id);
  EXPECT_EQ(attr(device, "supportedProtocol").at("value"), boost::json::array{"mqtt"});
  EXPECT_EQ(attr(device, "controlledAsset").at("object"), "urn:ngsi-ld:Room:r1");
  EXPECT_EQ(samples(device_id, "supportedProtocol"), links + 1);
  EXPECT_EQ(samples(device_id, "dateLastValueReported"), 7u);
  EXPECT_EQ(samples("urn:ngsi-ld:Room:r1", "floor"), statics);
}

TEST_F(IngestServiceTest, TimestampedGroupsAllReachTheHistory) {
  ASSERT_TRUE(ingest_.write(ul("r1", "2026-12-04T10:00:00Z|t|1#2026-12-04T10:05:00Z|t|2")).ok());
  auto history = store_->history("city", "urn:ngsi-ld:Room:r1", vocab("temperature"), {}, 100);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ(format_date_time(Instant{*(*history)[0].observed_at}), "2026-12-04T10:00:00.000Z");
  auto room = entity("city", "urn:ngsi-ld:Room:r1");
  EXPECT_EQ(attr(room, "temperature").at("value"), boost::json::value(20));
}

TEST_F(IngestServiceTest, BadInputWritesNothing) {
  // The second group fails its Number type after the expression: the first is not written.
  auto bad = ingest_.write(ul("r1", "t|1#t|abc"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kBadRequestData);
  EXPECT_NE(bad.error().detail.find("temperature"), std::string::npos);
  EXPECT_FALSE(entities_.get("city", "urn:ngsi-ld:Room:r1").ok());
  EXPECT_FALSE(registry_.find_device({"city", "/b1"}, "r1").has_value());  // not autoprovisioned
  EXPECT_FALSE(ingest_.write(ul("r1", "t|1|h")).ok());
  EXPECT_NE(metrics_.render().find(
                R"(citytwin_ingest_measurements_total{transport="test",outcome="invalid"} 2)"),
            std::string::npos);
}

TEST_F(IngestServiceTest, UnknownApikeyAndDeviceAreRejected) {
  auto unknown = ingest_.write(ul("r1", "t|1", "nope"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().title, kGroupNotFound);
  provision_group(R"({"apikey": "closed", "resource": "/iot/d", "autoprovision": false})",
                  ServiceScope{});
  auto device = ingest_.write(ul("ghost", "t|1", "closed"));
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.error().title, kDeviceNotFound);
  EXPECT_EQ(device.error().kind, ErrorKind::kResourceNotFound);
}

TEST_F(IngestServiceTest, AuthorizeSeesTheGroupsTenantBeforeAnyWrite) {
  Measurement m = ul("r1", "t|1");
  std::string seen;
  m.authorize = [&seen](std::string_view tenant) -> Status {
    seen = tenant;
    return make_error(ErrorKind::kForbidden, "not yours");
  };
  auto refused = ingest_.write(m);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(seen, "city");
  EXPECT_FALSE(registry_.find_device({"city", "/b1"}, "r1").has_value());
}

TEST_F(IngestServiceTest, ProvisionedDeviceWithMultiEntityAndExplicitAttrs) {
  auto device = parse_device(boost::json::parse(R"({
      "device_id": "m1", "entity_name": "meter-1", "entity_type": "Meter", "explicitAttrs": true,
      "attributes": [
        {"object_id": "c1", "name": "volume", "type": "Number",
         "entity_name": "urn:ngsi-ld:WaterMeter:A", "entity_type": "WaterMeter"},
        {"object_id": "p", "name": "location", "type": "geo:point"}]})")
                                 .as_object(),
                             ServiceScope{"city", "/b1"});
  ASSERT_TRUE(device.ok()) << device.error().detail;
  ASSERT_TRUE(registry_.add_devices({*device}).ok());
  auto receipt = ingest_.write(ul("m1", "c1|7|p|40.4, -3.7|ignored|1"));
  ASSERT_TRUE(receipt.ok()) << receipt.error().detail;
  EXPECT_EQ(receipt->entity_id, "urn:ngsi-ld:Meter:meter-1");
  auto meter = entity("city", "urn:ngsi-ld:Meter:meter-1");
  const auto& location =
      meter.at("attrs").at(model::form::kLocationIri).as_array().at(0).as_object();
  EXPECT_EQ(location.at("value").at("coordinates"), (boost::json::array{-3.7, 40.4}));
  EXPECT_FALSE(meter.at("attrs").as_object().contains(vocab("ignored")));
  // Invalid GeoJSON from a device is rejected by the NGSI-LD geometry checks.
  Measurement json = ul("m1", R"({"p": {"type": "Point", "coordinates": [500, 1]}})");
  json.format = PayloadFormat::kJson;
  auto bad_point = ingest_.write(json);
  ASSERT_FALSE(bad_point.ok());
  EXPECT_EQ(bad_point.error().kind, ErrorKind::kBadRequestData);
  auto water = entity("city", "urn:ngsi-ld:WaterMeter:A");
  EXPECT_EQ(attr(water, "volume").at("value"), boost::json::value(7));
}

TEST_F(IngestServiceTest, JsonPayloadWithTimeInstantAndEntityNameExp) {
  provision_group(R"J({"apikey": "j", "resource": "/iot/json", "entity_type": "Sensor",
                      "entityNameExp": "'sensor-' + toUpper(id)"})J",
                  ServiceScope{});
  Measurement m;
  m.transport = "test";
  m.apikey = "j";
  m.device_id = "abc";
  m.resource = "/iot/json";
  m.payload = R"([{"n": 1, "TimeInstant": "2026-12-01T00:00:00Z"}, {"n": 2}])";
  auto receipt = ingest_.write(m);
  ASSERT_TRUE(receipt.ok()) << receipt.error().detail;
  EXPECT_EQ(receipt->entity_id, "urn:ngsi-ld:Sensor:sensor-ABC");
  EXPECT_EQ(receipt->groups, 2u);
  auto sensor = entity("", "urn:ngsi-ld:Sensor:sensor-ABC");
  EXPECT_EQ(attr(sensor, "n").at("value"), boost::json::value(2));
  EXPECT_EQ(attr(sensor, "n").at("observedAt"), "2026-12-04T12:00:00.000Z");
}

TEST_F(IngestServiceTest, IngestCallsDoneOnceDurable) {
  // An accepted measure is written by the writer thread: done comes from there, once.
  std::promise<bool> written;
  ingest_.ingest(ul("r9", "t|1"),
                 [&written](Result<IngestReceipt> receipt) { written.set_value(receipt.ok()); });
  EXPECT_TRUE(written.get_future().get());
  EXPECT_EQ(attr(entity("city", "urn:ngsi-ld:Room:r9"), "temperature").at("value"),
            boost::json::value(10));
  // A refused one is answered at once, on the calling thread.
  bool failed = false;
  ingest_.ingest(ul("r9", "t|"),
                 [&failed](Result<IngestReceipt> receipt) { failed = !receipt.ok(); });
  EXPECT_TRUE(failed);
}

TEST_F(IngestServiceTest, IngestedMeasuresOfOneEntityEachStayInHistory) {
  constexpr int kMeasures = 50;
  std::vector<std::promise<bool>> written(kMeasures);
  for (int i = 0; i < kMeasures; ++i) {
    ingest_.ingest(ul("r10", "t|" + std::to_string(i)), [&written, i](Result<IngestReceipt> r) {
      written[static_cast<std::size_t>(i)].set_value(r.ok());
    });
  }
  for (auto& one : written) EXPECT_TRUE(one.get_future().get());
  // Written together or not, every measure is a sample of the history.
  auto history = store_->history("city", "urn:ngsi-ld:Room:r10", vocab("temperature"), {}, 1000);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), static_cast<std::size_t>(kMeasures));
  EXPECT_EQ(attr(entity("city", "urn:ngsi-ld:Room:r10"), "temperature").at("value"),
            boost::json::value((kMeasures - 1) * 10));
}

}  // namespace
}  // namespace citytwin::ingest

namespace citytwin::ingest {
namespace {

TEST_F(IngestServiceTest, AutoprovisionedDevicesReadBackAfterRestart) {
  ASSERT_TRUE(ingest_.write(ul("r5", "t|1")).ok());
  DeviceRegistry reopened(*store_);
  auto problems = reopened.restore();
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty()) << problems->front();
  auto device = reopened.find_device({"city", "/b1"}, "r5");
  ASSERT_TRUE(device.has_value());
  EXPECT_TRUE(device->autoprovisioned);
  EXPECT_EQ(device->transport, "");  // "test" is no transport a device can name
}

TEST_F(IngestServiceTest, EntityNameExpGivingAnInvalidNameRejectsTheMeasure) {
  provision_group(R"J({"apikey": "sp", "resource": "/iot/d", "entityNameExp": "'a b' + id"})J",
                  ServiceScope{});
  auto result = ingest_.write(ul("x1", "t|1", "sp"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kBadRequestData);
  EXPECT_FALSE(registry_.find_device({}, "x1").has_value());
}

}  // namespace
}  // namespace citytwin::ingest
