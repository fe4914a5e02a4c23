#pragma once

#include <boost/json/value.hpp>
#include <string>

namespace citytwin {

// Serializes JSON for clients. Boost.JSON 1.81 writes doubles in exponent form ("1.25E1");
// this writer uses the shortest round-trip decimal form ("12.5") that people and other
// NGSI-LD tools expect. Non-finite doubles (never produced by the parser) become null.
std::string to_json_text(const boost::json::value& value);
void append_json_text(std::string& out, const boost::json::value& value);

}  // namespace citytwin
