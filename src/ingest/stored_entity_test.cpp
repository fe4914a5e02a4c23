#include "stored_entity.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "citytwin/ingest/ingest_service.hpp"
#include "citytwin/model/entity_parser.hpp"
#include "device_mapping.hpp"
#include "ingest_test_support.hpp"

// Differential test of the direct stored form (stored_entity) against what ingestion wrote
// before it: the normalized entities of DeviceMapping::entities parsed by model::parse_entity.
// Every entity of every case and of every way ingestion asks for entities (statics, Device
// entity, deviceState, device links) must be stored byte for byte alike, or be left to the
// parser (nullopt); an entity the parser rejects must never be built directly.

namespace citytwin::ingest {
namespace {

namespace json = boost::json;

struct Case {
  std::string group;   // service group JSON
  std::string device;  // device JSON; "" = autoprovisioned by its first measure
  std::string payload;
  PayloadFormat format = PayloadFormat::kUltraLight;
  ServiceScope scope{"city", "/"};
};

// How a case's entities were stored: directly, or left to the parser.
struct Tally {
  int direct = 0;
  int parsed = 0;
  int rejected = 0;  // the parser refused the entity (and the direct path did not build it)
};

class StoredEntityTest : public ::testing::Test {
 protected:
  Tally compare(const Case& c) {
    Tally tally;
    auto group = parse_service_group(json::parse(c.group).as_object(), c.scope);
    EXPECT_TRUE(group.ok()) << group.error().detail;
    if (!group) return tally;
    auto measures = c.format == PayloadFormat::kJson ? decode_json_measures(c.payload)
                                                     : decode_ultralight_measures(c.payload);
    EXPECT_TRUE(measures.ok()) << measures.error().detail;
    if (!measures) return tally;
    auto device = device_for(c, *group, measures->front());
    if (!device) return tally;
    DeviceMapping mapping(*group, *device);
    for (const MeasureGroup& measure : *measures) {
      for (int flags = 0; flags < 16; ++flags) compare_one(mapping, measure, flags, tally);
    }
    return tally;
  }

  std::optional<DeviceConfig> device_for(const Case& c, const ServiceGroup& group,
                                         const MeasureGroup& first) {
    if (!c.device.empty()) {
      auto device = parse_device(json::parse(c.device).as_object(), c.scope);
      EXPECT_TRUE(device.ok()) << device.error().detail;
      if (!device) return std::nullopt;
      return *device;
    }
    DeviceConfig device;  // as IngestService::resolve autoprovisions it
    device.scope = c.scope;
    device.device_id = "auto1";
    device.apikey = group.apikey;
    device.autoprovisioned = true;
    if (!group.entity_name_exp.empty()) {
      auto name = autoprovisioned_entity_name(group, device, first);
      EXPECT_TRUE(name.ok()) << name.error().detail;
      if (!name) return std::nullopt;
      device.entity_name = *name;
    }
    return device;
  }

  void compare_one(const DeviceMapping& mapping, const MeasureGroup& measure, int flags,
                   Tally& tally) {
    const bool with_statics = (flags & 1) != 0;
    const std::string_view transport = (flags & 2) != 0 ? "MQTT" : "";
    const std::string_view state = (flags & 4) != 0 ? "ok" : "";
    const bool with_links = (flags & 8) != 0;
    auto normalized = mapping.entities(measure, now_, with_statics, transport, state, with_links);
    auto mapped = mapping.mapped(measure, now_, with_statics, transport, state, with_links);
    ASSERT_EQ(normalized.ok(), mapped.ok());
    if (!normalized) {
      EXPECT_EQ(normalized.error().detail, mapped.error().detail);
      return;
    }
    ASSERT_EQ(normalized->size(), mapped->size());
    for (std::size_t k = 0; k < mapped->size(); ++k) {
      const MappedEntity& entity = (*mapped)[k];
      EXPECT_EQ(json::serialize(mapping.normalized(entity)), json::serialize((*normalized)[k]));
      auto parsed = model::parse_entity((*normalized)[k], terms_, options_);
      auto direct = stored_entity(entity, mapping.servicepath(), terms_, options_);
      if (!parsed) {
        EXPECT_FALSE(direct.has_value())
            << "built directly, but the parser refuses it: " << parsed.error().detail << "\n"
            << json::serialize(*direct);
        ++tally.rejected;
        continue;
      }
      if (!direct) {
        ++tally.parsed;
        continue;
      }
      EXPECT_EQ(json::serialize(*direct), json::serialize(*parsed))
          << "flags " << flags << ", entity " << entity.id;
      EXPECT_EQ(entity.id, std::string((*normalized)[k].at("id").as_string()));
      ++tally.direct;
    }
  }

  // Not a whole millisecond: the stored observedAt is format_date_time of it.
  Instant now_ = Instant{parse_date_time("2026-12-04T12:00:00Z")->micros + 123456};
  CoreTerms terms_;
  model::ParseOptions options_ = measure_parse_options();
};

// The saturation benchmark's configuration (bench/mqtt): two Number attributes.
constexpr std::string_view kBenchGroup = R"({"apikey": "bench", "resource": "/iot/d",
    "entity_type": "Thing", "attributes": [
      {"object_id": "t", "name": "temperature", "type": "Number"},
      {"object_id": "h", "name": "humidity", "type": "Number"}]})";

constexpr std::string_view kRichGroup = R"({"apikey": "k1", "resource": "/iot/d",
    "entity_type": "Room", "attributes": [
      {"object_id": "t", "name": "temperature", "type": "Number", "expression": "t * 10",
       "metadata": {"unitCode": {"type": "Text", "value": "CEL"},
                    "accuracy": {"type": "Number", "value": 0.5}}},
      {"object_id": "b", "name": "batteryLevel", "type": "Number", "expression": "b / 100"},
      {"name": "label", "type": "Text", "expression": "'T=' + t"},
      {"object_id": "on", "name": "switch", "type": "Boolean"},
      {"object_id": "ts", "name": "lastSeen", "type": "DateTime"},
      {"object_id": "r", "name": "rssi", "type": "Integer"},
      {"object_id": "w", "name": "note", "type": "Text"},
      {"object_id": "o", "name": "refOwner", "type": "Relationship"}],
    "static_attributes": [
      {"name": "floor", "type": "Number", "value": 3},
      {"name": "title", "type": "Text", "value": "Room 1"},
      {"name": "refBuilding", "type": "Relationship", "value": "urn:ngsi-ld:Building:1"},
      {"name": "tags", "type": "Array", "value": ["a", "b"]},
      {"name": "spec", "type": "StructuredValue", "value": {"w": 2, "h": [1, 2]}},
      {"name": "height", "type": "Number", "value": 2.7,
       "metadata": {"unitCode": {"type": "Text", "value": "MTR"},
                    "measuredBy": {"type": "Text", "value": "laser"}}}]})";

TEST_F(StoredEntityTest, BenchmarkMeasuresAreStoredDirectlyAndAlike) {
  for (std::string payload : {"t|21.5|h|40", "t|-3|h|1e3", "h|0", "t|21.5|h|40|x|free text"}) {
    Tally tally = compare({std::string(kBenchGroup), "", payload});
    EXPECT_GT(tally.direct, 0) << payload;
    EXPECT_EQ(tally.parsed, 0) << payload;
    EXPECT_EQ(tally.rejected, 0) << payload;
  }
}

TEST_F(StoredEntityTest, ProvisionedDeviceWithExpressionsMetadataAndStatics) {
  const std::string device = R"({"device_id": "r1", "entity_name": "room-1",
      "entity_type": "Room", "expectedPeriod": 60})";
  for (std::string payload :
       {"t|2.5|b|80|on|true|ts|2026-12-04T10:00:00+01:00|r|-70|w|42|extra|x|n|7",
        "on|1|o|urn:ngsi-ld:Person:9", "on|false|w|ok", "t|3",
        "2026-12-04T10:00:00.5+02:00|t|1|b|50#t|2#2026-12-03T23:59:59Z|r|-1"}) {
    for (ServiceScope scope :
         {ServiceScope{"city", "/"}, ServiceScope{"city", "/b1/floor2"}, ServiceScope{"", "/b1"}}) {
      Tally tally =
          compare({std::string(kRichGroup), device, payload, PayloadFormat::kUltraLight, scope});
      EXPECT_GT(tally.direct, 0) << payload;
      EXPECT_EQ(tally.parsed, 0) << payload;
      EXPECT_EQ(tally.rejected, 0) << payload;
    }
  }
}

TEST_F(StoredEntityTest, InvalidValuesFailAlikeOnBothPaths) {
  // A value that does not fit its type fails the mapping itself: compare() checks that both
  // paths report the same error, and nothing is stored.
  for (std::string payload : {"on|maybe", "t|abc", "ts|yesterday"}) {
    Tally tally = compare({std::string(kRichGroup), "", payload});
    EXPECT_EQ(tally.direct + tally.parsed + tally.rejected, 0) << payload;
  }
}

TEST_F(StoredEntityTest, MultiEntityTargetsAndDeviceOverrides) {
  const std::string group = R"({"apikey": "k2", "resource": "/iot/d", "entity_type": "Meter",
      "attributes": [
        {"object_id": "c", "name": "volume", "type": "Number",
         "entity_name": "urn:ngsi-ld:WaterMeter:A", "entity_type": "WaterMeter"},
        {"object_id": "p", "name": "pressure", "type": "Number",
         "entity_name": "'zone' + z", "entity_type": "Zone"},
        {"object_id": "q", "name": "flow", "type": "Number", "entity_name": "pump-7"},
        {"object_id": "s", "name": "status", "type": "Text"}],
      "static_attributes": [{"name": "maker", "type": "Text", "value": "ACME"}]})";
  const std::string device = R"({"device_id": "m1", "entity_name": "urn:ngsi-ld:Meter:M1",
      "explicitAttrs": true, "attributes": [
        {"object_id": "s", "name": "state", "type": "Text"},
        {"object_id": "batt", "name": "batteryLevel", "type": "Number"}],
      "static_attributes": [{"name": "maker", "type": "Text", "value": "Other"}]})";
  for (std::string payload :
       {"c|7|p|1.5|z|3|q|2|s|on|batt|0.9|other|1", "p|2|z|x", "c|1", "other|1"}) {
    for (const std::string& own : {device, std::string()}) {
      Tally tally = compare({group, own, payload, PayloadFormat::kUltraLight, {"t2", "/a"}});
      EXPECT_GT(tally.direct, 0) << payload;
      EXPECT_EQ(tally.parsed, 0) << payload;
      EXPECT_EQ(tally.rejected, 0) << payload;
    }
  }
}

TEST_F(StoredEntityTest, AutoprovisionedJsonDevicesWithTimestamps) {
  const std::string group = R"({"apikey": "k3", "resource": "/iot/json", "entity_type": "Meter",
      "entityNameExp": "'meter-' + id", "attributes": [
        {"object_id": "p", "name": "power", "type": "Float",
         "metadata": {"unitCode": {"type": "Text", "value": "KWT"}}},
        {"object_id": "f", "name": "faulty", "type": "Bool"},
        {"object_id": "i", "name": "count", "type": "Integer"}]})";
  for (std::string payload :
       {R"({"p": 1.5, "f": false, "i": "12", "free": "text", "n": 3, "yes": true,
            "obj": {"a": 1, "b": [true, null]}, "arr": [1, "x"], "TimeInstant":
            "2026-12-04T09:00:00Z"})",
        R"([{"p": "2.5", "TimeInstant": "2026-12-04T09:00:00.250-03:00"}, {"f": 1},
            {"p": 3, "rssi": -80, "batteryLevel": 0.5}])",
        R"({"p": 0})"}) {
    Tally tally = compare({group, "", payload, PayloadFormat::kJson, {"t3", "/x/y"}});
    EXPECT_GT(tally.direct, 0) << payload;
    EXPECT_EQ(tally.parsed, 0) << payload;
    EXPECT_EQ(tally.rejected, 0) << payload;
  }
}

// Shapes the direct path leaves to the parser: the parser stores them (geometry, several
// URIs), drops what is no attribute (createdAt), or refuses them (a relationship to text,
// clashing names, misused metadata, invalid GeoJSON), as it did before.
TEST_F(StoredEntityTest, UnusualShapesAreLeftToTheParser) {
  const std::string group = R"({"apikey": "k4", "resource": "/iot/d", "entity_type": "Thing",
      "attributes": [
        {"object_id": "g", "name": "location", "type": "geo:point"},
        {"object_id": "o", "name": "refOwner", "type": "Relationship"},
        {"object_id": "c", "name": "createdAt", "type": "Number"},
        {"object_id": "sc", "name": "scope", "type": "Text"},
        {"object_id": "u", "name": "level", "type": "Number",
         "metadata": {"unitCode": {"type": "Number", "value": 5}}},
        {"object_id": "e", "name": "energy", "type": "Number",
         "metadata": {"unitCode": {"type": "Text", "value": ""}}},
        {"object_id": "dup", "name": "https://uri.etsi.org/ngsi-ld/default-context/level",
         "type": "Number"}],
      "static_attributes": [{"name": "since", "type": "Number", "value": 1,
         "metadata": {"observedAt": {"type": "Text", "value": "x"}}}]})";
  struct Unusual {
    std::string payload;
    PayloadFormat format;
    bool with_statics_only;  // only the static attribute is unusual
  };
  for (const Unusual& u : std::vector<Unusual>{
           {"g|40.4, -3.7", PayloadFormat::kUltraLight, false},
           {"o|not a uri", PayloadFormat::kUltraLight, false},
           {"c|5", PayloadFormat::kUltraLight, false},
           {"sc|x", PayloadFormat::kUltraLight, false},
           {"u|5", PayloadFormat::kUltraLight, false},
           {"e|5", PayloadFormat::kUltraLight, false},
           {"u|5|dup|6", PayloadFormat::kUltraLight, false},
           {R"({"o": ["urn:a:1", "urn:a:2"]})", PayloadFormat::kJson, false},
           {R"({"pos": {"type": "Point", "coordinates": [1, 2]}})", PayloadFormat::kJson, false},
           {R"({"fix": {"type": "Point", "coordinates": [500, 2]}})", PayloadFormat::kJson, false},
           {"x|1", PayloadFormat::kUltraLight, true}}) {
    Tally tally = compare({group, "", u.payload, u.format});
    EXPECT_GT(tally.parsed + tally.rejected, 0) << u.payload;
    if (u.with_statics_only) {
      EXPECT_GT(tally.direct, 0) << u.payload;
    }
  }
}

}  // namespace
}  // namespace citytwin::ingest
