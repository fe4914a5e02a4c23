#pragma once

#include <boost/json/value.hpp>

#include "citytwin/common/result.hpp"
#include "citytwin/http/request.hpp"
#include "citytwin/http/response.hpp"
#include "citytwin/ingest/provisioning.hpp"

namespace citytwin::http::iot {

// The tenant (Fiware-Service / NGSILD-Tenant) and Fiware-ServicePath of a request ("/" when
// absent). `allow_all_paths` accepts "/*" (every path of the tenant), for listings.
Result<ingest::ServiceScope> scope_of(const Request& request, bool allow_all_paths);

// For a request made with a device credential: kForbidden unless `apikey`/`device_id` is its
// own device (or one of its group), checked before anything is looked up so a device learns
// nothing about other apikeys. OK for every other caller (keys are checked per tenant).
Status own_device_only(const Request& request, std::string_view apikey, std::string_view device_id);

// The request body as a JSON object (415 unless application/json, 400 unless an object).
Result<boost::json::object> json_body(const Request& request);

// An IoT Agent error body {"name", "message"} with the status of the error's kind.
Response iot_error(const Error& error);

Response iot_json(int status, const boost::json::value& body);

}  // namespace citytwin::http::iot
