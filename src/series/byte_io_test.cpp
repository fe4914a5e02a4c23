#include "citytwin/series/byte_io.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace citytwin::series {
namespace {

TEST(ByteIo, VarintsRoundTrip) {
  const std::uint64_t values[] = {
      0, 1, 127, 128, 300, 1u << 31, std::numeric_limits<std::uint64_t>::max()};
  std::string bytes;
  for (auto value : values) append_varint(bytes, value);
  ByteReader in(bytes);
  for (auto value : values) {
    std::uint64_t out = 0;
    ASSERT_TRUE(in.read_varint(out));
    EXPECT_EQ(out, value);
  }
  EXPECT_EQ(in.remaining(), 0u);
}

TEST(ByteIo, RejectsOverlongAndTruncatedVarints) {
  std::uint64_t out = 0;
  std::string eleven(11, '\x80');
  EXPECT_FALSE(ByteReader(eleven).read_varint(out));
  std::string overflow = std::string(9, '\xFF') + '\x02';  // a 65th bit
  EXPECT_FALSE(ByteReader(overflow).read_varint(out));
  EXPECT_FALSE(ByteReader("\x80").read_varint(out));
}

TEST(ByteIo, FixedWidthIsLittleEndian) {
  std::string bytes;
  append_u32(bytes, 0x01020304);
  EXPECT_EQ(bytes, std::string("\x04\x03\x02\x01", 4));
  std::uint32_t out = 0;
  ByteReader in(bytes);
  ASSERT_TRUE(in.read_u32(out));
  EXPECT_EQ(out, 0x01020304u);
  std::uint64_t wide = 0;
  EXPECT_FALSE(ByteReader(bytes).read_u64(wide));
}

TEST(ByteIo, SectionLongerThanInputFails) {
  std::string bytes;
  append_varint(bytes, 10);
  bytes += "abc";
  ByteReader in(bytes);
  std::string_view section;
  EXPECT_FALSE(in.read_section(section));
  EXPECT_EQ(in.position(), 0u);
}

}  // namespace
}  // namespace citytwin::series
