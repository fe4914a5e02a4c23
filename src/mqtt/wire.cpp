#include "wire.hpp"

namespace citytwin::mqtt::wire {

Error malformed(std::string detail) {
  return make_error(ErrorKind::kInvalidRequest, "malformed MQTT packet: " + detail);
}

Error protocol_error(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, "MQTT protocol error: " + detail);
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte == 0) return false;
    if (byte < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code = byte & 0x1F;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code = byte & 0x0F;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code = byte & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10FFFF) return false;  // overlong or too big
    if (code >= 0xD800 && code <= 0xDFFF) return false;             // surrogates
    i += length;
  }
  return true;
}

Result<std::uint8_t> Reader::u8() {
  if (remaining() < 1) return malformed("packet ends inside a byte field");
  return static_cast<std::uint8_t>(bytes_[position_++]);
}

Result<std::uint16_t> Reader::u16() {
  if (remaining() < 2) return malformed("packet ends inside a two-byte integer");
  auto high = static_cast<std::uint8_t>(bytes_[position_]);
  auto low = static_cast<std::uint8_t>(bytes_[position_ + 1]);
  position_ += 2;
  return static_cast<std::uint16_t>((high << 8) | low);
}

Result<std::uint32_t> Reader::u32() {
  if (remaining() < 4) return malformed("packet ends inside a four-byte integer");
  std::uint32_t value = 0;
  for (int k = 0; k < 4; ++k) value = (value << 8) | static_cast<std::uint8_t>(bytes_[position_++]);
  return value;
}

Result<std::uint32_t> Reader::varint() {
  std::uint32_t value = 0;
  for (int k = 0; k < 4; ++k) {
    if (at_end()) return malformed("packet ends inside a variable byte integer");
    auto byte = static_cast<std::uint8_t>(bytes_[position_++]);
    value |= static_cast<std::uint32_t>(byte & 0x7F) << (7 * k);
    if ((byte & 0x80) == 0) return value;
  }
  return malformed("variable byte integer longer than four bytes");
}

Result<std::string_view> Reader::take(std::size_t count) {
  if (remaining() < count) return malformed("length prefix runs past the end of the packet");
  auto out = bytes_.substr(position_, count);
  position_ += count;
  return out;
}

Result<std::string> Reader::binary() {
  auto length = u16();
  if (!length) return std::move(length).error();
  auto data = take(*length);
  if (!data) return std::move(data).error();
  return std::string(*data);
}

Result<std::string> Reader::utf8_string() {
  auto text = binary();
  if (!text) return text;
  if (!valid_utf8(*text)) return malformed("string is not well-formed UTF-8 or contains U+0000");
  return text;
}

std::string_view Reader::rest() {
  auto out = bytes_.substr(position_);
  position_ = bytes_.size();
  return out;
}

void Writer::u16(std::uint16_t value) {
  u8(static_cast<std::uint8_t>(value >> 8));
  u8(static_cast<std::uint8_t>(value & 0xFF));
}

void Writer::u32(std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) u8(static_cast<std::uint8_t>(value >> shift));
}

void Writer::varint(std::uint32_t value) {
  do {
    std::uint8_t byte = value & 0x7F;
    value >>= 7;
    if (value > 0) byte |= 0x80;
    u8(byte);
  } while (value > 0);
}

void Writer::string(std::string_view text) {
  u16(static_cast<std::uint16_t>(text.size()));
  raw(text);
}

std::string frame(std::uint8_t first_byte, std::string_view body) {
  Writer out;
  out.u8(first_byte);
  out.varint(static_cast<std::uint32_t>(body.size()));
  out.raw(body);
  return std::move(out.bytes());
}

}  // namespace citytwin::mqtt::wire
