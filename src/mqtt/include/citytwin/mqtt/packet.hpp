#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "citytwin/common/result.hpp"

namespace citytwin::mqtt {

// Protocol levels carried in CONNECT (MQTT 3.1.1 clause 3.1.2.2, MQTT 5.0 clause 3.1.2.2).
inline constexpr std::uint8_t kMqtt311 = 4;
inline constexpr std::uint8_t kMqtt5 = 5;

// Control packet types (MQTT 5.0 clause 2.1.2; 3.1.1 has the same numbers but no AUTH).
enum class PacketType : std::uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};
std::string_view packet_type_name(PacketType type);

// MQTT 5 reason codes used by the broker (clause 2.4). 3.1.1 CONNACK return codes are mapped
// from these where a packet is written for a 3.1.1 client.
namespace reason {
inline constexpr std::uint8_t kSuccess = 0x00;
inline constexpr std::uint8_t kGrantedQos1 = 0x01;
inline constexpr std::uint8_t kGrantedQos2 = 0x02;
inline constexpr std::uint8_t kDisconnectWithWill = 0x04;
inline constexpr std::uint8_t kNoMatchingSubscribers = 0x10;
inline constexpr std::uint8_t kNoSubscriptionExisted = 0x11;
inline constexpr std::uint8_t kUnspecifiedError = 0x80;
inline constexpr std::uint8_t kMalformedPacket = 0x81;
inline constexpr std::uint8_t kProtocolError = 0x82;
inline constexpr std::uint8_t kImplementationSpecific = 0x83;
inline constexpr std::uint8_t kUnsupportedProtocolVersion = 0x84;
inline constexpr std::uint8_t kClientIdentifierNotValid = 0x85;
inline constexpr std::uint8_t kBadUserNameOrPassword = 0x86;
inline constexpr std::uint8_t kNotAuthorized = 0x87;
inline constexpr std::uint8_t kServerUnavailable = 0x88;
inline constexpr std::uint8_t kServerShuttingDown = 0x8B;
inline constexpr std::uint8_t kKeepAliveTimeout = 0x8D;
inline constexpr std::uint8_t kSessionTakenOver = 0x8E;
inline constexpr std::uint8_t kTopicFilterInvalid = 0x8F;
inline constexpr std::uint8_t kTopicNameInvalid = 0x90;
inline constexpr std::uint8_t kPacketIdentifierNotFound = 0x92;
inline constexpr std::uint8_t kReceiveMaximumExceeded = 0x93;
inline constexpr std::uint8_t kTopicAliasInvalid = 0x94;
inline constexpr std::uint8_t kPacketTooLarge = 0x95;
inline constexpr std::uint8_t kQuotaExceeded = 0x97;
inline constexpr std::uint8_t kPayloadFormatInvalid = 0x99;
inline constexpr std::uint8_t kSharedSubscriptionsNotSupported = 0x9E;
inline constexpr std::uint8_t kSubscriptionIdentifiersNotSupported = 0xA1;
}  // namespace reason

// MQTT 5 properties (clause 2.2.2.2). Only the ones present on the wire are set; which
// packet may carry which property is checked when decoding.
struct Properties {
  std::optional<std::uint8_t> payload_format_indicator;              // 0x01
  std::optional<std::uint32_t> message_expiry_interval;              // 0x02
  std::optional<std::string> content_type;                           // 0x03
  std::optional<std::string> response_topic;                         // 0x08
  std::optional<std::string> correlation_data;                       // 0x09
  std::vector<std::uint32_t> subscription_identifiers;               // 0x0B
  std::optional<std::uint32_t> session_expiry_interval;              // 0x11
  std::optional<std::string> assigned_client_identifier;             // 0x12
  std::optional<std::uint16_t> server_keep_alive;                    // 0x13
  std::optional<std::string> authentication_method;                  // 0x15
  std::optional<std::string> authentication_data;                    // 0x16
  std::optional<std::uint8_t> request_problem_information;           // 0x17
  std::optional<std::uint32_t> will_delay_interval;                  // 0x18
  std::optional<std::uint8_t> request_response_information;          // 0x19
  std::optional<std::string> response_information;                   // 0x1A
  std::optional<std::string> server_reference;                       // 0x1C
  std::optional<std::string> reason_string;                          // 0x1F
  std::optional<std::uint16_t> receive_maximum;                      // 0x21
  std::optional<std::uint16_t> topic_alias_maximum;                  // 0x22
  std::optional<std::uint16_t> topic_alias;                          // 0x23
  std::optional<std::uint8_t> maximum_qos;                           // 0x24
  std::optional<std::uint8_t> retain_available;                      // 0x25
  std::vector<std::pair<std::string, std::string>> user_properties;  // 0x26
  std::optional<std::uint32_t> maximum_packet_size;                  // 0x27
  std::optional<std::uint8_t> wildcard_subscription_available;       // 0x28
  std::optional<std::uint8_t> subscription_identifier_available;     // 0x29
  std::optional<std::uint8_t> shared_subscription_available;         // 0x2A

  bool operator==(const Properties&) const = default;
};

struct Will {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  Properties properties;  // MQTT 5 will properties (clause 3.1.3.2)
  bool operator==(const Will&) const = default;
};

struct Connect {
  std::uint8_t protocol_version = kMqtt5;
  bool clean_start = true;  // "clean session" in 3.1.1
  std::uint16_t keep_alive = 0;
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary data
  Properties properties;
  bool operator==(const Connect&) const = default;
};

struct Connack {
  bool session_present = false;
  std::uint8_t reason_code = reason::kSuccess;  // a 3.1.1 return code when written for 3.1.1
  Properties properties;
  bool operator==(const Connack&) const = default;
};

struct Publish {
  bool dup = false;
  std::uint8_t qos = 0;
  bool retain = false;
  std::string topic;            // may be empty in MQTT 5 when a topic alias stands for it
  std::uint16_t packet_id = 0;  // only for QoS 1 and 2
  Properties properties;
  std::string payload;
  bool operator==(const Publish&) const = default;
};

// PUBACK, PUBREC, PUBREL and PUBCOMP share one shape (clauses 3.4 to 3.7).
struct PublishResponse {
  PacketType type = PacketType::kPuback;
  std::uint16_t packet_id = 0;
  std::uint8_t reason_code = reason::kSuccess;
  Properties properties;
  bool operator==(const PublishResponse&) const = default;
};

struct SubscriptionRequest {
  std::string filter;
  std::uint8_t qos = 0;
  bool no_local = false;             // MQTT 5 only
  bool retain_as_published = false;  // MQTT 5 only
  std::uint8_t retain_handling = 0;  // MQTT 5 only: 0 send, 1 send if new, 2 never
  bool operator==(const SubscriptionRequest&) const = default;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<SubscriptionRequest> subscriptions;
  bool operator==(const Subscribe&) const = default;
};

struct Suback {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::uint8_t> reason_codes;  // 3.1.1: 0, 1, 2 or 0x80
  bool operator==(const Suback&) const = default;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::string> filters;
  bool operator==(const Unsubscribe&) const = default;
};

struct Unsuback {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::uint8_t> reason_codes;  // MQTT 5 only; 3.1.1 UNSUBACK has none
  bool operator==(const Unsuback&) const = default;
};

struct Pingreq {
  bool operator==(const Pingreq&) const = default;
};
struct Pingresp {
  bool operator==(const Pingresp&) const = default;
};

struct Disconnect {
  std::uint8_t reason_code = reason::kSuccess;
  Properties properties;
  bool operator==(const Disconnect&) const = default;
};

struct Auth {
  std::uint8_t reason_code = reason::kSuccess;
  Properties properties;
  bool operator==(const Auth&) const = default;
};

using Packet = std::variant<Connect, Connack, Publish, PublishResponse, Subscribe, Suback,
                            Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

PacketType packet_type_of(const Packet& packet);

// The fixed header (clause 2.1): the first byte and the Remaining Length, a variable byte
// integer of at most four bytes (clause 1.5.5).
struct FixedHeader {
  std::uint8_t first_byte = 0;
  std::size_t remaining_length = 0;
  std::size_t header_bytes = 0;  // 2 to 5
  PacketType type() const { return static_cast<PacketType>(first_byte >> 4); }
};
enum class FrameStatus { kIncomplete, kComplete, kMalformed };
FrameStatus parse_fixed_header(std::string_view bytes, FixedHeader& header);

// Decodes one packet body (the bytes after the fixed header). `protocol_version` is the
// connection's (kMqtt5 or kMqtt311); a CONNECT decodes whatever it announces. Errors are
// ErrorKind::kInvalidRequest for a malformed packet (reason 0x81) and
// ErrorKind::kBadRequestData for a protocol error (reason 0x82); see reason_code_of().
Result<Packet> decode_packet(std::uint8_t first_byte, std::string_view body,
                             std::uint8_t protocol_version);

// The whole packet, fixed header included, as written for a client of `protocol_version`
// (MQTT 5 fields are left out for 3.1.1).
std::string encode_packet(const Packet& packet, std::uint8_t protocol_version);

// The MQTT 5 DISCONNECT reason for a decode error.
std::uint8_t reason_code_of(const Error& decode_error);

}  // namespace citytwin::mqtt
