#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/instance_layout.hpp"  // kMaxExactInteger
#include "citytwin/common/json_member.hpp"
#include "citytwin/series/sample.hpp"

// A minimal reader of a stored attribute instance's JSON text (one top-level object), for
// the history code that must find an instance's "value" member without parsing the whole
// document: the chunk encoder (which stores values column by column) and the columnar
// history readers. Anything it does not understand is reported as such, never guessed.
namespace citytwin::store {

// How a number's text was written, so it can be written back byte for byte.
enum class NumberStyle : char {
  kNone = '-',
  kInteger = 'i',  // an int64 (Boost.JSON writes int64 values so)
  kDouble = 'd',   // Ryu's shortest scientific form (Boost.JSON's doubles)
};

// A JSON value's text as a series value. Numbers become doubles only when formatting the
// double back in `style` gives the text byte for byte; strings only when they hold no
// escape (their text is then the UTF-8 between the quotes); anything else, escaped strings
// included, is kJson with the value's JSON text.
struct ScalarValue {
  series::ValueKind kind = series::ValueKind::kNull;
  NumberStyle style = NumberStyle::kNone;
  double number = 0;
  bool boolean = false;
  std::string text;
};
ScalarValue classify_value_text(std::string_view value);

// The instance's top-level "value" member classified; kNull when the instance has none (a
// Relationship's "object", a LanguageProperty's "languageMap", ...) or is not an object.
ScalarValue classify_value_member(std::string_view instance);

// The number formats NumberStyle names.
std::string format_integer(std::int64_t value);
std::string format_double(double value);

}  // namespace citytwin::store
