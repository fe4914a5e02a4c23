#pragma once

#include <cstdint>

#include "citytwin/series/sample.hpp"

namespace citytwin::series {

// Private details of the chunk layout shared by the builder and the reader.

// Per-sample tag of the kind column. Booleans get two tags so their value costs nothing
// beyond the tag (a run-length encoded boolean series is a few bytes).
enum class Tag : std::uint8_t {
  kNumber = 0,
  kString = 1,
  kJson = 2,
  kFalse = 3,
  kTrue = 4,
  kNull = 5,
};
inline constexpr std::uint8_t kTagCount = 6;

inline Tag tag_of(ValueKind kind, bool boolean) {
  switch (kind) {
    case ValueKind::kNumber:
      return Tag::kNumber;
    case ValueKind::kString:
      return Tag::kString;
    case ValueKind::kJson:
      return Tag::kJson;
    case ValueKind::kBool:
      return boolean ? Tag::kTrue : Tag::kFalse;
    case ValueKind::kNull:
      return Tag::kNull;
  }
  return Tag::kNull;
}

inline ValueKind kind_of(Tag tag) {
  switch (tag) {
    case Tag::kNumber:
      return ValueKind::kNumber;
    case Tag::kString:
      return ValueKind::kString;
    case Tag::kJson:
      return ValueKind::kJson;
    case Tag::kFalse:
    case Tag::kTrue:
      return ValueKind::kBool;
    case Tag::kNull:
      return ValueKind::kNull;
  }
  return ValueKind::kNull;
}

inline constexpr std::uint8_t kKnownFlagsV1 = 0b11;
inline constexpr std::uint8_t kKnownFlags = 0b111;
inline constexpr std::uint8_t kKnownKinds = (1u << kValueKindCount) - 1;

// The kind column is left out when every sample has the same kind and that kind carries
// no value in its tag (everything but booleans): the header's kind mask then says it all.
inline bool needs_tag_column(std::uint8_t kind_mask) {
  bool single = kind_mask != 0 && (kind_mask & (kind_mask - 1)) == 0;
  return !single || kind_mask == (1u << static_cast<int>(ValueKind::kBool));
}

}  // namespace citytwin::series
