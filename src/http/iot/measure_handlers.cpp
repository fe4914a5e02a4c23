// HTTP southbound of the IoT Agents (iotagent-json "HTTP binding", iotagent-ul "HTTP"):
// POST /iot/json?k=<apikey>&i=<device_id> with IoT Agent JSON, POST /iot/d?k=..&i=.. with
// UltraLight 2.0. The response leaves once the write is durable (the server's write barrier).
#include "citytwin/security/access.hpp"
#include "iot_handlers.hpp"
#include "iot_support.hpp"

namespace citytwin::http::iot {

Response post_measures(const Request& request, ingest::IngestService& ingest,
                       ingest::PayloadFormat format, std::string_view resource) {
  ingest::Measurement measurement;
  measurement.transport = "http";
  measurement.apikey = std::string(request.param("k").value_or(""));
  measurement.device_id = std::string(request.param("i").value_or(""));
  measurement.resource = std::string(resource);
  measurement.format = format;
  measurement.payload = request.body;
  if (request.principal) {
    // The dispatcher checked the key against the tenant the headers name; the measurement
    // writes into its group's tenant, which the key must cover as well.
    security::Principal principal = *request.principal;
    measurement.authorize = [principal](std::string_view tenant) {
      return security::authorize(principal, security::Permission::kWrite, tenant);
    };
  }
  auto receipt = ingest.write(measurement);
  if (!receipt) return iot_error(receipt.error());
  return Response::empty(200);
}

}  // namespace citytwin::http::iot
