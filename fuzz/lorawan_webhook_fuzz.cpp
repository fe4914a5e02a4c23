// LoRaWAN network servers' uplink webhooks (src/ingest/lorawan_uplink.cpp, docs/ingest.md
// "LoRaWAN"): the first byte picks the format ('t': The Things Stack v3, anything else:
// ChirpStack v4), the rest is the body. Any body must parse to an uplink or an Error; an
// uplink's measures must reach the ingestion pipeline's JSON decoder as exactly one group
// with the same fields and reception time, since that is how the webhook handler feeds them.

#include <boost/json.hpp>
#include <string>

#include "citytwin/ingest/lorawan_uplink.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace citytwin;
  std::string_view input = fuzz::as_text(data, size);
  if (input.empty()) return 0;
  auto network = input.front() == 't' ? ingest::LorawanNetwork::kTheThingsStack
                                      : ingest::LorawanNetwork::kChirpStack;
  input.remove_prefix(1);
  ingest::LorawanLimits limits;
  limits.max_fields = 8;
  auto uplink = ingest::parse_lorawan_uplink(network, input, limits);
  if (!uplink.ok()) {
    if (uplink.error().detail.empty()) fuzz::fail("rejected webhook without a detail");
    return 0;
  }
  // Not written (the handler answers 200): another event, or an uplink without measures.
  if (!uplink->is_uplink || uplink->measures.fields.empty()) return 0;
  if (uplink->device_id.empty() && uplink->dev_eui.empty()) fuzz::fail("uplink without device");
  if (!uplink->dev_eui.empty()) {
    if (uplink->dev_eui.size() != 16) fuzz::fail("DevEUI not 16 digits", uplink->dev_eui);
    for (char c : uplink->dev_eui) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(c)) {
        fuzz::fail("DevEUI not lower-case hex", uplink->dev_eui);
      }
    }
  }
  // Decoded fields, then rssi and snr.
  if (uplink->measures.fields.size() > limits.max_fields + 2)
    fuzz::fail("more fields than allowed");
  std::string json = ingest::lorawan_measures_json(*uplink);
  auto groups = ingest::decode_json_measures(json);
  if (!groups.ok()) {
    // Decoded objects may hold a member named TimeInstant that is not a date-time; anything
    // else the pipeline refuses is a parser bug.
    bool odd_time_instant = false;
    for (const auto& [name, value] : uplink->measures.fields) {
      if (name == ingest::kTimeInstant) odd_time_instant = true;
    }
    if (!odd_time_instant) fuzz::fail("measures the JSON decoder refuses", groups.error().detail);
    return 0;
  }
  if (groups->size() != 1) fuzz::fail("not one measure group");
  if (uplink->received_at && (*groups)[0].observed_at != uplink->received_at) {
    // The ISO 8601 form keeps microseconds, the Instant's resolution.
    fuzz::fail("reception time lost", format_date_time(*uplink->received_at));
  }
  return 0;
}
