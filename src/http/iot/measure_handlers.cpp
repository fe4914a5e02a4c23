// HTTP southbound of the IoT Agents (iotagent-json "HTTP binding", iotagent-ul "HTTP"):
// POST /iot/json?k=<apikey>&i=<device_id> with IoT Agent JSON, POST /iot/d?k=..&i=.. with
// UltraLight 2.0. The response leaves once the write is durable (the server's write barrier).
#include <algorithm>

#include "citytwin/security/access.hpp"
#include "iot_handlers.hpp"
#include "iot_support.hpp"

namespace citytwin::http::iot {

Response write_measurement(const Request& request, ingest::IngestService& ingest,
                           ingest::Measurement measurement) {
  if (auto own = own_device_only(request, measurement.apikey, measurement.device_id); !own.ok()) {
    ingest.reject(measurement.transport, measurement.apikey, measurement.device_id, own.error());
    return iot_error(own.error());
  }
  if (request.principal) {
    // The dispatcher checked the key against the tenant the headers name; the measurement
    // writes into its group's tenant, which the key must cover as well, and a device
    // credential writes only for its own device.
    measurement.authorize = [principal = *request.principal, apikey = measurement.apikey,
                             device = measurement.device_id](std::string_view tenant) {
      return security::authorize_device(principal, apikey, device, tenant);
    };
  }
  auto receipt = ingest.write(measurement);
  if (!receipt) return iot_error(receipt.error());
  return Response::empty(200);
}

std::optional<Response> over_device_rate(const Request& request, ingest::IngestService& ingest,
                                         const IotMeasureLimits& limits) {
  if (limits.device_rate == nullptr) return std::nullopt;
  std::string_view apikey = request.param("k").value_or("");
  std::string_view device = request.param("i").value_or("");
  std::string key = std::string(apikey) + "/" + std::string(device);
  auto wait = limits.device_rate->acquire(key, std::chrono::steady_clock::now());
  if (!wait) return std::nullopt;
  long long seconds = std::max<long long>(1, (wait->count() + 999) / 1000);
  Error error =
      make_error(ErrorKind::kTooManyRequests, "device '" + std::string(device) +
                                                  "' is over its rate limit; retry after " +
                                                  std::to_string(seconds) + " s");
  if (limits.metrics != nullptr)
    limits.metrics->add_counter("citytwin_http_device_rate_limited", {});
  ingest.reject("http", apikey, device, error);
  Response response = iot_error(error);
  response.header("Retry-After", std::to_string(seconds));
  return response;
}

Response post_measures(const Request& request, ingest::IngestService& ingest,
                       ingest::PayloadFormat format, std::string_view resource) {
  ingest::Measurement measurement;
  measurement.transport = "http";
  measurement.apikey = std::string(request.param("k").value_or(""));
  measurement.device_id = std::string(request.param("i").value_or(""));
  measurement.resource = std::string(resource);
  measurement.format = format;
  measurement.payload = request.body;
  return write_measurement(request, ingest, std::move(measurement));
}

}  // namespace citytwin::http::iot
