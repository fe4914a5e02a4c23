#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace citytwin::series {

// Byte-aligned primitives of the chunk format: little-endian fixed-width integers and LEB128
// varints. Writers append to a std::string (the byte container the store hands to RocksDB).
void append_u8(std::string& out, std::uint8_t value);
void append_u32(std::string& out, std::uint32_t value);
void append_u64(std::string& out, std::uint64_t value);
void append_varint(std::string& out, std::uint64_t value);
// A varint byte length followed by the bytes themselves.
void append_section(std::string& out, std::string_view bytes);

// Bounds-checked reader over untrusted bytes. Every read returns false (and leaves the output
// untouched) instead of reading past the end, so a corrupt chunk can never cause UB.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  bool read_u8(std::uint8_t& out);
  bool read_u32(std::uint32_t& out);
  bool read_u64(std::uint64_t& out);
  // Rejects varints longer than 10 bytes or overflowing 64 bits.
  bool read_varint(std::uint64_t& out);
  bool read_bytes(std::size_t size, std::string_view& out);
  bool read_section(std::string_view& out);

  std::size_t remaining() const { return bytes_.size() - pos_; }
  std::size_t position() const { return pos_; }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

}  // namespace citytwin::series
