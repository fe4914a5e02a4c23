#pragma once

// What a CoAP request to the IoT Agent paths means (docs/ingest.md, "CoAP"), apart from
// libcoap: the measurement it carries and the response code an outcome gets (RFC 7252
// section 5.9). Kept free of libcoap so it is unit-tested and fuzzed alone.

#include <cstdint>
#include <string>
#include <string_view>

#include "citytwin/common/error.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/ingest/ingest_service.hpp"

namespace citytwin::server {

// A CoAP response code as class * 100 + detail: 204 is 2.04 Changed.
using CoapCode = int;
inline constexpr CoapCode kCoapChanged = 204;
inline constexpr CoapCode kCoapBadRequest = 400;
inline constexpr CoapCode kCoapUnauthorized = 401;
inline constexpr CoapCode kCoapRequestEntityTooLarge = 413;
// RFC 8516: the device is over its rate; Max-Age says when it may retry.
inline constexpr CoapCode kCoapTooManyRequests = 429;
inline constexpr CoapCode kCoapServiceUnavailable = 503;

// The parts of a request the measurement needs: the Uri-Query options joined by '&' (as
// libcoap hands them over) and the Uri-Path ("iot/json" or "iot/d").
struct CoapQuery {
  std::string apikey;     // k
  std::string device_id;  // i
  std::string api_key;    // key: a CityTwin API key, when keys are required
};

// Reads k, i and key from "k=wx&i=station7"; percent-escapes are decoded. Unknown parameters
// are ignored (the IoT Agent ignores them too); a repeated one is an error.
Result<CoapQuery> parse_coap_query(std::string_view query);

// The measurement of a POST to `path` ("iot/json": IoT Agent JSON, "iot/d": UltraLight).
// Errors: kBadRequestData for another path.
Result<ingest::Measurement> coap_measurement(std::string_view path, const CoapQuery& query,
                                             std::string payload);

// The response code of a refused measurement.
CoapCode coap_code_for(const Error& error);

}  // namespace citytwin::server
