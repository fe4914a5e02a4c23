#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"

// Data representation of MQTT (MQTT 5.0 clause 1.5, 3.1.1 clause 1.5): big-endian integers,
// variable byte integers, length-prefixed UTF-8 strings and binary data.
namespace citytwin::mqtt::wire {

// A malformed packet (reason 0x81) and a protocol error (reason 0x82).
Error malformed(std::string detail);
Error protocol_error(std::string detail);

// Well-formed UTF-8 without U+0000 and without surrogates (clause 1.5.4 [MQTT-1.5.4-1],
// [MQTT-1.5.4-2]); overlong forms are ill-formed UTF-8 and rejected too.
bool valid_utf8(std::string_view text);

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - position_; }
  bool at_end() const { return remaining() == 0; }

  Result<std::uint8_t> u8();
  Result<std::uint16_t> u16();
  Result<std::uint32_t> u32();
  Result<std::uint32_t> varint();     // clause 1.5.5, at most 4 bytes
  Result<std::string> utf8_string();  // clause 1.5.4, validated
  Result<std::string> binary();       // clause 1.5.6
  Result<std::string_view> take(std::size_t count);
  std::string_view rest();

 private:
  std::string_view bytes_;
  std::size_t position_ = 0;
};

class Writer {
 public:
  void u8(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void u16(std::uint16_t value);
  void u32(std::uint32_t value);
  void varint(std::uint32_t value);
  void string(std::string_view text);  // utf8 string or binary data: both 2-byte prefixed
  void raw(std::string_view bytes) { out_.append(bytes); }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

// Wraps a body in its fixed header.
std::string frame(std::uint8_t first_byte, std::string_view body);

inline constexpr std::uint32_t kMaxVarint = 268'435'455;  // clause 1.5.5

}  // namespace citytwin::mqtt::wire

// Declares `var` from a Result expression or returns its error from the enclosing function.
#define CT_MQTT_ASSIGN(var, expr)                            \
  auto var##_result = (expr);                                \
  if (!var##_result) return std::move(var##_result).error(); \
  auto var = std::move(*var##_result)
