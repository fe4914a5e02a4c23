// LoRaWAN network servers' uplink webhooks (docs/ingest.md, "LoRaWAN"): ChirpStack v4's HTTP
// integration (POST <url>?event=up, one event type per request; event=status carries the
// battery level) and The Things Stack v3's webhooks (an ApplicationUp per request; the uplink
// message carries "uplink_message"). Other events are answered 200 and not written, so the
// network server does not log them as failures. An uplink is answered once its write is
// durable (the write barrier).
#include "citytwin/ingest/lorawan_measurement.hpp"
#include "iot_handlers.hpp"
#include "iot_support.hpp"

namespace citytwin::http::iot {

Response post_lorawan_uplink(const Request& request, ingest::IngestService& ingest,
                             const ingest::DeviceRegistry& registry,
                             ingest::LorawanNetwork network) {
  std::string_view event = request.param("event").value_or("up");
  bool chirpstack = network == ingest::LorawanNetwork::kChirpStack;
  if (chirpstack && event != "up" && event != "status") return Response::empty(200);
  std::string apikey(request.param("k").value_or(""));
  auto uplink = chirpstack && event == "status"
                    ? ingest::parse_chirpstack_status(request.body)
                    : ingest::parse_lorawan_uplink(network, request.body);
  if (!uplink) {
    // Counted and logged as the pipeline does for measurements it rejects.
    ingest.reject("lorawan", apikey, "", uplink.error());
    return iot_error(uplink.error());
  }
  // Nothing to write: a mains-powered device's status, an uplink with neither payload nor
  // gateway figures (the pipeline refuses a measure object without measures).
  if (!uplink->is_uplink || uplink->measures.fields.empty()) return Response::empty(200);
  return write_measurement(request, ingest, ingest::lorawan_measurement(*uplink, apikey, registry));
}

}  // namespace citytwin::http::iot
