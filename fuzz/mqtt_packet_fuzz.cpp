// The MQTT packet decoder (src/mqtt, docs/mqtt.md) reads whatever a network peer sends. The
// first input byte picks the protocol version (odd: MQTT 5, even: 3.1.1); the rest is a byte
// stream cut into packets by their fixed headers, as the broker's connections do. Any input
// must give packets or an Error, never undefined behaviour, and every packet that decodes must
// encode back to bytes that decode to the same packet.

#include <string>

#include "citytwin/mqtt/packet.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace citytwin;
  std::string_view input = fuzz::as_text(data, size);
  if (input.empty()) return 0;
  std::uint8_t version =
      static_cast<unsigned char>(input[0]) % 2 == 1 ? mqtt::kMqtt5 : mqtt::kMqtt311;
  std::string_view stream = input.substr(1);
  while (!stream.empty()) {
    mqtt::FixedHeader header;
    if (mqtt::parse_fixed_header(stream, header) != mqtt::FrameStatus::kComplete) break;
    if (header.remaining_length > stream.size() - header.header_bytes) break;
    std::string_view body = stream.substr(header.header_bytes, header.remaining_length);
    stream.remove_prefix(header.header_bytes + header.remaining_length);
    auto packet = mqtt::decode_packet(header.first_byte, body, version);
    if (!packet.ok()) continue;
    std::string bytes = mqtt::encode_packet(*packet, version);
    mqtt::FixedHeader again;
    if (mqtt::parse_fixed_header(bytes, again) != mqtt::FrameStatus::kComplete) {
      fuzz::fail("re-encoded packet has no fixed header");
    }
    auto decoded = mqtt::decode_packet(again.first_byte,
                                       std::string_view(bytes).substr(again.header_bytes), version);
    if (!decoded.ok()) fuzz::fail("re-encoded packet does not decode");
    if (!(*decoded == *packet)) fuzz::fail("re-encoded packet decodes differently");
  }
  return 0;
}
