#pragma once

#include "citytwin/mqtt/packet.hpp"
#include "wire.hpp"

namespace citytwin::mqtt {

// Where a property list appears; a property outside the places the table of MQTT 5.0 clause
// 2.2.2.2 allows is a protocol error.
enum class PropertyPlace : std::uint16_t {
  kConnect = 1 << 0,
  kConnack = 1 << 1,
  kPublish = 1 << 2,
  kWill = 1 << 3,
  kPublishResponse = 1 << 4,
  kSubscribe = 1 << 5,
  kSuback = 1 << 6,
  kUnsubscribe = 1 << 7,
  kUnsuback = 1 << 8,
  kDisconnect = 1 << 9,
  kAuth = 1 << 10,
};

// Reads a property length and the properties after it (clause 2.2.2).
Result<Properties> read_properties(wire::Reader& in, PropertyPlace place);
// Writes the property length and every set property.
void write_properties(wire::Writer& out, const Properties& properties);

}  // namespace citytwin::mqtt
