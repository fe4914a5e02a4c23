#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/ingest/measures.hpp"
#include "citytwin/ingest/provisioning.hpp"

namespace citytwin::ingest {

// One entity a measure group updates, before it is given a representation: its id, its type
// and its attributes as normalized instances under their compact names, in the order they
// were first set.
struct MappedEntity {
  std::string id;
  std::string type;
  boost::json::object attrs;
};

// The Device entity's dateLastValueReported attribute (normalized, a DateTime Property).
boost::json::object device_report_attribute(Instant reported_at);

// The effective provisioning of one device (its own settings over its group's, as the IoT
// Agent merges them) and the NGSI-LD entities a measure group becomes (docs/ingest.md,
// "From measures to entities").
class DeviceMapping {
 public:
  DeviceMapping(const ServiceGroup& group, const DeviceConfig& device);

  // The device's entity: entity_name, made a URI (urn:ngsi-ld:<type>:<name>) when it is
  // not one; urn:ngsi-ld:<entity_type>:<device_id> when the device has none.
  const std::string& entity_id() const { return entity_id_; }
  // Its NGSI-LD Device entity (Smart Data Models Device): urn:ngsi-ld:Device:[<path>:]<id>.
  const std::string& device_entity_id() const { return device_entity_id_; }

  // The entities (normalized representation, with compact names) `measures` updates: the
  // device's entity, multi-entity targets, and, when `device_transport` is non-empty, the
  // Device entity with dateLastValueReported = `now`. Observations are stamped with the
  // group's timestamp, else `now`. `with_statics` adds the static attributes.
  // `device_state`, when non-empty, is written as the Device entity's deviceState.
  // `with_device_links` adds the Device entity's controlledAsset and supportedProtocol.
  Result<std::vector<boost::json::object>> entities(const MeasureGroup& measures, Instant now,
                                                    bool with_statics,
                                                    std::string_view device_transport,
                                                    std::string_view device_state = {},
                                                    bool with_device_links = true) const;

  // The same entities before they are given a representation (the arguments as for
  // `entities`): ingestion builds their stored form directly from these (stored_entity.hpp).
  Result<std::vector<MappedEntity>> mapped(const MeasureGroup& measures, Instant now,
                                           bool with_statics, std::string_view device_transport,
                                           std::string_view device_state = {},
                                           bool with_device_links = true) const;

  // `entity` in the normalized representation `entities` gives (with the device's scope).
  boost::json::object normalized(MappedEntity entity) const;

  // The scope (NGSI-LD clause 4.18) the device's entities are written with; "/" for none.
  const std::string& servicepath() const;

  // Seconds within which the device should report (its own setting, else its group's).
  std::optional<std::int64_t> expected_period_s() const { return expected_period_s_; }

 private:
  const DeviceConfig& device_;
  std::string entity_type_;
  std::string entity_id_;
  std::string device_entity_id_;
  std::vector<AttributeMapping> attributes_;
  std::vector<StaticAttribute> statics_;
  bool explicit_attrs_ = false;
  std::optional<std::int64_t> expected_period_s_;
};

// The id of a device's NGSI-LD Device entity: urn:ngsi-ld:Device:[<path>:]<device_id>.
std::string device_entity_id(const ServiceScope& scope, std::string_view device_id);

// An entity name given in provisioning as an NGSI-LD entity id.
std::string entity_uri(std::string_view name, std::string_view type);

// The entity name entityNameExp gives an autoprovisioned device, from its first measures.
Result<std::string> autoprovisioned_entity_name(const ServiceGroup& group,
                                                const DeviceConfig& device,
                                                const MeasureGroup& measures);

}  // namespace citytwin::ingest
