#include "properties.hpp"

namespace citytwin::mqtt {
namespace {

using P = PropertyPlace;
constexpr std::uint16_t bits(std::initializer_list<P> places) {
  std::uint16_t mask = 0;
  for (P place : places) mask |= static_cast<std::uint16_t>(place);
  return mask;
}
constexpr std::uint16_t kEverywhere = 0xFFFF;

// Allowed places per property identifier (MQTT 5.0 clause 2.2.2.2, Table 2-4).
std::uint16_t allowed_places(std::uint8_t id) {
  switch (id) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x08:
    case 0x09:
      return bits({P::kPublish, P::kWill});
    case 0x0B:
      return bits({P::kPublish, P::kSubscribe});
    case 0x11:
      return bits({P::kConnect, P::kConnack, P::kDisconnect});
    case 0x12:
    case 0x13:
    case 0x1A:
    case 0x24:
    case 0x25:
    case 0x28:
    case 0x29:
    case 0x2A:
      return bits({P::kConnack});
    case 0x15:
    case 0x16:
      return bits({P::kConnect, P::kConnack, P::kAuth});
    case 0x17:
    case 0x19:
      return bits({P::kConnect});
    case 0x18:
      return bits({P::kWill});
    case 0x1C:
      return bits({P::kConnack, P::kDisconnect});
    case 0x1F:
      return bits(
          {P::kConnack, P::kPublishResponse, P::kSuback, P::kUnsuback, P::kDisconnect, P::kAuth});
    case 0x21:
    case 0x22:
    case 0x27:
      return bits({P::kConnect, P::kConnack});
    case 0x23:
      return bits({P::kPublish});
    case 0x26:
      return kEverywhere;
    default:
      return 0;
  }
}

template <class T>
Status set_once(std::optional<T>& field, Result<T> value, std::uint8_t id) {
  if (!value) return std::move(value).error();
  if (field) return wire::protocol_error("property " + std::to_string(id) + " given twice");
  field = std::move(*value);
  return ok_status();
}

Status set_flag(std::optional<std::uint8_t>& field, Result<std::uint8_t> value, std::uint8_t id) {
  if (value && *value > 1) {
    return wire::protocol_error("property " + std::to_string(id) + " must be 0 or 1");
  }
  return set_once(field, std::move(value), id);
}

Status read_one(wire::Reader& in, std::uint8_t id, Properties& p) {
  switch (id) {
    case 0x01:
      return set_flag(p.payload_format_indicator, in.u8(), id);
    case 0x02:
      return set_once(p.message_expiry_interval, in.u32(), id);
    case 0x03:
      return set_once(p.content_type, in.utf8_string(), id);
    case 0x08:
      return set_once(p.response_topic, in.utf8_string(), id);
    case 0x09:
      return set_once(p.correlation_data, in.binary(), id);
    case 0x0B: {
      auto value = in.varint();
      if (!value) return std::move(value).error();
      if (*value == 0) return wire::protocol_error("subscription identifier 0");
      p.subscription_identifiers.push_back(*value);
      return ok_status();
    }
    case 0x11:
      return set_once(p.session_expiry_interval, in.u32(), id);
    case 0x12:
      return set_once(p.assigned_client_identifier, in.utf8_string(), id);
    case 0x13:
      return set_once(p.server_keep_alive, in.u16(), id);
    case 0x15:
      return set_once(p.authentication_method, in.utf8_string(), id);
    case 0x16:
      return set_once(p.authentication_data, in.binary(), id);
    case 0x17:
      return set_flag(p.request_problem_information, in.u8(), id);
    case 0x18:
      return set_once(p.will_delay_interval, in.u32(), id);
    case 0x19:
      return set_flag(p.request_response_information, in.u8(), id);
    case 0x1A:
      return set_once(p.response_information, in.utf8_string(), id);
    case 0x1C:
      return set_once(p.server_reference, in.utf8_string(), id);
    case 0x1F:
      return set_once(p.reason_string, in.utf8_string(), id);
    case 0x21: {
      auto value = in.u16();
      if (value && *value == 0) return wire::protocol_error("receive maximum 0");
      return set_once(p.receive_maximum, std::move(value), id);
    }
    case 0x22:
      return set_once(p.topic_alias_maximum, in.u16(), id);
    case 0x23:
      return set_once(p.topic_alias, in.u16(), id);
    case 0x24:
      return set_flag(p.maximum_qos, in.u8(), id);
    case 0x25:
      return set_flag(p.retain_available, in.u8(), id);
    case 0x26: {
      auto name = in.utf8_string();
      if (!name) return std::move(name).error();
      auto value = in.utf8_string();
      if (!value) return std::move(value).error();
      p.user_properties.emplace_back(std::move(*name), std::move(*value));
      return ok_status();
    }
    case 0x27: {
      auto value = in.u32();
      if (value && *value == 0) return wire::protocol_error("maximum packet size 0");
      return set_once(p.maximum_packet_size, std::move(value), id);
    }
    case 0x28:
      return set_flag(p.wildcard_subscription_available, in.u8(), id);
    case 0x29:
      return set_flag(p.subscription_identifier_available, in.u8(), id);
    case 0x2A:
      return set_flag(p.shared_subscription_available, in.u8(), id);
    default:
      return wire::malformed("unknown property identifier " + std::to_string(id));
  }
}

}  // namespace

Result<Properties> read_properties(wire::Reader& in, PropertyPlace place) {
  auto length = in.varint();
  if (!length) return std::move(length).error();
  auto block = in.take(*length);
  if (!block) return std::move(block).error();
  wire::Reader properties_in(*block);
  Properties properties;
  while (!properties_in.at_end()) {
    // Identifiers are variable byte integers; every defined one fits in one byte.
    auto id = properties_in.varint();
    if (!id) return std::move(id).error();
    if (*id > 0xFF) return wire::malformed("unknown property identifier " + std::to_string(*id));
    auto byte_id = static_cast<std::uint8_t>(*id);
    std::uint16_t allowed = allowed_places(byte_id);
    if (allowed == 0) return wire::malformed("unknown property identifier " + std::to_string(*id));
    if ((allowed & static_cast<std::uint16_t>(place)) == 0) {
      return wire::protocol_error("property " + std::to_string(*id) + " not allowed here");
    }
    CT_RETURN_IF_ERROR(read_one(properties_in, byte_id, properties));
  }
  return properties;
}

void write_properties(wire::Writer& out, const Properties& p) {
  wire::Writer w;
  auto byte = [&w](std::uint8_t id, const std::optional<std::uint8_t>& v) {
    if (v) {
      w.u8(id);
      w.u8(*v);
    }
  };
  auto two = [&w](std::uint8_t id, const std::optional<std::uint16_t>& v) {
    if (v) {
      w.u8(id);
      w.u16(*v);
    }
  };
  auto four = [&w](std::uint8_t id, const std::optional<std::uint32_t>& v) {
    if (v) {
      w.u8(id);
      w.u32(*v);
    }
  };
  auto text = [&w](std::uint8_t id, const std::optional<std::string>& v) {
    if (v) {
      w.u8(id);
      w.string(*v);
    }
  };
  byte(0x01, p.payload_format_indicator);
  four(0x02, p.message_expiry_interval);
  text(0x03, p.content_type);
  text(0x08, p.response_topic);
  text(0x09, p.correlation_data);
  for (std::uint32_t id : p.subscription_identifiers) {
    w.u8(0x0B);
    w.varint(id);
  }
  four(0x11, p.session_expiry_interval);
  text(0x12, p.assigned_client_identifier);
  two(0x13, p.server_keep_alive);
  text(0x15, p.authentication_method);
  text(0x16, p.authentication_data);
  byte(0x17, p.request_problem_information);
  four(0x18, p.will_delay_interval);
  byte(0x19, p.request_response_information);
  text(0x1A, p.response_information);
  text(0x1C, p.server_reference);
  text(0x1F, p.reason_string);
  two(0x21, p.receive_maximum);
  two(0x22, p.topic_alias_maximum);
  two(0x23, p.topic_alias);
  byte(0x24, p.maximum_qos);
  byte(0x25, p.retain_available);
  for (const auto& [name, value] : p.user_properties) {
    w.u8(0x26);
    w.string(name);
    w.string(value);
  }
  four(0x27, p.maximum_packet_size);
  byte(0x28, p.wildcard_subscription_available);
  byte(0x29, p.subscription_identifier_available);
  byte(0x2A, p.shared_subscription_available);
  out.varint(static_cast<std::uint32_t>(w.bytes().size()));
  out.raw(w.bytes());
}

}  // namespace citytwin::mqtt
