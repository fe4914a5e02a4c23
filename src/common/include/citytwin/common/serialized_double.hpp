#pragma once

#include <string>

namespace citytwin {

// Appends a finite double as Boost.JSON 1.81's serializer writes it: Ryu's shortest
// round-trip digits in scientific form with "E", no '+' and no exponent padding ("2.15E1",
// "1E0", "-0E0", "5E-324"). Stored instance texts hold doubles so, and the history's chunk
// columns write them back in this form (store::NumberStyle::kDouble). A non-finite double
// (never parsed from JSON) comes out as std::to_chars writes it.
void append_serialized_double(std::string& out, double value);

}  // namespace citytwin
