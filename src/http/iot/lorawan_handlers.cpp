// LoRaWAN network servers' uplink webhooks (docs/ingest.md, "LoRaWAN"): ChirpStack v4's HTTP
// integration (POST <url>?event=up, one event type per request) and The Things Stack v3's
// webhooks (an ApplicationUp per request; the uplink message carries "uplink_message"). Other
// events are answered 200 and not written, so the network server does not retry or log them
// as failures. An uplink is answered once its write is durable (the write barrier).
#include "citytwin/ingest/lorawan_measurement.hpp"
#include "iot_handlers.hpp"
#include "iot_support.hpp"

namespace citytwin::http::iot {

Response post_lorawan_uplink(const Request& request, ingest::IngestService& ingest,
                             const ingest::DeviceRegistry& registry,
                             ingest::LorawanNetwork network) {
  if (network == ingest::LorawanNetwork::kChirpStack &&
      request.param("event").value_or("up") != "up") {
    return Response::empty(200);
  }
  std::string apikey(request.param("k").value_or(""));
  auto uplink = ingest::parse_lorawan_uplink(network, request.body);
  if (!uplink) {
    // Counted and logged as the pipeline does for measurements it rejects.
    ingest.reject("lorawan", apikey, "", uplink.error());
    return iot_error(uplink.error());
  }
  if (!uplink->is_uplink) return Response::empty(200);
  return write_measurement(request, ingest, ingest::lorawan_measurement(*uplink, apikey, registry));
}

}  // namespace citytwin::http::iot
