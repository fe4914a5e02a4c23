#include "citytwin/ingest/lorawan_uplink.hpp"
#include "citytwin/common/base64.hpp"
#include "citytwin/common/json_document.hpp"

#include <array>
#include <boost/json.hpp>
#include <cctype>

#include "citytwin/ingest/cayenne_lpp.hpp"

namespace citytwin::ingest {
namespace {

Error bad(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

// RFC 4648 section 4 base64 (protobuf JSON "bytes" and TTS frm_payload).
Result<std::string> base64_decode(std::string_view text, std::string_view member) {
  auto bytes = citytwin::base64_decode(text);
  if (!bytes) return bad(std::string(member) + " is not base64");
  return std::move(*bytes);
}

// The member at `path` ("deviceInfo", "devEui"), or null when any step is missing.
const boost::json::value* member_at(const boost::json::object& root,
                                    std::initializer_list<std::string_view> path) {
  const boost::json::object* object = &root;
  const boost::json::value* found = nullptr;
  for (auto name : path) {
    if (object == nullptr) return nullptr;
    found = object->if_contains(name);
    if (found == nullptr) return nullptr;
    object = found->if_object();
  }
  return found;
}

Result<std::string> text_at(const boost::json::object& root,
                            std::initializer_list<std::string_view> path, std::string_view name) {
  const auto* value = member_at(root, path);
  if (value == nullptr || value->is_null()) return std::string();
  if (!value->is_string()) return bad(std::string(name) + " must be a string");
  return std::string(value->as_string());
}

std::optional<double> number_of(const boost::json::value* value) {
  if (value == nullptr || !value->is_number()) return std::nullopt;
  return value->to_number<double>();
}

Result<std::string> dev_eui_of(std::string text, std::string_view name) {
  if (text.empty()) return text;
  if (text.size() != 16) return bad(std::string(name) + " must be 16 hex digits");
  for (char& c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return bad(std::string(name) + " must be 16 hex digits");
    }
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

// The gateway that heard the device best: ChirpStack rxInfo[] / TTS rx_metadata[] entries
// with "rssi" and "snr".
void best_reception(const boost::json::value* receptions, LorawanUplink& uplink) {
  if (receptions == nullptr || !receptions->is_array()) return;
  for (const auto& entry : receptions->as_array()) {
    const auto* object = entry.if_object();
    if (object == nullptr) continue;
    auto rssi = number_of(object->if_contains("rssi"));
    if (!rssi) rssi = number_of(object->if_contains("channel_rssi"));
    if (!rssi || (uplink.rssi && *uplink.rssi >= *rssi)) continue;
    uplink.rssi = rssi;
    uplink.snr = number_of(object->if_contains("snr"));
  }
}

// Where each network puts what CityTwin reads.
struct Layout {
  std::initializer_list<std::string_view> device_id;
  std::initializer_list<std::string_view> dev_eui;
  std::initializer_list<std::string_view> profile;
  std::initializer_list<std::string_view> time;
  std::initializer_list<std::string_view> raw;
  std::initializer_list<std::string_view> decoded;
  std::initializer_list<std::string_view> receptions;
};

const Layout& layout_of(LorawanNetwork network) {
  // ChirpStack v4 integration.UplinkEvent in the protobuf JSON mapping (camelCase members).
  static const Layout kChirpStack{{"deviceInfo", "deviceName"},
                                  {"deviceInfo", "devEui"},
                                  {"deviceInfo", "deviceProfileName"},
                                  {"time"},
                                  {"data"},
                                  {"object"},
                                  {"rxInfo"}};
  // The Things Stack v3 ApplicationUp with an ApplicationUplink (snake_case members).
  static const Layout kTheThingsStack{{"end_device_ids", "device_id"},
                                      {"end_device_ids", "dev_eui"},
                                      {"uplink_message", "version_ids", "model_id"},
                                      {"uplink_message", "received_at"},
                                      {"uplink_message", "frm_payload"},
                                      {"uplink_message", "decoded_payload"},
                                      {"uplink_message", "rx_metadata"}};
  return network == LorawanNetwork::kChirpStack ? kChirpStack : kTheThingsStack;
}

Status read_payload(const boost::json::object& root, const Layout& layout,
                    const LorawanLimits& limits, LorawanUplink& uplink) {
  const auto* decoded = member_at(root, layout.decoded);
  if (decoded != nullptr && !decoded->is_null() && !decoded->is_object()) {
    return bad("the decoded payload must be an object");
  }
  if (decoded != nullptr && decoded->is_object() && !decoded->as_object().empty()) {
    if (decoded->as_object().size() > limits.max_fields) {
      return bad("the decoded payload has more than " + std::to_string(limits.max_fields) +
                 " fields");
    }
    for (const auto& [name, value] : decoded->as_object()) {
      // Refused here as the JSON measure decoder would refuse it, with the webhook's words.
      if (name.empty()) return bad("the decoded payload has a field with an empty name");
      uplink.measures.fields.emplace_back(std::string(name), value);
    }
    return ok_status();
  }
  auto raw = text_at(root, layout.raw, "the payload");
  if (!raw) return std::move(raw).error();
  if (raw->empty()) return ok_status();  // a MAC-only uplink: the radio figures only
  auto bytes = base64_decode(*raw, "the payload");
  if (!bytes) return std::move(bytes).error();
  auto group = decode_cayenne_lpp(*bytes, limits.max_fields);
  if (!group) return std::move(group).error();
  uplink.measures = std::move(*group);
  return ok_status();
}

Result<boost::json::value> parse_body(std::string_view body, const LorawanLimits& limits) {
  if (body.size() > limits.max_body_bytes) {
    return make_error(
        ErrorKind::kPayloadTooLarge,
        "webhook body larger than " + std::to_string(limits.max_body_bytes) + " bytes");
  }
  auto document = parse_json_document(body, "the webhook body");
  if (!document) return std::move(document).error();
  boost::json::value parsed = std::move(*document);
  if (!parsed.is_object()) return bad("the webhook body must be a JSON object");
  return parsed;
}

// The device, its profile and the reception time, common to every event of the device.
Status read_identity(const boost::json::object& root, const Layout& layout, LorawanUplink& uplink) {
  auto device_id = text_at(root, layout.device_id, "the device id");
  if (!device_id) return std::move(device_id).error();
  uplink.device_id = std::move(*device_id);
  auto eui_text = text_at(root, layout.dev_eui, "the DevEUI");
  if (!eui_text) return std::move(eui_text).error();
  auto dev_eui = dev_eui_of(std::move(*eui_text), "the DevEUI");
  if (!dev_eui) return std::move(dev_eui).error();
  uplink.dev_eui = std::move(*dev_eui);
  if (uplink.device_id.empty() && uplink.dev_eui.empty()) {
    return bad("the event names no device (device id or DevEUI)");
  }
  auto profile = text_at(root, layout.profile, "the device profile");
  if (!profile) return std::move(profile).error();
  uplink.device_profile = std::move(*profile);
  auto time = text_at(root, layout.time, "the reception time");
  if (!time) return std::move(time).error();
  if (!time->empty()) {
    uplink.received_at = parse_date_time(*time);
    if (!uplink.received_at) return bad("the reception time is not an ISO 8601 date-time");
  }
  uplink.measures.observed_at = uplink.received_at;
  return ok_status();
}

}  // namespace

Result<LorawanUplink> parse_lorawan_uplink(LorawanNetwork network, std::string_view body,
                                           const LorawanLimits& limits) {
  auto parsed = parse_body(body, limits);
  if (!parsed) return std::move(parsed).error();
  const boost::json::object& root = parsed->as_object();
  const Layout& layout = layout_of(network);

  LorawanUplink uplink;
  // The Things Stack posts every message type of a webhook to its base URL by default.
  if (network == LorawanNetwork::kTheThingsStack && !root.contains("uplink_message")) {
    uplink.is_uplink = false;
    return uplink;
  }
  CT_RETURN_IF_ERROR(read_identity(root, layout, uplink));
  CT_RETURN_IF_ERROR(read_payload(root, layout, limits, uplink));
  best_reception(member_at(root, layout.receptions), uplink);
  auto add_if_absent = [&uplink](std::string_view name, std::optional<double> value) {
    if (!value) return;
    for (const auto& field : uplink.measures.fields) {
      if (field.first == name) return;
    }
    uplink.measures.fields.emplace_back(std::string(name), *value);
  };
  add_if_absent("rssi", uplink.rssi);
  add_if_absent("snr", uplink.snr);
  uplink.measures.observed_at = uplink.received_at;
  return uplink;
}

Result<LorawanUplink> parse_chirpstack_status(std::string_view body, const LorawanLimits& limits) {
  auto parsed = parse_body(body, limits);
  if (!parsed) return std::move(parsed).error();
  const boost::json::object& root = parsed->as_object();
  LorawanUplink status;
  CT_RETURN_IF_ERROR(read_identity(root, layout_of(LorawanNetwork::kChirpStack), status));
  // integration.StatusEvent: batteryLevel is a percentage. An absent one (which protobuf JSON
  // also makes of 0) is not reported rather than reported empty.
  auto flag = [&root](std::string_view name) {
    const auto* value = root.if_contains(name);
    return value != nullptr && value->is_bool() && value->get_bool();
  };
  auto level = number_of(root.if_contains("batteryLevel"));
  if (flag("externalPowerSource") || flag("batteryLevelUnavailable")) level.reset();
  if (level && (*level < 0 || *level > 100)) return bad("batteryLevel must be 0-100");
  if (level) status.measures.fields.emplace_back("batteryLevel", *level);
  return status;
}

std::string lorawan_measures_json(const LorawanUplink& uplink) {
  boost::json::object object;
  for (const auto& [name, value] : uplink.measures.fields) object[name] = value;
  if (uplink.received_at) object[kTimeInstant] = format_date_time(*uplink.received_at);
  return boost::json::serialize(object);
}

std::string lorawan_profile_segment(std::string_view device_profile) {
  std::string out(device_profile);
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return out;
}

}  // namespace citytwin::ingest
