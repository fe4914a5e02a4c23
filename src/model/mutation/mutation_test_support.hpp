#pragma once

// Shared fixtures for the mutation unit tests: fixed instants and a small stored entity.

#include <string_view>

#include <boost/json.hpp>

#include "citytwin/common/instant.hpp"

namespace citytwin::mutation::testing {

inline constexpr char kT0Text[] = "2026-01-01T00:00:00.000Z";
inline constexpr char kT1Text[] = "2026-01-02T00:00:00.000Z";
inline const Instant kT0 = *parse_date_time(kT0Text);
inline const Instant kT1 = *parse_date_time(kT1Text);

inline constexpr std::string_view kTemperature = "https://example.org/temperature";
inline constexpr std::string_view kAddress = "https://example.org/address";
inline constexpr std::string_view kAccuracy = "https://example.org/accuracy";
inline constexpr std::string_view kProvider = "https://example.org/provider";

inline boost::json::object parse_object(std::string_view text) {
  return boost::json::parse(text).as_object();
}

inline boost::json::array parse_array(std::string_view text) {
  return boost::json::parse(text).as_array();
}

// A stored entity created at kT0: temperature has a default instance (with an accuracy
// sub-attribute) and an instance with datasetId urn:ds:b; address is a compound Property.
inline boost::json::object sample_entity() {
  return parse_object(R"({
    "id": "urn:ngsi-ld:Sensor:1",
    "type": ["https://example.org/Sensor"],
    "createdAt": "2026-01-01T00:00:00.000Z",
    "modifiedAt": "2026-01-01T00:00:00.000Z",
    "attrs": {
      "https://example.org/temperature": [
        {"type": "Property", "value": 20, "unitCode": "CEL",
         "observedAt": "2025-12-31T23:00:00.000Z",
         "createdAt": "2026-01-01T00:00:00.000Z", "modifiedAt": "2026-01-01T00:00:00.000Z",
         "sub": {"https://example.org/accuracy": {"type": "Property", "value": 0.5,
            "createdAt": "2026-01-01T00:00:00.000Z",
            "modifiedAt": "2026-01-01T00:00:00.000Z"}}},
        {"type": "Property", "value": 21, "datasetId": "urn:ds:b",
         "createdAt": "2026-01-01T00:00:00.000Z", "modifiedAt": "2026-01-01T00:00:00.000Z"}
      ],
      "https://example.org/address": [
        {"type": "Property",
         "value": {"street": "Gran Via", "city": "Madrid", "country": "Spain"},
         "createdAt": "2026-01-01T00:00:00.000Z", "modifiedAt": "2026-01-01T00:00:00.000Z"}
      ]
    }
  })");
}

// The instances of `name` in a stored entity (copy), or an empty array.
inline boost::json::array instances_of(const boost::json::object& entity, std::string_view name) {
  const boost::json::value* value = entity.at("attrs").as_object().if_contains(name);
  return value != nullptr ? value->as_array() : boost::json::array{};
}

}  // namespace citytwin::mutation::testing
