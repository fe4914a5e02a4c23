#pragma once

// Uplinks of LoRaWAN network servers, as their HTTP integrations post them (docs/ingest.md,
// "LoRaWAN"): ChirpStack v4 ("HTTP integration", event "up", the protobuf JSON mapping of
// integration.UplinkEvent) and The Things Stack v3 (webhooks, an ApplicationUp message with
// "uplink_message"). Both are reduced to one device, one measure group and the radio figures.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"
#include "citytwin/ingest/measures.hpp"

namespace citytwin::ingest {

enum class LorawanNetwork { kChirpStack, kTheThingsStack };

struct LorawanUplink {
  // false: the body is another event of the webhook (a The Things Stack join-accept, location
  // solution, ...), not an uplink; nothing else is set.
  bool is_uplink = true;
  std::string device_id;       // the network server's name for the device
  std::string dev_eui;         // the DevEUI, 16 lower-case hex digits
  std::string device_profile;  // ChirpStack device profile name; TTS end-device model id
  std::optional<Instant> received_at;
  // The best gateway's reception (highest RSSI), dBm and dB; absent when no gateway said.
  std::optional<double> rssi;
  std::optional<double> snr;
  // The application payload: the network server's decoded object when it has one, else the
  // raw FRMPayload decoded as CayenneLPP; then "rssi" and "snr"; observed at `received_at`.
  MeasureGroup measures;
};

struct LorawanLimits {
  // Largest webhook body accepted, in bytes.
  std::size_t max_body_bytes = 64 * 1024;
  // Most fields of a decoded object or CayenneLPP payload.
  std::size_t max_fields = 1000;
};

// Parses one webhook body. Errors: kInvalidRequest for text that is not JSON, kBadRequestData
// for JSON without a device identity, a payload that is neither a decoded object nor valid
// base64 CayenneLPP, or fields of the wrong type; the detail names the member.
Result<LorawanUplink> parse_lorawan_uplink(LorawanNetwork network, std::string_view body,
                                           const LorawanLimits& limits = {});

// A ChirpStack v4 "status" event (integration.StatusEvent, event=status): the device's
// battery as the measure "batteryLevel" (percent; none when it is mains powered or cannot
// tell), which the Device entity takes. Errors as for uplinks; a level outside 0-100 too.
Result<LorawanUplink> parse_chirpstack_status(std::string_view body,
                                              const LorawanLimits& limits = {});

// The IoT Agent JSON object of an uplink's measures (with "TimeInstant" when it has a
// reception time), what the ingestion pipeline decodes.
std::string lorawan_measures_json(const LorawanUplink& uplink);

// A device profile name as a service-group resource segment: letters, digits and '_' kept,
// every other byte '_' ("Dragino LHT65" -> "Dragino_LHT65").
std::string lorawan_profile_segment(std::string_view device_profile);

}  // namespace citytwin::ingest
