#pragma once

#include <cstdint>

// What the writer of a stored attribute instance's JSON text knows about it, handed on so
// that the history's chunk encoder need not find and read those members again: where the
// values of "value", "observedAt", "createdAt" and "modifiedAt" lie in the text, and how the
// value was written. A bulk history import writes its instances' texts itself
// (model::TemporalInstanceParser, core's stamps); finding the members again and reading
// each value back was a sixth of the server's CPU of an import (docs/performance.md,
// issue #3).
namespace citytwin {

// Integers up to 2^53 are exact doubles.
inline constexpr double kMaxExactInteger = 9007199254740992.0;
// Whether `value` is one of them. Compared as an integer: 2^53 + 1 converts to 2^53, so a
// comparison of the converted double would let it through.
constexpr bool is_exact_double(std::int64_t value) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 53;
  return value >= -kLimit && value <= kLimit;
}

// [begin, end) of a member's value text; empty when the instance has no such member.
struct TextSpan {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  bool empty() const { return begin == end; }
  friend bool operator==(const TextSpan&, const TextSpan&) = default;
};

enum class WrittenValue : std::uint8_t {
  kUnknown,      // nothing is known: read the text
  kDouble,       // `number`, written by append_serialized_double
  kInteger,      // `number`, an integer of at most 2^53 in magnitude written by to_chars
  kBool,         // `boolean`
  kPlainString,  // a string written between quotes as it is: no escape inside
};

struct InstanceLayout {
  // The size of the text described; 0 = no layout. A text of any other size is not the one
  // described, and is read as if there were no layout.
  std::uint32_t size = 0;
  TextSpan value;
  TextSpan observed_at;
  TextSpan created_at;
  TextSpan modified_at;
  WrittenValue written = WrittenValue::kUnknown;
  bool boolean = false;
  double number = 0;
  friend bool operator==(const InstanceLayout&, const InstanceLayout&) = default;
};

}  // namespace citytwin
