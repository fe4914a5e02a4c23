#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace citytwin {

// Serializes JSON for clients. Boost.JSON 1.81 writes doubles in exponent form ("1.25E1");
// this writer uses the shortest round-trip decimal form ("12.5") that people and other
// NGSI-LD tools expect. Non-finite doubles (never produced by the parser) become null.
std::string to_json_text(const boost::json::value& value);
void append_json_text(std::string& out, const boost::json::value& value);
// The same for an object or array held as such: passed as a value, it would first be copied
// into a temporary boost::json::value (a deep copy of every entity written, for example).
std::string to_json_text(const boost::json::object& object);
std::string to_json_text(const boost::json::array& array);
void append_json_text(std::string& out, const boost::json::object& object);
void append_json_text(std::string& out, const boost::json::array& array);
// `text` as a JSON string (quoted and escaped).
void append_json_string(std::string& out, std::string_view text);
// A number as append_json_text writes it (null when not finite), without a boost::json::value.
void append_json_number(std::string& out, double number);
void append_json_number(std::string& out, std::uint64_t number);

}  // namespace citytwin
